import {
  DelayedError,
  Queue,
  UnrecoverableError,
  Worker,
  type ConnectionOptions,
  type Job,
  type JobsOptions,
} from 'bullmq';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { HostBusyError } from './host-limiter.js';
import {
  backoffStrategy,
  checkedPayload,
  isJobName,
  jobOptions,
  JOBS,
  QUEUE_NAMES,
  schedules,
  type JobData,
  type JobName,
  type JobRequest,
  type QueueName,
} from './job-graph.js';

export type Queues = Record<QueueName, Queue>;

const RETENTION = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };

// While Redis is away each queue and worker reports every reconnection attempt: one line each this often.
const ERROR_LOG_EVERY_MS = 30_000;

/** A log call made at most once per ERROR_LOG_EVERY_MS; the calls in between are dropped. */
export function throttledLog(log: (err: Error) => void): (err: Error) => void {
  let loggedAt = 0;
  return (err) => {
    if (Date.now() - loggedAt < ERROR_LOG_EVERY_MS) return;
    loggedAt = Date.now();
    log(err);
  };
}

/**
 * The producers of every queue. Their connection errors (Redis away) are logged, at most every
 * 30 s a queue (throttledLog): without a listener BullMQ prints each one, unstructured, to stderr.
 */
export function createQueues(connection: ConnectionOptions, prefix: string, log: Logger): Queues {
  return Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection, prefix, defaultJobOptions: RETENTION });
      queue.on(
        'error',
        throttledLog((err) =>
          log.warn({ queue: name, err: err.message }, 'queue cannot reach Redis; jobs are not queued until it is back'),
        ),
      );
      return [name, queue];
    }),
  ) as Queues;
}

/** Where use cases send the jobs they ask for: the queues of the job graph, each payload checked first. */
export interface JobSink {
  enqueue(...requests: JobRequest[]): Promise<void>;
  /** Whether a job of this request (by its deduplication id) is waiting, delayed or running. */
  pending(request: JobRequest): Promise<boolean>;
}

export function queueSink(queues: Queues, config: Config): JobSink {
  return {
    async enqueue(...requests) {
      // Every payload checked before any job is queued; then one pipelined round trip a queue
      // (a tick's 1,000 due feeds were 1,000 round trips, each a system call and a reply).
      const byQueue = new Map<QueueName, { name: JobName; data: unknown; opts: JobsOptions }[]>();
      for (const request of requests) {
        const queue = JOBS[request.name].queue;
        const jobs = byQueue.get(queue) ?? [];
        jobs.push({
          name: request.name,
          data: checkedPayload(request.name, request.data),
          opts: jobOptions(request, config),
        });
        byQueue.set(queue, jobs);
      }
      for (const [queue, jobs] of byQueue) await queues[queue].addBulk(jobs);
    },
    async pending(request) {
      const spec = JOBS[request.name] as { queue: QueueName; dedupId?: (data: unknown) => string };
      if (!spec.dedupId) throw new Error(`${request.name} jobs have no deduplication id to look up`);
      // BullMQ holds a job's deduplication key from when it is queued until it completes or fails.
      return (await queues[spec.queue].getDeduplicationJobId(spec.dedupId(request.data))) !== null;
    },
  };
}

export type Handlers = { [K in JobName]: (data: JobData[K], job: Job) => Promise<void> };

/** A worker for one queue that checks each job's payload and dispatches it to its handler by name. */
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
      if (!isJobName(job.name)) throw new UnrecoverableError(`no handler for job ${job.name}`);
      const parsed = JOBS[job.name].payload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`job ${job.name}: invalid payload: ${parsed.error.message}`);
      const handler = handlers[job.name] as (data: unknown, job: Job) => Promise<void>;
      try {
        await handler(parsed.data, job);
      } catch (err) {
        // A job waiting for its host goes back to the queue, delayed, without spending an attempt.
        if (!(err instanceof HostBusyError)) throw err;
        await job.moveToDelayed(Date.now() + err.retryInMs, token);
        throw new DelayedError();
      }
    },
    { connection, prefix, concurrency, settings: { backoffStrategy } },
  );
}

/** Creates or updates every schedule of the job graph (idempotent). */
export async function ensureSchedules(queues: Queues, config: Config): Promise<void> {
  for (const { id, job, repeat } of schedules(config)) {
    await queues[JOBS[job.name].queue].upsertJobScheduler(id, repeat, { name: job.name, data: job.data });
  }
}

/**
 * Keeps the schedules alive: every `everyMs`, checks that Redis still holds them and creates them
 * again when it does not (a Redis restarted empty, or flushed), then calls `onLost` so that work
 * whose jobs vanished with Redis is found again. Returns a function that stops it.
 */
export function keepSchedules(
  queues: Queues,
  config: Config,
  log: Logger,
  everyMs: number,
  onLost: () => Promise<void>,
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const check = async () => {
    const missing: string[] = [];
    for (const { id, job } of schedules(config)) {
      if (!(await queues[JOBS[job.name].queue].getJobScheduler(id))) missing.push(id);
    }
    if (missing.length === 0) return;
    log.warn({ schedules: missing }, 'Redis lost the job schedules (restarted empty or flushed): creating them again');
    await ensureSchedules(queues, config);
    await onLost();
  };
  const timer = setInterval(() => {
    running = running
      .then(check)
      .catch((err: Error) => log.warn({ err: err.message }, 'cannot check the job schedules (Redis away?)'));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
