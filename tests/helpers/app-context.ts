import type { AppContext } from '../../src/app/context.js';
import { TopicMatcherCache } from '../../src/app/topic-matcher-cache.js';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import type { JobRequest } from '../../src/queue/job-graph.js';

/**
 * The use cases' context for tests that call them directly: the test's database and settings,
 * and the follow-up jobs kept in `queued` (to assert on) instead of sent to Redis. Tests of the
 * queues themselves run the whole service (tests/helpers/harness.ts).
 */
export function appContext(db: Db, config: Config): AppContext & { queued: JobRequest[] } {
  const queued: JobRequest[] = [];
  return {
    db,
    config,
    log: createLogger('silent'),
    topics: new TopicMatcherCache(),
    jobs: {
      enqueue: async (...requests) => void queued.push(...requests),
      pending: async (r) => queued.some((q) => q.name === r.name && JSON.stringify(q.data) === JSON.stringify(r.data)),
    },
    queued,
  };
}
