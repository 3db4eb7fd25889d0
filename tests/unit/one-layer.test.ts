import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { oneLayer } from '../../src/api/one-layer.js';

/** An app with `layer` in front of a route, answering what ran and how it ended. */
async function run(layer: RequestHandler): Promise<{ status: number; body: string }> {
  const app = express();
  app.use(layer);
  app.get('/x', (_req, res) => void res.send(`route after ${String(res.locals.ran)}`));
  app.use(
    ((err, _req, res, _next) =>
      void res
        .status(500)
        .send(`error ${(err as Error).message} after ${String(res.locals.ran)}`)) as express.ErrorRequestHandler,
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    return { status: res.status, body: await res.text() };
  } finally {
    server.close();
  }
}

const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.ran = [...((res.locals.ran as string[]) ?? []), name];
    next();
  };

describe('middlewares as one layer', () => {
  it('when each calls next, then all run in order, sync or async, and the route after them', async () => {
    const later: RequestHandler = async (req, res, next) => {
      await new Promise((r) => setTimeout(r, 5));
      mark('async')(req, res, next);
    };
    expect(await run(oneLayer(mark('a'), later, mark('b')))).toEqual({ status: 200, body: 'route after a,async,b' });
  });

  it('when one throws or rejects, then the rest are skipped and the error handlers get it', async () => {
    const throws: RequestHandler = () => {
      throw new Error('thrown');
    };
    const rejects: RequestHandler = async () => {
      await Promise.resolve();
      throw new Error('rejected');
    };
    const passes: RequestHandler = (_req, _res, next) => next(new Error('passed'));
    expect(await run(oneLayer(mark('a'), throws, mark('b')))).toEqual({ status: 500, body: 'error thrown after a' });
    expect(await run(oneLayer(mark('a'), rejects, mark('b')))).toEqual({ status: 500, body: 'error rejected after a' });
    expect(await run(oneLayer(passes, mark('b')))).toEqual({ status: 500, body: 'error passed after undefined' });
  });

  it('when one answers without calling next, then nothing after it runs', async () => {
    const answers: RequestHandler = (_req, res) => void res.status(204).end();
    expect(await run(oneLayer(mark('a'), answers, mark('b')))).toEqual({ status: 204, body: '' });
  });
});
