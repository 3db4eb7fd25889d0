import type { BackoffStrategy, JobsOptions, RepeatOptions } from 'bullmq';
import { z } from 'zod';
import type { Config } from '../config.js';

/*
 * The job graph, in one place: every job's queue, payload (checked when queued and again when
 * run), options, deduplication, what it queues when done, and the recurring schedules.
 *
 *   schedule ─ poll-due-feeds (every SCHEDULER_EVERY_MS) ─► refresh-feed, one per due feed
 *            ├ group-left-overs (every 30 s)             ─► group-stories, one per feed with ungrouped items
 *            ├ release-lost-claims (every 30 s)           feeds claimed with no poll queued made due again
 *            └ prune-items (daily 03:17 UTC)             ─► group-stories for left-over items
 *   refresh  ─ refresh-feed (feed:<id>)                   ─► group-stories when items were inserted,
 *                                                            websub-fanout when topics got new items
 *   stories  ─ group-stories (stories:<feedId>)             ─► websub-fanout when items were grouped
 *              (each takes every feed's waiting items, so the ones queued behind it find none left)
 *            └ vacuum-busy-tables (every 30 s)               keeps grouping's tables vacuumed, autovacuum or not
 *   retag    ─ retag-topic (retag:<topic>:<version>)        queued when a topic's rule changes
 *            └ index-search (index-search)                   queued by the tick while older items lack search keys
 *   push     ─ websub-verify                                queued by POST /websub
 *            ├ websub-fanout (every 6 ticks; websub-fanout) ─► the topics' story log (the live stream reads it),
 *            │                                                websub-deliver, one per subscriber,
 *            │                                                webhook-deliver, one per webhook with new stories
 *            ├ websub-deliver (deliver-<entry>-<subscriber>, 8 attempts)
 *            └ webhook-deliver (hook-<entry>-<webhook>, 8 attempts)
 */

export type QueueName = 'schedule' | 'refresh' | 'stories' | 'retag' | 'push';
export const QUEUE_NAMES: readonly QueueName[] = ['schedule', 'refresh', 'stories', 'retag', 'push'];

const id = z.number().int().positive();
const nothing = z.object({}).strict();

/** A subscriber's (un)subscription request, to be verified with its callback before it counts. */
const webSubIntent = z.object({
  mode: z.enum(['subscribe', 'unsubscribe']),
  topicId: id,
  topicUrl: z.string().url(),
  format: z.enum(['atom', 'rss', 'json']),
  callback: z.string().url(),
  secret: z.string().nullable(),
  leaseSeconds: z.number().int().positive(),
  // Asked for with a read token (intents queued before this existed had none).
  withToken: z.boolean().default(false),
});
export type WebSubIntent = z.infer<typeof webSubIntent>;

// Attempts for jobs whose failure may pass (our own database or Redis away, a bug fixed by a
// deploy): JOB_RETRY_MS doubling up to RETRY_CAP_MS, for about 20 minutes by default, so that an
// outage of PostgreSQL does not end them (a poll that ended so left its feed claimed, unpolled,
// until its lease ran out: found by fault injection), while a job waits at most a minute after
// the outage ends; what still fails is found again by the schedules.
const RETRIED = (config: Config): JobsOptions => ({
  attempts: 20,
  backoff: { type: CAPPED_BACKOFF, delay: config.JOB_RETRY_MS },
});
const CAPPED_BACKOFF = 'capped-exponential';
const RETRY_CAP_MS = 60_000;

/**
 * BullMQ's strategy for CAPPED_BACKOFF (given to every worker): the delay doubles from the job's
 * own `backoff.delay` up to RETRY_CAP_MS, with ±20% jitter so that jobs failed together do not
 * all come back together.
 */
export const backoffStrategy: BackoffStrategy = (attemptsMade, type, _err, job) => {
  const opts = job?.opts.backoff;
  const base = typeof opts === 'object' ? (opts.delay ?? 1000) : (opts ?? 1000);
  if (type !== CAPPED_BACKOFF) return base;
  const delay = Math.min(RETRY_CAP_MS, base * 2 ** Math.min(attemptsMade - 1, 30));
  return Math.round(delay * (0.8 + 0.4 * Math.random()));
};
// A delivery is retried for about an hour by default (WEBSUB_RETRY_MS doubling, 8 attempts).
const DELIVERY_ATTEMPTS = 8;

