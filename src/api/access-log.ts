import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';

// A request id a client or proxy sent is kept when it is a plain token of reasonable length.
const GIVEN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One log line per request when it ends (method, path, status, duration, size) carrying a request
 * id, which the response also sends back as X-Request-Id so that a person can find the line.
 * `count` is called at the same moment (the request counters): one listener a request, not two.
 */
export function accessLog(log: Logger, count: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && GIVEN_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    res.locals.requestId = id;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      count(req, res);
      const status = res.statusCode;
      const entry = {
        requestId: id,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        bytes: Number(res.getHeader('content-length') ?? 0),
      };
      if (status >= 500) log.error(entry, 'request');
      else log.info(entry, 'request');
    });
    next();
  };
}
