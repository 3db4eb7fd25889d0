import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

export const pushDeliveries = new Counter({
  name: 'topicwire_push_deliveries_total',
  help: 'Pushes by channel (websub, webhook) and result (delivered, refused: the receiver answered an error or nothing, gone: 410).',
  labelNames: ['channel', 'result'],
  registers: [registry],
});

type QueueCounts = { getJobCounts(...states: string[]): Promise<Record<string, number>> };
const watchedQueues = new Set<Record<string, QueueCounts>>();

/**
 * What each queue holds now, by state, read from Redis at each scrape (one round trip a queue). A
 * queue that cannot be read (Redis away) keeps its last figures: the scrape still answers.
 */
export const queueJobs = new Gauge({
  name: 'topicwire_queue_jobs',
  help: 'Jobs in each queue by state (waiting, active, delayed, failed), as Redis holds them at scrape time.',
  labelNames: ['queue', 'state'],
  registers: [registry],
  async collect() {
    for (const queues of watchedQueues) {
      await Promise.all(
        Object.entries(queues).map(async ([name, queue]) => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => null);
          for (const [state, n] of Object.entries(counts ?? {})) this.set({ queue: name, state }, n);
        }),
      );
    }
  },
});

/** Makes /metrics report these queues' depths; returns a function that stops it. */
export function watchQueues(queues: Record<string, QueueCounts>): () => void {
  watchedQueues.add(queues);
  return () => void watchedQueues.delete(queues);
}