interface JobSpec<S extends z.ZodType> {
  queue: QueueName;
  payload: S;
  /** One job per key waiting or running at a time (BullMQ deduplication); later ones are dropped. */
  dedupId?: (data: z.infer<S>) => string;
  /** A job id: the same id is never queued twice, even after it ran (kept for removeOnComplete's count). */
  jobId?: (data: z.infer<S>) => string;
  options?: (config: Config) => JobsOptions;
}

const job = <S extends z.ZodType>(spec: JobSpec<S>) => spec;

export const JOBS = {
  'poll-due-feeds': job({ queue: 'schedule', payload: nothing }),
  'prune-items': job({ queue: 'schedule', payload: nothing }),
  'group-left-overs': job({ queue: 'schedule', payload: nothing }),
  'release-lost-claims': job({ queue: 'schedule', payload: nothing }),
  'refresh-feed': job({
    queue: 'refresh',
    payload: z.object({ feedId: id }),
    dedupId: (d) => `feed:${d.feedId}`,
    options: RETRIED,
  }),
  'group-stories': job({
    queue: 'stories',
    payload: z.object({ feedId: id }),
    dedupId: (d) => `stories:${d.feedId}`,
    options: RETRIED,
  }),
  'vacuum-busy-tables': job({ queue: 'stories', payload: nothing, dedupId: () => 'vacuum-busy-tables' }),
  'retag-topic': job({
    queue: 'retag',
    payload: z.object({ topicId: id, version: z.number().int().nonnegative() }),
    dedupId: (d) => `retag:${d.topicId}:${d.version}`,
    options: RETRIED,
  }),
  'index-search': job({ queue: 'retag', payload: nothing, dedupId: () => 'index-search', options: RETRIED }),
  'websub-verify': job({ queue: 'push', payload: webSubIntent, options: RETRIED }),
  'websub-fanout': job({ queue: 'push', payload: nothing, dedupId: () => 'websub-fanout', options: RETRIED }),
  'websub-deliver': job({
    queue: 'push',
    // entryId is optional only for deliveries queued before it was part of the payload.
    payload: z.object({ subscriptionId: id, entryId: id.optional(), itemIds: z.array(id).min(1) }),
    // An outbox entry handed out twice (a crash before its deletion) is delivered once.
    jobId: (d) => `deliver-${d.entryId}-${d.subscriptionId}`,
    options: (config) => ({
      attempts: DELIVERY_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.WEBSUB_RETRY_MS },
    }),
  }),
  'webhook-deliver': job({
    queue: 'push',
    // itemIds: the new stories (their first item in the topic), oldest first.
    payload: z.object({ webhookId: id, entryId: id, itemIds: z.array(id).min(1) }),
    jobId: (d) => `hook-${d.entryId}-${d.webhookId}`,
    options: (config) => ({
      attempts: DELIVERY_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.WEBHOOK_RETRY_MS },
    }),
  }),
};

export type JobName = keyof typeof JOBS;
export type JobData = { [K in JobName]: z.infer<(typeof JOBS)[K]['payload']> };
/** A job to queue: its name and payload, typed together; `delayMs` holds it back that long. */
export type JobRequest = { [K in JobName]: { name: K; data: JobData[K]; delayMs?: number } }[JobName];

export const jobRequest = <K extends JobName>(name: K, data: JobData[K], delayMs?: number) =>
  ({ name, data, ...(delayMs ? { delayMs } : {}) }) as JobRequest;

