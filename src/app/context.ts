import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ReadFeedFn } from '../pipeline/read-feed.js';
import type { JobRequest } from '../queue/job-graph.js';
import type { JobSink } from '../queue/queues.js';
import type { TopicMatcherCache } from './topic-matcher-cache.js';

/**
 * What the use cases work with, given explicitly by each entry point (the service's API and
 * workers, the CLI, the tests): the database, the settings, a logger, where follow-up jobs go,
 * and the compiled topics.
 */
export interface AppContext {
  db: Db;
  config: Config;
  log: Logger;
  jobs: JobSink;
  topics: TopicMatcherCache;
  /** How a poll reads a fetched body (the worker's threads); in this thread when not given. */
  readFeed?: ReadFeedFn;
}

/**
 * Queues follow-up jobs after a commit. When Redis is away the work is not lost, only later: it
 * is in the database, where the schedules find it again (due feeds and pending re-tags at the
 * next tick, the outbox within six ticks, ungrouped items at the next grouping of their feed or
 * the daily sweep, and all of it at once when Redis comes back empty), so a refusal here is
 * logged, not thrown.
 */
export async function followUp(ctx: AppContext, requests: JobRequest[], context: Record<string, unknown> = {}) {
  if (requests.length === 0) return;
  await ctx.jobs.enqueue(...requests).catch((err: Error) => {
    ctx.log.warn(
      { ...context, jobs: requests.map((r) => r.name), err: err.message },
      'follow-up jobs not queued (Redis away?); the scheduler will find the work again',
    );
  });
}
