import { Router } from 'express';
import { sql } from 'kysely';
import { migrationsAreCurrent } from '../../db/migrate.js';
import type { ApiDeps } from '../deps.js';

/** /healthz: the process answers. /readyz: Postgres, Redis and the schema are ready for traffic. */
export function healthRouter({ db, redis }: ApiDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const checks = {
      postgres: await sql`SELECT 1`.execute(db).then(
        () => 'ok',
        (e: Error) => `error: ${e.message}`,
      ),
      redis: await withTimeout(redis.ping(), 2000).then(
        () => 'ok',
        (e: Error) => `error: ${e.message}`,
      ),
      migrations: await migrationsAreCurrent(db).then(
        (ok) => (ok ? 'ok' : 'error: pending migrations'),
        (e: Error) => `error: ${e.message}`,
      ),
    };
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return r;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref()),
  ]);
}