/** What is queued when a piece of work is done (the arrows of the graph above). */
export const FOLLOW_UPS = {
  /** A poll stored items: group the new ones into stories, and push them to subscribers of their topics. */
  afterPoll: (feedId: number, { inserted, pushes }: { inserted: number; pushes: number }): JobRequest[] => [
    ...(inserted > 0 ? [jobRequest('group-stories', { feedId })] : []),
    ...(pushes > 0 ? [jobRequest('websub-fanout', {})] : []),
  ],
  /** A topic was created or its rule changed: apply it to the stored items. */
  afterTopicChange: (topic: { id: number; version: number }): JobRequest[] => [
    jobRequest('retag-topic', { topicId: topic.id, version: topic.version }),
  ],
  /** Items were grouped into stories: the outbox entries that waited for them can go out. */
  afterGrouping: (grouped: number): JobRequest[] => (grouped > 0 ? [jobRequest('websub-fanout', {})] : []),
  /**
   * An outbox entry was taken: its new items to each live WebSub subscriber of the topic, its new
   * stories to each enabled webhook.
   */
  afterFanOut: (
    entryId: number,
    { itemIds, storyItemIds }: { itemIds: number[]; storyItemIds: number[] },
    { subscriptionIds, webhookIds }: { subscriptionIds: number[]; webhookIds: number[] },
  ): JobRequest[] => [
    ...subscriptionIds.map((subscriptionId) => jobRequest('websub-deliver', { subscriptionId, entryId, itemIds })),
    ...(storyItemIds.length
      ? webhookIds.map((webhookId) => jobRequest('webhook-deliver', { webhookId, entryId, itemIds: storyItemIds }))
      : []),
  ],
  /** Feeds have items that no grouping job took: one each (deduplicated with any already queued). */
  afterLeftOversFound: (feedIds: number[]): JobRequest[] =>
    feedIds.map((feedId) => jobRequest('group-stories', { feedId })),
  /** The scheduler tick found due feeds: one poll each, those of one host `spacingMs` apart. */
  afterPollDue: (due: { id: number; host: string }[], spacingMs: number): JobRequest[] => {
    const perHost = new Map<string, number>();
    return due.map(({ id: feedId, host }) => {
      const nth = perHost.get(host) ?? 0;
      perHost.set(host, nth + 1);
      return jobRequest('refresh-feed', { feedId }, nth * spacingMs);
    });
  },
};

const VACUUM_EVERY_MS = 30_000;
// Items whose grouping job was lost (Redis away when it was queued, retries spent while the
// database was) wait at most this long, not until the daily sweep.
const LEFT_OVERS_EVERY_MS = 30_000;
// A feed claimed for a poll that was never queued (the claim committed, its answer lost) waits at
// most this long after the claim's grace period, not until its lease runs out.
const LOST_CLAIMS_EVERY_MS = 30_000;

/** A recurring job: BullMQ job schedulers, upserted at start and again whenever Redis lost them. */
export interface Schedule {
  id: string;
  job: JobRequest;
  repeat: Omit<RepeatOptions, 'key'>;
}

export function schedules(config: Config): Schedule[] {
  return [
    {
      id: 'poll-due-feeds',
      job: jobRequest('poll-due-feeds', {}),
      repeat: { every: config.SCHEDULER_EVERY_MS },
    },
    { id: 'group-left-overs', job: jobRequest('group-left-overs', {}), repeat: { every: LEFT_OVERS_EVERY_MS } },
    { id: 'release-lost-claims', job: jobRequest('release-lost-claims', {}), repeat: { every: LOST_CLAIMS_EVERY_MS } },
    { id: 'prune-items', job: jobRequest('prune-items', {}), repeat: { pattern: '17 3 * * *', tz: 'UTC' } },
    { id: 'vacuum-busy-tables', job: jobRequest('vacuum-busy-tables', {}), repeat: { every: VACUUM_EVERY_MS } },
    // Pushes are queued right after each poll; this picks up what a crash left in the outbox.
    {
      id: 'websub-fanout',
      job: jobRequest('websub-fanout', {}),
      repeat: { every: config.SCHEDULER_EVERY_MS * 6 },
    },
  ];
}

/** The options a job is queued with: its spec's, its deduplication or job id. */
export function jobOptions(request: JobRequest, config: Config): JobsOptions {
  const spec = JOBS[request.name] as JobSpec<z.ZodType>;
  return {
    ...spec.options?.(config),
    ...(spec.dedupId ? { deduplication: { id: spec.dedupId(request.data) } } : {}),
    ...(spec.jobId ? { jobId: spec.jobId(request.data) } : {}),
    ...(request.delayMs ? { delay: request.delayMs } : {}),
  };
}

/** A payload checked against its job's schema; a ZodError names what is wrong. */
export function checkedPayload<K extends JobName>(name: K, data: unknown): JobData[K] {
  return JOBS[name].payload.parse(data) as JobData[K];
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}
