import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (GET /metrics). One registry per process: in production each
 * role runs in its own process, so each exposes what it does.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'topicwire_' });

export const feedPolls = new Counter({
  name: 'topicwire_feed_polls_total',
  help: 'Feed polls by result (ok, not_modified, or the error code).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const itemsStored = new Counter({
  name: 'topicwire_items_stored_total',
  help: 'Items written by polls: inserted or updated.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const pollDuration = new Histogram({
  name: 'topicwire_feed_poll_seconds',
  help: 'Time to poll one feed, fetch to commit.',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'topicwire_http_requests_total',
  help: 'API requests by route and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'topicwire_rate_limited_requests_total',
  help: 'Requests answered 429, by budget (read, write, search, websub, auth_failure).',
  labelNames: ['kind'],
  registers: [registry],
});
