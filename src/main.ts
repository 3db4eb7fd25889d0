import type { Server } from 'node:http';
import type { Worker } from 'bullmq';
import { createApp } from './api/app.js';
import { loadConfig } from './config.js';
import { createDb } from './db/database.js';
import { ensureDatabase } from './db/ensure-database.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
import { createQueues, createWorker, producerConnection, workerConnection } from './queue/queues.js';
import { onShutdown } from './shutdown.js';
import { createHandlers } from './workers/handlers.js';
import { TopicMatcherCache } from './workers/topic-matcher-cache.js';

/**
 * The process entry point: ROLE=all runs the API, the scheduler and the workers in one process;
 * api, worker and scheduler run one role each (design §9).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, { role: config.ROLE });

  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL);
  const applied = await migrateToLatest(db);
  if (applied.length) log.info({ migrations: applied }, 'migrations applied');

  const redis = producerConnection(config.REDIS_URL);
  redis.on('error', () => {});
  await pingRedis(redis, config.REDIS_URL);
  const queues = createQueues(redis, config.QUEUE_PREFIX);

  const runs = (role: string) => config.ROLE === 'all' || config.ROLE === role;
  const workers: Worker[] = [];
  let server: Server | undefined;

  if (runs('worker') || runs('scheduler')) {
    const connection = workerConnection(config.REDIS_URL);
    const handlers = createHandlers({ db, queues, config, log, topics: new TopicMatcherCache(db) });
    if (runs('scheduler')) {
      await queues.schedule.upsertJobScheduler('poll-due-feeds', { every: config.SCHEDULER_EVERY_MS }, { name: 'poll-due-feeds', data: {} });
      workers.push(createWorker('schedule', handlers, connection, config.QUEUE_PREFIX, 1));
    }
    if (runs('worker')) {
      workers.push(createWorker('refresh', handlers, connection, config.QUEUE_PREFIX, config.WORKER_CONCURRENCY));
      workers.push(createWorker('retag', handlers, connection, config.QUEUE_PREFIX, 1));
    }
    for (const w of workers) {
      w.on('error', (err) => log.error({ err: err.message, queue: w.name }, 'worker error'));
      w.on('failed', (job, err) => log.debug({ queue: w.name, job: job?.name, jobId: job?.id, err: err.message }, 'job failed'));
    }
  }
  if (runs('api')) {
    const app = createApp({ db, redis, queues, config, log });
    server = app.listen(config.PORT, () => log.info({ port: config.PORT }, 'API listening'));
  }

  onShutdown(
    [
      async () => server && (await new Promise((resolve) => server!.close(resolve))),
      ...workers.map((w) => () => w.close()),
      ...Object.values(queues).map((q) => () => q.close()),
      async () => redis.quit(),
      () => db.destroy(),
    ],
    log,
  );
  log.info('topicwire started');
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

main().catch((err: unknown) => {
  process.stderr.write(`topicwire: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
