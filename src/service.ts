import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import { createApp } from './api/app.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import { HostLimiter } from './queue/host-limiter.js';
import { createQueues, createWorker, producerConnection, workerConnection, type Queues } from './queue/queues.js';
import { createHandlers } from './workers/handlers.js';
import { TopicMatcherCache } from './workers/topic-matcher-cache.js';

export interface RunningService {
  queues: Queues;
  /** The API's port (when the api role runs); 0 asks the OS for a free one. */
  port: number | null;
  /** Stops taking work, waits for running jobs, closes connections; the database is the caller's. */
  close(): Promise<void>;
}

/**
 * Starts the roles the config asks for against a migrated database: the API, the scheduler
 * (BullMQ job schedulers ticking "poll-due-feeds", "prune-items", "websub-fanout") and the workers
 * (refresh, retag, push).
 */
export async function startService(config: Config, db: Db, log: Logger): Promise<RunningService> {
  const redis = producerConnection(config.REDIS_URL);
  redis.on('error', () => {});
  await pingRedis(redis, config.REDIS_URL);
  const queues = createQueues(redis, config.QUEUE_PREFIX);

  const runs = (role: string) => config.ROLE === 'all' || config.ROLE === role;
  const workers: Worker[] = [];
  const connection = runs('worker') || runs('scheduler') ? workerConnection(config.REDIS_URL) : null;
  if (connection) {
    connection.on('error', () => {});
    const hosts = new HostLimiter(
      connection,
      config.QUEUE_PREFIX,
      config.HOST_CONCURRENCY,
      config.FETCH_TIMEOUT_MS + 5000,
    );
    const handlers = createHandlers({ db, queues, config, log, topics: new TopicMatcherCache(), hosts });
    if (runs('scheduler')) {
      await queues.schedule.upsertJobScheduler(
        'poll-due-feeds',
        { every: config.SCHEDULER_EVERY_MS },
        { name: 'poll-due-feeds', data: {} },
      );
      await queues.schedule.upsertJobScheduler(
        'prune-items',
        { pattern: '17 3 * * *', tz: 'UTC' },
        { name: 'prune-items', data: {} },
      );
      // Pushes are queued right after each poll; this picks up what a crash left in the outbox.
      await queues.push.upsertJobScheduler(
        'websub-fanout',
        { every: config.SCHEDULER_EVERY_MS * 6 },
        { name: 'websub-fanout', data: {} },
      );
      workers.push(createWorker('schedule', handlers, connection, config.QUEUE_PREFIX, 1));
    }
    if (runs('worker')) {
      workers.push(createWorker('refresh', handlers, connection, config.QUEUE_PREFIX, config.WORKER_CONCURRENCY));
      workers.push(createWorker('retag', handlers, connection, config.QUEUE_PREFIX, 1));
      workers.push(createWorker('push', handlers, connection, config.QUEUE_PREFIX, config.WORKER_CONCURRENCY));
    }
    for (const w of workers) {
      w.on('error', (err) => log.error({ err: err.message, queue: w.name }, 'worker error'));
      w.on('failed', (job, err) =>
        log.debug({ queue: w.name, job: job?.name, jobId: job?.id, err: err.message }, 'job failed'),
      );
    }
  }

  let server: Server | null = null;
  if (runs('api')) {
    const app = createApp({ db, redis, queues, config, log });
    const listening: Server = app.listen(config.PORT);
    server = listening;
    await new Promise<void>((resolve, reject) => listening.once('listening', resolve).once('error', reject));
    log.info({ port: (listening.address() as AddressInfo).port }, 'API listening');
  }

  return {
    queues,
    port: server ? (server.address() as AddressInfo).port : null,
    async close() {
      if (server) await new Promise((resolve) => server!.close(resolve));
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await connection?.quit().catch(() => {});
      await redis.quit().catch(() => {});
    },
  };
}

async function pingRedis(redis: import('ioredis').Redis, url: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await redis.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        const u = new URL(url);
        throw new Error(
          `cannot connect to Redis at ${u.hostname}:${u.port || 6379} (${(err as Error).message}). ` +
            'Start it (e.g. "redis-server --daemonize yes" or "docker compose up -d redis") or set REDIS_URL.',
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
