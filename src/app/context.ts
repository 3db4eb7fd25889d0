import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
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
}

/**
 * Queues follow-up jobs after a commit. When Redis is away the work is not lost, only later:
 * the scheduler finds it again in the database (due feeds, pending re-tags, ungrouped items,
 * the outbox), so a refusal here is logged, not thrown.
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
