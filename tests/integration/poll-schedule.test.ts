import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFeed } from '../../src/app/ingestion.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { getFeed, insertFeed } from '../../src/db/feeds.repository.js';
import { HostLimiter } from '../../src/queue/host-limiter.js';
import { deleteKeysUnder } from '../../src/queue/redis.js';
import { appContext } from '../helpers/app-context.js';
import { FeedServer } from '../helpers/feed-server.js';
import { createTestDb } from '../helpers/test-db.js';

// Five items two hours apart: a median gap of 7,200 s, so the next poll comes in ~3,600 s (±10%).
const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Hourly</title><link>http://hourly.test/</link>
${[0, 1, 2, 3, 4]
  .map(
    (n) =>
      `<item><guid>h${n}</guid><title>Item ${n}</title><link>http://hourly.test/${n}</link><pubDate>${new Date(Date.UTC(2026, 11, 1, 2 * n)).toUTCString()}</pubDate></item>`,
  )
  .join('\n')}
</channel></rss>`;

describe('scheduling the next poll', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let server: FeedServer;
  let redis: Redis;
  const prefix = `test-schedule-${process.pid}`;
  beforeAll(async () => {
    ({ db, drop } = await createTestDb());
    server = await new FeedServer().start();
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix).catch(() => {});
    redis.disconnect();
    await server?.stop();
    await drop?.();
  });

  it('when a poll stores items, then their gap is kept on the feed; when the next answers 304, then it is scheduled by that gap without reading the items', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://unused/db',
      POLL_MIN_SECONDS: '60',
      POLL_MAX_SECONDS: '86400',
      FETCH_ALLOW_PRIVATE: 'true',
    });
    const ctx = appContext(db, config);
    const hosts = new HostLimiter(redis, prefix, 2, 60_000);
    server.set('/hourly.rss', { body: rss, etag: '"v1"' });
    const { feed } = await insertFeed(db, server.url('/hourly.rss'), 900);
    const secondsAhead = async () => ((await getFeed(db, feed.id))!.next_poll_at.getTime() - Date.now()) / 1000;

    expect((await pollFeed(ctx, feed.id, hosts)).kind).toBe('stored');
    expect((await getFeed(db, feed.id))!.item_gap_seconds).toBe(7200);
    const afterStore = await secondsAhead();
    expect(afterStore).toBeGreaterThan(3600 * 0.85);
    expect(afterStore).toBeLessThan(3600 * 1.15);

    // The gap recorded on the feed is what a 304 schedules by (the items would say 7,200 s).
    await db.updateTable('feeds').set({ item_gap_seconds: 1200 }).where('id', '=', feed.id).execute();
    expect((await pollFeed(ctx, feed.id, hosts)).kind).toBe('not-modified');
    const after304 = await secondsAhead();
    expect(after304).toBeGreaterThan(600 * 0.85);
    expect(after304).toBeLessThan(600 * 1.15);

    // A feed with no gap recorded (stored before there was one) reads its items once, and keeps it.
    await db.updateTable('feeds').set({ item_gap_seconds: null }).where('id', '=', feed.id).execute();
    expect((await pollFeed(ctx, feed.id, hosts)).kind).toBe('not-modified');
    expect((await getFeed(db, feed.id))!.item_gap_seconds).toBe(7200);
  });
});
