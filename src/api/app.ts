import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { httpRequests, registry } from '../metrics.js';
import { CachedReads } from './cached-reads.js';
import type { ApiDeps } from './deps.js';
import { accessLog } from './access-log.js';
import { requireScope } from './auth.js';
import { openApiJson } from './openapi.js';
import { RateLimits, type LimitKind } from './rate-limits.js';
import { errorHandler, notFound, requireBodyType } from './http-error.js';
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
  // Security headers (helmet's defaults: no sniffing, no framing, a strict CSP: scripts of our own
  // origin only, none inline),
  // but the feeds and reads may be fetched by pages of other origins (a web feed reader).
  app.use(
    helmet({
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      contentSecurityPolicy: {
        directives: {
          // The web app shows articles' images (their HTML sanitized), which live on their sites.
          imgSrc: ["'self'", 'data:', 'https:'],
          // Served over plain HTTP on a LAN, upgrading its own requests to HTTPS would break the
          // page; TLS, when there is one, is the reverse proxy's to enforce (HSTS).
          upgradeInsecureRequests: null,
        },
      },
    }),
  );
  // CORS only for the origins the operator names (CORS_ORIGINS: "*" or a list); none by default.
  if (deps.config.CORS_ORIGINS.length) {
    app.use(
      cors({
        origin: deps.config.CORS_ORIGINS.includes('*') ? '*' : deps.config.CORS_ORIGINS,
        exposedHeaders: ['ETag', 'Link', 'Location', 'Retry-After', 'X-Request-Id'],
        maxAge: 600,
      }),
    );
  }
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use(accessLog(deps.log));
  // The JSON API takes JSON bodies only: anything else is a 415 that says so, not a field missing.
  app.use(
    ['/api/v1/feeds', '/api/v1/topics', '/api/v1/items', '/api/v1/tokens', '/api/v1/session'],
    requireBodyType(['application/json', 'application/*+json'], 'JSON (Content-Type: application/json)'),
  );
  app.use(express.json({ limit: '1mb' }));
  app.use((req, res, next) => {
    res.on('finish', () => httpRequests.inc({ method: req.method, route: routeLabel(req), status: res.statusCode }));
    next();
  });
  // Every request but health checks spends from a budget (src/api/rate-limits.ts).
  const limits = new RateLimits(deps.redis, deps.config);
  deps = { ...deps, limits };
  app.use(limits.spend(deps, budgetOf));
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiJson());
  });
  // Counts by route, queue depths and feed health are the operator's: a read token (Prometheus's
  // `authorization` setting sends it).
  app.get('/metrics', requireScope(deps, 'read'), async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  const reads = new CachedReads(deps, deps.config.API_CACHE_MB * 2 ** 20);
  app.use(healthRouter(deps));
  app.use('/api/v1/feeds', feedsRouter(deps));
  app.use('/api/v1/topics', topicsRouter(deps));
  app.use('/api/v1/items', itemsRouter(deps, reads));
  app.use('/api/v1/opml', opmlRouter(deps));
  app.use('/api/v1/tokens', tokensRouter(deps));
  app.use('/api/v1/session', sessionRouter(deps));
  app.use('/topics', topicFeedsRouter(deps, reads));
  app.use('/topics', topicStreamRouter(deps, deps.stories ?? new StoryStream(deps)));
  app.use('/websub', websubRouter(deps));
  if (deps.queues) app.use(queueBoardRouter(deps, deps.queues));
  app.use(webApp());

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
