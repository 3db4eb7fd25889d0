import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { HostLimiter } from '../queue/host-limiter.js';
import type { Queues } from '../queue/queues.js';
import type { TopicMatcherCache } from './topic-matcher-cache.js';

/** What every job handler may use; built once per process in src/main.ts. */
export interface WorkerDeps {
  db: Db;
  queues: Queues;
  config: Config;
  log: Logger;
  topics: TopicMatcherCache;
  hosts: HostLimiter;
}
