import { DelayedError, Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { HostBusyError } from './host-limiter.js';
import { Redis } from 'ioredis';

/**
 * The one place that names queues and jobs and types their payloads (style: immich's JobName map).
 * schedule: the recurring tick that finds due feeds; refresh: one job per feed poll;
 * retag: applying a new or changed topic to stored items; push: WebSub verification and delivery
 * (apart, so that slow subscribers never hold up polling).
 */
export interface JobData {
  'poll-due-feeds': Record<string, never>;
  'refresh-feed': { feedId: number };
  'retag-topic': { topicId: number; version: number };
  'prune-items': Record<string, never>;
  'websub-verify': WebSubIntent;
  'websub-fanout': Record<string, never>;
  'websub-deliver': { subscriptionId: number; itemIds: number[] };
}

/** A subscriber's (un)subscription request, to be verified with its callback before it counts. */
export interface WebSubIntent {
  mode: 'subscribe' | 'unsubscribe';
  topicId: number;
  topicUrl: string;
  format: 'atom' | 'rss' | 'json';
  callback: string;
  secret: string | null;
  leaseSeconds: number;
}
export type JobName = keyof JobData;

export const QUEUE_OF: { [K in JobName]: QueueName } = {
  'poll-due-feeds': 'schedule',
  'refresh-feed': 'refresh',
  'retag-topic': 'retag',
  'prune-items': 'schedule',
  'websub-verify': 'push',
  'websub-fanout': 'push',
  'websub-deliver': 'push',
};
export type QueueName = 'schedule' | 'refresh' | 'retag' | 'push';

const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};

/** Redis for workers: blocking commands must wait for Redis forever rather than fail (BullMQ's advice). */
export function workerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null });
}

/** Redis for producers (the API): fail fast when Redis is down instead of queueing commands in memory. */
export function producerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

export type Queues = Record<QueueName, Queue>;

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const make = (name: QueueName) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return { schedule: make('schedule'), refresh: make('refresh'), retag: make('retag'), push: make('push') };
}

/** Adds a job to its queue; `dedupId` keeps one job per key waiting or running at a time. */
export async function enqueue<K extends JobName>(
  queues: Queues,
  name: K,
  data: JobData[K],
  dedupId?: string,
  delayMs = 0,
  options: JobsOptions = {},
): Promise<void> {
  await queues[QUEUE_OF[name]].add(name, data, {
    ...(dedupId ? { deduplication: { id: dedupId } } : {}),
    ...(delayMs > 0 ? { delay: delayMs } : {}),
    ...options,
  });
}

export type Handlers = { [K in JobName]: (data: JobData[K], job: Job) => Promise<void> };

/** A worker for one queue that dispatches each job to its handler by name. */
export function createWorker(
  queue: QueueName,
  handlers: Handlers,
  connection: ConnectionOptions,
  prefix: string,
  concurrency: number,
): Worker {
  return new Worker(
    queue,
    async (job: Job, token?: string) => {
      const handler = handlers[job.name as JobName] as (data: unknown, job: Job) => Promise<void>;
      if (!handler) throw new Error(`no handler for job ${job.name}`);
      try {
        await handler(job.data, job);
      } catch (err) {
        // A job waiting for its host goes back to the queue, delayed, without spending an attempt.
        if (!(err instanceof HostBusyError)) throw err;
        await job.moveToDelayed(Date.now() + err.retryInMs, token);
        throw new DelayedError();
      }
    },
    { connection, prefix, concurrency },
  );
}
