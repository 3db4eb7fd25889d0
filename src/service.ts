import { watchQueues } from './metrics.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import { createApp } from './api/app.js';
import { StoryStream } from './app/story-stream.js';
import type { AppContext } from './app/context.js';
import { recoverLostJobs } from './app/maintenance.js';
import { TopicMatcherCache } from './app/topic-matcher-cache.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import { HostLimiter } from './queue/host-limiter.js';
import {
  createQueues,
  createWorker,
  ensureSchedules,
  keepSchedules,
  queueSink,
  throttledLog,
  type Queues,
} from './queue/queues.js';
import { describeRedis, redisConnection, type RedisClient } from './queue/redis.js';
import { afterGivingUp, createHandlers } from './workers/handlers.js';
import { readFeedPool } from './workers/read-feed-pool.js';

export interface RunningService {
  queues: Queues;
  /** The API's port (when the api role runs); 0 asks the OS for a free one. */
  port: number | null;
  /** Stops taking work, waits for running jobs, closes connections; the database is the caller's. */
  close(): Promise<void>;
}

/**
 * Starts the roles the config asks for against a migrated database: the API, the scheduler
 * (the job graph's schedules, kept alive when Redis loses them) and the workers (one per queue).
 */
export async function startService(config: Config, db: Db, log: Logger): Promise<RunningService> {
  const redis = redisConnection(config, 'producer');
  redis.on('error', () => {});
  await pingRedis(redis, config);
  const queues = createQueues(redis, config.QUEUE_PREFIX, log);
  const unwatchQueues = watchQueues(queues);
  const ctx: AppContext = { db, config, log, jobs: queueSink(queues, config), topics: new TopicMatcherCache() };

  const runs = (role: string) => config.ROLE === 'all' || config.ROLE === role;
  const workers: Worker[] = [];
  let stopKeeping = async () => {};
  let closeReads = async () => {};
  const connection = runs('worker') || runs('scheduler') ? redisConnection(config, 'worker') : null;
  if (connection) {
    connection.on('error', () => {});
    const hosts = new HostLimiter(
      connection,
      config.QUEUE_PREFIX,
      config.HOST_CONCURRENCY,
      config.FETCH_TIMEOUT_MS + 5000,
    );
    const handlers = createHandlers(ctx, hosts);
    const worker = (queue: Parameters<typeof createWorker>[0], concurrency: number) =>
      workers.push(createWorker(queue, handlers, connection, config.QUEUE_PREFIX, concurrency));
    if (runs('scheduler')) {
      await ensureSchedules(queues, config);
      stopKeeping = keepSchedules(queues, config, log, config.SCHEDULER_EVERY_MS, () => recoverLostJobs(ctx));
      worker('schedule', 1);
    }
    if (runs('worker')) {
      if (config.READ_THREADS > 0) {
        const reads = readFeedPool(config.READ_THREADS);
        ctx.readFeed = reads.readFeed;
        closeReads = reads.close;
      }
      worker('refresh', config.WORKER_CONCURRENCY);
      // Grouping holds one lock that every feed shares: more than one at a time would only wait.
      worker('stories', 1);
      worker('retag', 1);
      worker('push', config.WORKER_CONCURRENCY);
    }
    for (const w of workers) {
      w.on(
        'error',
        throttledLog((err) => log.error({ err: err.message, queue: w.name }, 'worker error')),
      );
      w.on('failed', (job, err) => {
        log.warn(
          { queue: w.name, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
          'job failed',
        );
        // For good: no attempt left, or stalled past BullMQ's limit (then attemptsMade may be low).
        const final = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(err.message));
        if (final) {
          afterGivingUp(ctx, job).catch((e: Error) =>
            log.warn(
              { job: job.name, jobId: job.id, err: e.message },
              'could not hand back the work of a job that gave up',
            ),
          );
        }
      });
    }
  }

  let server: Server | null = null;
  let stories: StoryStream | null = null;
  if (runs('api')) {
    stories = new StoryStream(ctx);
    const app = createApp({ ...ctx, redis, stories, queues });
    const listening: Server = app.listen(config.PORT, config.HOST);
    server = listening;
    await new Promise<void>((resolve, reject) => listening.once('listening', resolve).once('error', reject));
    log.info({ host: config.HOST, port: (listening.address() as AddressInfo).port }, 'API listening');
    if (!config.PUBLIC_URL) {
      log.warn(
        "PUBLIC_URL is unset: topic feed links follow each request's Host header and those feeds are not shareable by caches; set it to the address readers use",
      );
    }
  }

  return {
    queues,
    port: server ? (server.address() as AddressInfo).port : null,
    async close() {
      // Open live streams would hold the server open: they end, and their clients resume elsewhere.
      stories?.close();
      if (server) await new Promise((resolve) => server!.close(resolve));
      await stopKeeping();
      await Promise.all(workers.map((w) => w.close()));
      await closeReads();
      unwatchQueues();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await connection?.quit().catch(() => {});
      await redis.quit().catch(() => {});
    },
  };
}

async function pingRedis(redis: RedisClient, config: Config): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await redis.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(
          `cannot connect to ${describeRedis(config)} (${(err as Error).message}). ` +
            'Start it (e.g. "redis-server --daemonize yes" or "docker compose up -d redis") or set REDIS_URL.',
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
