import { Queue } from 'bullmq';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS_LOCK } from '../../src/db/topics.repository.js';
import { FeedServer } from '../helpers/feed-server.js';
import { dropRedisPrefix, eventually, startHarness, type Harness } from '../helpers/harness.js';
import { OwnRedis } from '../helpers/services.js';
import { appContext } from '../helpers/app-context.js';
import { afterGivingUp } from '../../src/workers/handlers.js';
import { LEASE_SECONDS, pollDueFeeds, releaseLostClaims } from '../../src/app/maintenance.js';
import { loadConfig } from '../../src/config.js';
import { insertFeed } from '../../src/db/feeds.repository.js';
import { createTestDb } from '../helpers/test-db.js';
import { jobRequest, type JobRequest } from '../../src/queue/job-graph.js';
import { createQueues, queueSink } from '../../src/queue/queues.js';
import { createLogger } from '../../src/logger.js';
import { Redis } from 'ioredis';

const rss = (guids: string[]) => `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Steady</title><link>http://steady.test/</link>
${guids.map((g) => `<item><guid>${g}</guid><title>Item ${g}</title><link>http://steady.test/${g}</link></item>`).join('\n')}
</channel></rss>`;

describe('when the infrastructure fails under a running service', () => {
  const redis = new OwnRedis();
  let feeds: FeedServer;
  let h: Harness;

  beforeAll(async () => {
    await redis.start();
    feeds = await new FeedServer().start();
    h = await startHarness({ REDIS_URL: redis.url, JOB_RETRY_MS: '200' });
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
    await redis.stop();
  });

  const requestsTo = (path: string) => feeds.requests.filter((r) => r.path === path).length;
  const feedRow = async (id: number) => (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed;

  it('when Redis loses its data, then the schedules come back and polling resumes within a scheduler interval, claimed feeds included', async () => {
    feeds.set('/steady.rss', { body: rss(['a']) });
    feeds.set('/claimed.rss', { body: rss(['b']) });
    const steady = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/steady.rss') })).body.feed.id;
    const claimed = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/claimed.rss') })).body.feed.id;
    expect(requestsTo('/steady.rss')).toBe(1);

    await redis.flush();
    // One feed due, one claimed by a scheduler whose poll job vanished with the data.
    await h.db.updateTable('feeds').set({ next_poll_at: new Date() }).where('id', '=', steady).execute();
    await h.db
      .updateTable('feeds')
      .set({ next_poll_at: new Date(Date.now() + 600_000), claimed_until: new Date(Date.now() + 600_000) })
      .where('id', '=', claimed)
      .execute();
    const flushedAt = Date.now();
    await eventually(async () => requestsTo('/steady.rss') >= 2, 10_000, 'the due feed polled again');
    await eventually(async () => requestsTo('/claimed.rss') >= 2, 10_000, 'the claimed feed polled again');
    // SCHEDULER_EVERY_MS is 200 in the harness: noticing, re-creating and polling take a few ticks.
    expect(Date.now() - flushedAt).toBeLessThan(5_000);

    const push = new Queue('push', { connection: { url: redis.url }, prefix: h.config.QUEUE_PREFIX });
    try {
      expect(await push.getJobScheduler('websub-fanout')).toBeDefined();
    } finally {
      await push.close();
    }
  });

  it('when a job arrives with a payload that does not fit it, then it fails for good, naming the field, and the worker goes on', async () => {
    const refresh = new Queue('refresh', { connection: { url: redis.url }, prefix: h.config.QUEUE_PREFIX });
    try {
      const job = await refresh.add('refresh-feed', { feedId: 'not-a-number' });
      const failed = await eventually(
        async () => {
          const state = await refresh.getJob(job.id!);
          return state?.failedReason ? state : null;
        },
        10_000,
        'the job failed',
      );
      expect(failed.failedReason).toMatch(/invalid payload.*feedId/s);
      expect(failed.attemptsMade).toBe(1);
    } finally {
      await refresh.close();
    }
  });

  it('when every database connection is terminated in the middle of a poll, then the poll is retried, its items stored, and the feed stays healthy', async () => {
    feeds.set('/mid-poll.rss', { body: rss(['m1']) });
    const id = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/mid-poll.rss') })).body.feed.id;
    feeds.set('/mid-poll.rss', { body: rss(['m1', 'm2', 'm3']) });

    // Hold the topics lock so that the poll's store transaction waits inside itself, then cut
    // every other connection to the database: the poll loses its transaction half way.
    const holder = new pg.Client({ connectionString: new URL(h.config.DATABASE_URL).href });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [TOPICS_LOCK]);
      expect((await h.api('POST', `/api/v1/feeds/${id}/refresh`)).status).toBe(202);
      const database = new URL(h.config.DATABASE_URL).pathname.slice(1);
      await eventually(
        async () =>
          (
            await holder.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
              [database],
            )
          ).rows[0].n > 0,
        10_000,
        'the poll waiting inside its transaction',
      );
      const killed = await holder.query(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      expect(killed.rows[0].n).toBeGreaterThan(0);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }

    // The test's own pool lost its connections too: a query may meet one not yet known dead.
    const stored = () =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM items WHERE feed_id = ${id}`.execute(h.db).then(
        (r) => r.rows[0]!.n,
        () => -1,
      );
    await eventually(async () => (await stored()) === 3, 15_000, 'the items stored by the retried poll');
    const feed = await feedRow(id);
    expect(feed).toMatchObject({
      status: 'ok',
      errorCount: 0,
      lastError: null,
      lastErrorCode: null,
      disabledReason: null,
    });
  });

  it('when Redis is down, then adding a feed still answers 201 with its first poll stored, and polling goes on once Redis is back', async () => {
    feeds.set('/while-redis-down.rss', { body: rss(['r1', 'r2']) });
    await redis.stop();
    try {
      const added = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/while-redis-down.rss') });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect(added.body.firstPoll).toMatchObject({ result: 'stored', inserted: 2 });
      const items = await h.api('GET', `/api/v1/items?feed=${added.body.feed.id}&stories=false`);
      expect(items.body.items).toHaveLength(2);
      // Without Redis the API is not ready, and says so.
      expect((await h.api('GET', '/readyz')).status).toBe(503);
    } finally {
      await redis.start();
    }
    await eventually(async () => (await h.api('GET', '/readyz')).status === 200, 15_000, 'ready again');
  });

  it('when a poll job gives up for good, then its feed is due again at once, not claimed until its lease runs out', async () => {
    feeds.set('/gave-up.rss', { body: rss(['g1']) });
    const id = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/gave-up.rss') })).body.feed.id;
    const lease = new Date(Date.now() + 600_000);
    await h.db.updateTable('feeds').set({ claimed_until: lease, next_poll_at: lease }).where('id', '=', id).execute();
    // Released and read in one transaction: the running scheduler (a tick every 200 ms) claims a
    // due feed at once, but skips a row locked by a write not yet committed.
    const row = await h.db.transaction().execute(async (trx) => {
      await afterGivingUp(appContext(trx, h.config), { name: 'refresh-feed', data: { feedId: id } });
      return trx
        .selectFrom('feeds')
        .select(['claimed_until', 'next_poll_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    });
    expect(row.claimed_until).toBeNull();
    expect(row.next_poll_at.getTime()).toBeLessThanOrEqual(Date.now());
    // The scheduler takes it up at its next tick.
    await eventually(async () => requestsTo('/gave-up.rss') >= 2, 10_000, 'the feed polled again');
  });
});

describe('the scheduler tick when Redis refuses', () => {
  it('when due feeds are claimed but their jobs cannot be queued, then the claims are handed back at once', async () => {
    const { db, drop } = await createTestDb();
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent' });
      const { feed } = await insertFeed(db, 'https://refused.example/feed', 900);
      await db
        .updateTable('feeds')
        .set({ next_poll_at: new Date(0) })
        .where('id', '=', feed.id)
        .execute();
      const claimOf = async () =>
        (await db.selectFrom('feeds').select('claimed_until').where('id', '=', feed.id).executeTakeFirstOrThrow())
          .claimed_until;
      const refusing = {
        ...appContext(db, config),
        jobs: {
          pending: async () => false,
          // Redis goes away between the claim and the polls' jobs.
          enqueue: async (...jobs: JobRequest[]) => {
            if (jobs.some((j) => j.name === 'refresh-feed')) throw new Error('Redis refused');
          },
        },
      };
      await expect(pollDueFeeds(refusing)).rejects.toThrow('Redis refused');
      expect(await claimOf()).toBeNull();
      // With Redis there, the same tick claims it (for its lease) and queues its poll.
      const ctx = appContext(db, config);
      expect(await pollDueFeeds(ctx)).toBe(1);
      expect(ctx.queued.map((j) => j.name)).toContain('refresh-feed');
      expect((await claimOf())!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await drop();
    }
  });
});

describe('claims whose poll was never queued', () => {
  it('when a feed stays claimed past the grace period with no poll job in the queue, then it is due again; claims with a job, or young, are kept', async () => {
    const { db, drop } = await createTestDb();
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const prefix = `test-lost-claims-${process.pid}`;
    const queues = createQueues(redis, prefix, createLogger('silent'));
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent' });
      const ctx = { ...appContext(db, config), jobs: queueSink(queues, config) };
      const feed = async (name: string, claimedSecondsAgo: number) => {
        const { feed } = await insertFeed(db, `https://${name}.example/feed`, 900);
        await db
          .updateTable('feeds')
          .set({
            claimed_until: sql<Date>`now() + make_interval(secs => ${LEASE_SECONDS - claimedSecondsAgo})`,
            next_poll_at: sql<Date>`now() + make_interval(secs => ${LEASE_SECONDS - claimedSecondsAgo})`,
          })
          .where('id', '=', feed.id)
          .execute();
        return feed.id;
      };
      // The claim committed, its tick's answer lost: no job was queued for it.
      const lost = await feed('lost', 300);
      // Claimed as long ago, its poll waiting in the queue (a host's spacing, a retry's backoff).
      const queued = await feed('queued', 300);
      await ctx.jobs.enqueue({ ...jobRequest('refresh-feed', { feedId: queued }), delayMs: 600_000 });
      // Claimed a moment ago: its job may be on its way, or it is a first poll being made.
      const young = await feed('young', 10);

      expect(await releaseLostClaims(ctx)).toBe(1);
      const rows = await db
        .selectFrom('feeds')
        .select(['id', 'claimed_until', sql<boolean>`next_poll_at <= now()`.as('due')])
        .where('id', 'in', [lost, queued, young])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.id, r.claimed_until === null, r.due])).toEqual([
        [lost, true, true],
        [queued, false, false],
        [young, false, false],
      ]);
      // Nothing more to hand back on the next run.
      expect(await releaseLostClaims(ctx)).toBe(0);
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await dropRedisPrefix(redisUrl, prefix);
      redis.disconnect();
      await drop();
    }
  });
});
