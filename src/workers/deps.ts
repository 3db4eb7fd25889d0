import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { FetchOptions } from '../pipeline/fetch-feed.js';
import type { Queues } from '../queue/queues.js';
import type { TopicMatcherCache } from './topic-matcher-cache.js';

/** What every job handler may use; built once per process in src/main.ts. */
export interface WorkerDeps {
  db: Db;
  queues: Queues;
  config: Config;
  log: Logger;
  topics: TopicMatcherCache;
}

function userAgent(config: Config): string {
  return `topicwire/0.1 (+${config.PUBLIC_URL ?? 'self-hosted feed aggregator'})`;
}

/** The fetcher's limits and identity, from the configuration (every fetch uses these). */
export function fetchOptions(config: Config): FetchOptions {
  return {
    timeoutMs: config.FETCH_TIMEOUT_MS,
    connectTimeoutMs: config.FETCH_CONNECT_TIMEOUT_MS,
    maxBytes: config.FETCH_MAX_BYTES,
    maxRedirects: config.FETCH_MAX_REDIRECTS,
    allowPrivate: config.FETCH_ALLOW_PRIVATE,
    userAgent: userAgent(config),
  };
}
