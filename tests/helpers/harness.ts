import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { deleteKeysUnder } from '../../src/queue/redis.js';
import { startService, type RunningService } from '../../src/service.js';
import { createTestDb } from './test-db.js';

export const TOKEN = 'test-token';

export interface Harness {
  db: Db;
  config: Config;
  service: RunningService;
  baseUrl: string;
  /** JSON request to the API with the write token; returns status, body and headers. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * The whole service (API, scheduler, workers) on its own database and Redis key prefix, with
 * short timings so that tests see polls within a second, against feeds on 127.0.0.1.
 */
export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const { db, url, drop } = await createTestDb();
  const config = loadConfig({
    DATABASE_URL: url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `test-${randomBytes(5).toString('hex')}`,
    API_TOKEN: TOKEN,
    FETCH_ALLOW_PRIVATE: 'true',
    PORT: '0',
    SCHEDULER_EVERY_MS: '200',
    FETCH_TIMEOUT_MS: '1500',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Tests send many requests from one address; the budgets have their own tests (rate-limits.test.ts).
    RATE_LIMIT_READS: '0',
    RATE_LIMIT_WRITES: '0',
    RATE_LIMIT_SEARCHES: '0',
    RATE_LIMIT_WEBSUB: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
    ...overrides,
  });
  const service = await startService(config, db, createLogger(config.LOG_LEVEL));
  const baseUrl = `http://127.0.0.1:${service.port}`;
  return {
    db,
    config,
    service,
    baseUrl,
    async api(method, path, body, headers = {}) {
      const res = await sendOnce(baseUrl + path, method, {
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: the raw text is the body */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      await service.close();
      await drop();
      await dropRedisPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
    },
  };
}

/**
 * fetch() that tries a GET once more when the connection was reset: the service runs in the test's
 * own process, and a poll that holds its event loop for seconds (a feed of 50,000 items) can leave
 * the client reusing a keep-alive socket the server is closing that moment.
 */
async function sendOnce(url: string, method: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, method });
  } catch (err) {
    const reset = (err as { cause?: { code?: string } }).cause?.code === 'ECONNRESET';
    if (method !== 'GET' || !reset) throw err;
    return fetch(url, { ...init, method });
  }
}

/** Removes every Redis key of a test run's prefix (queues, host leases). */
export async function dropRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
