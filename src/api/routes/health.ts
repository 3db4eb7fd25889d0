import { Router } from 'express';
import { readiness } from '../../app/health.js';
import type { ApiDeps } from '../deps.js';

/** /healthz: the process answers. /readyz: Postgres, Redis and the schema are ready for traffic. */
export function healthRouter(deps: ApiDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness(deps, deps.redis);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return r;
}
