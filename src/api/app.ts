import cors from 'cors';
import express from 'express';
import { httpRequests, registry } from '../metrics.js';
import { CachedReads } from './cached-reads.js';
import type { ApiDeps } from './deps.js';
import { accessLog } from './access-log.js';
import { oneLayer } from './one-layer.js';
import { rememberTrust, type TrustProxy } from './trust-proxy.js';
import { securityHeaders } from './security-headers.js';
import { requireScope } from './auth.js';
import { openApiJson } from './openapi.js';
import { RateLimits, type LimitKind } from './rate-limits.js';
import { checkBodyType, errorHandler, notFound } from './http-error.js';
import { feedsRouter } from './routes/feeds.js';
import { healthRouter } from './routes/health.js';
import { itemsRouter } from './routes/items.js';
import { opmlRouter } from './routes/opml.js';
import { topicFeedsRouter } from './routes/topic-feeds.js';
import { topicStreamRouter } from './routes/topic-stream.js';
import { StoryStream } from '../app/story-stream.js';
import { tokensRouter } from './routes/tokens.js';
import { sessionRouter } from './routes/session.js';
import { queueBoardRouter } from './queue-board.js';
import { isWebAppRequest, webApp } from './web-app.js';
import { topicsRouter } from './routes/topics.js';
import { websubRouter } from './routes/websub.js';

// The JSON API's collections, which take JSON bodies only.
const JSON_API = /^\/api\/v1\/(?:feeds|topics|items|tokens|session)(?:\/|$)/i;
const JSON_TYPES = ['application/json', 'application/*+json'];

const MOUNTS = [
  '/api/v1/feeds',
  '/api/v1/topics',
  '/api/v1/items',
  '/api/v1/opml',
  '/api/v1/tokens',
  '/api/v1/session',
  '/topics',
  '/websub',
];

/** A request's route pattern (/api/v1/feeds/:id), never its path, so ids and slugs do not multiply labels. */
function routeLabel(req: express.Request): string {
  const pattern = (req.route as { path?: string } | undefined)?.path;
  if (!pattern) return '(unmatched)';
  const mount = MOUNTS.find((m) => req.originalUrl.startsWith(m)) ?? '';
  return mount + (pattern === '/' && mount ? '' : pattern);
}

/** Which budget a request spends: health checks none, WebSub requests and text searches their own. */
function budgetOf(req: express.Request): LimitKind | null {
  if (req.path === '/healthz' || req.path === '/readyz' || isWebAppRequest(req.path)) return null;
  if (req.path === '/websub' && req.method === 'POST') return 'websub';
  if (req.path === '/api/v1/topics/preview' || (req.path === '/api/v1/items' && req.query.q !== undefined))
    return 'search';
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
}

/** The whole route table (docs/api.md); builds the app without listening, so tests can start it on port 0. */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.set('trust proxy fn', rememberTrust(app.get('trust proxy fn') as TrustProxy));
  // The JSON API takes JSON bodies only: anything else is a 415 that says so, not a field missing.
  const json = express.json({ limit: '1mb' });
  const limits = new RateLimits(deps.redis, deps.config);
  deps = { ...deps, limits };
  // What every request passes, as one layer (src/api/one-layer.ts).
  app.use(
    oneLayer(
      securityHeaders(),
      // CORS only for the origins the operator names (CORS_ORIGINS: "*" or a list); none by default.
      ...(deps.config.CORS_ORIGINS.length
        ? [
            cors({
              origin: deps.config.CORS_ORIGINS.includes('*') ? '*' : deps.config.CORS_ORIGINS,
              exposedHeaders: ['ETag', 'Link', 'Location', 'Retry-After', 'X-Request-Id'],
              maxAge: 600,
            }),
          ]
        : []),
      accessLog(deps.log, (req, res) =>
        httpRequests.inc({ method: req.method, route: routeLabel(req), status: res.statusCode }),
      ),
      // No route reads the body of a GET or HEAD: the parser is not asked (~2%).
      (req, res, next) => {
        if (JSON_API.test(req.path)) checkBodyType(req, JSON_TYPES, 'JSON (Content-Type: application/json)');
        if (req.method === 'GET' || req.method === 'HEAD') next();
        else json(req, res, next);
      },
      // Every request but health checks spends from a budget (src/api/rate-limits.ts).
      limits.spend(deps, budgetOf),
    ),
  );
  const reads = new CachedReads(deps, deps.config.API_CACHE_MB * 2 ** 20);
  // Routes in order of traffic: what feed readers poll first, each layer a request passes costs
  // a path test (the routes' paths do not overlap, so the order decides nothing else).
  app.use('/topics', topicFeedsRouter(deps, reads));
  app.use('/topics', topicStreamRouter(deps, deps.stories ?? new StoryStream(deps)));
  // One layer for the JSON API, so that other paths pass it in one test.
  const api = express.Router();
  api.use('/feeds', feedsRouter(deps));
  api.use('/topics', topicsRouter(deps));
  api.use('/items', itemsRouter(deps, reads));
  api.use('/opml', opmlRouter(deps));
  api.use('/tokens', tokensRouter(deps));
  api.use('/session', sessionRouter(deps));
  app.use('/api/v1', api);
  app.use(healthRouter(deps));
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiJson());
  });
  // Counts by route, queue depths and feed health are the operator's: a read token (Prometheus's
  // `authorization` setting sends it).
  app.get('/metrics', requireScope(deps, 'read'), async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use('/websub', websubRouter(deps));
  if (deps.queues) app.use(queueBoardRouter(deps, deps.queues));
  app.use(webApp());

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
