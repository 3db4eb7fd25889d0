import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Queues } from '../queue/queues.js';

export interface ApiDeps {
  db: Db;
  redis: Redis;
  queues: Queues;
  config: Config;
  log: Logger;
}
