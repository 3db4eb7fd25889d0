import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';

// Atomically: forget leases past their expiry, then take one if fewer than the limit are held.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

/**
 * At most `limit` requests in flight to one host across every worker process, counted in Redis.
 * A lease expires by itself after `leaseMs`, so a worker that dies holding one frees it.
 */
export class HostLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly leaseMs: number,
  ) {}

  /** A lease token, or null when the host is at its limit. */
  async tryAcquire(host: string): Promise<string | null> {
    const token = randomUUID();
    const now = Date.now();
    const got = await this.redis.eval(
      ACQUIRE,
      1,
      this.key(host),
      now,
      now + this.leaseMs,
      this.limit,
      token,
      this.leaseMs * 2,
    );
    return got === 1 ? token : null;
  }

  async release(host: string, token: string): Promise<void> {
    await this.redis.zrem(this.key(host), token);
  }

  private key(host: string): string {
    return `${this.prefix}:host:${host.toLowerCase()}`;
  }
}

/** Thrown by a job that must wait for its host: the worker puts the job back, delayed. */
export class HostBusyError extends Error {
  constructor(
    readonly host: string,
    readonly retryInMs: number,
  ) {
    super(`${host} is at its concurrent request limit`);
    this.name = 'HostBusyError';
  }
}

/** The host (with port) a feed URL is fetched from: what politeness counts by. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
