import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';

/** One Redis server, or a Redis Cluster: BullMQ and our own keys work with either. */
export type RedisClient = Redis | Cluster;

type RedisSettings = Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>;

/**
 * Workers block on Redis and must wait for it forever rather than fail (BullMQ's advice);
 * producers (the API, the CLI) fail fast when Redis is down instead of queueing commands in memory.
 */
export function redisConnection(config: RedisSettings, purpose: 'worker' | 'producer'): RedisClient {
  const options: RedisOptions =
    purpose === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false };
  if (config.REDIS_CLUSTER_NODES.length === 0) return new Redis(config.REDIS_URL, options);
  const { enableOfflineQueue, ...perNode } = options;
  return new Cluster(config.REDIS_CLUSTER_NODES, {
    redisOptions: perNode,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
  });
}

/** Where Redis is, for messages: the URL's host, or the cluster's first nodes. */
export function describeRedis(config: RedisSettings): string {
  if (config.REDIS_CLUSTER_NODES.length > 0) {
    return `the Redis Cluster at ${config.REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(', ')}`;
  }
  const u = new URL(config.REDIS_URL);
  return `Redis at ${u.hostname}:${u.port || 6379}`;
}

/**
 * Deletes every key under a prefix (a test's or a benchmark's queues and host leases). On one
 * server only: the keys of a cluster are spread over its nodes.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
