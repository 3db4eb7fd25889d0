import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFeed } from '../../src/app/ingestion.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { claimDueFeeds, getFeed, insertFeed, markFeedPolled } from '../../src/db/feeds.repository.js';
import { hostOf } from '../../src/pipeline/fetch/host-of.js';
import { HostBusyError, HostLimiter } from '../../src/queue/host-limiter.js';
import { deleteKeysUnder } from '../../src/queue/redis.js';
import * as addFeedHost from '../../migrations/20261213_000001_add_feed_host.js';
import { appContext } from '../helpers/app-context.js';
import { FeedServer } from '../helpers/feed-server.js';
import { createTestDb } from '../helpers/test-db.js';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t.test/</link>
<item><guid>1</guid><title>One</title><link>http://t.test/1</link></item></channel></rss>`;

describe('host leases for feeds alone on their host', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let server: FeedServer;
  let redis: Redis;
  const prefix = `test-host-lease-${process.pid}`;
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

  it("when feeds are claimed, then each comes with its host and the count of its host's enabled feeds", async () => {
    const ids = async (...urls: string[]) => Promise.all(urls.map(async (u) => (await insertFeed(db, u, 900)).feed.id));
    const [a1, a2, a3] = await ids('https://A.example/1', 'https://a.example:443/2', 'https://a.example/3');
    const [b1] = await ids('https://b.example:8443/feed');
    await db.updateTable('feeds').set({ disabled_reason: 'by the user' }).where('id', '=', a3!).execute();
    const claimed = await claimDueFeeds(db, 100, 60);
    const byId = new Map(claimed.map((c) => [c.id, c]));
    expect(byId.get(a1!)).toMatchObject({ host: 'a.example', hostFeeds: 2 });
    expect(byId.get(a2!)).toMatchObject({ host: 'a.example', hostFeeds: 2 });
    expect(byId.get(b1!)).toMatchObject({ host: 'b.example:8443', hostFeeds: 1 });
    expect(byId.has(a3!)).toBe(false);

    // A feed that moved takes its new host; one that moved onto another subscription's URL keeps its own.
    await markFeedPolled(db, b1!, { nextPollAt: new Date(), url: 'https://c.example/feed' });
    expect(await getFeed(db, b1!)).toMatchObject({ url: 'https://c.example/feed', host: 'c.example' });
    await markFeedPolled(db, a1!, { nextPollAt: new Date(), url: 'https://c.example/feed' });
    expect(await getFeed(db, a1!)).toMatchObject({ url: 'https://A.example/1', host: 'a.example' });
    await db.deleteFrom('feeds').execute();
  });

  it('when the migration runs on feeds stored without a host, then each gets the host the leases count', async () => {
    const urls = [
      'HTTP://Mixed.Example/x',
      'http://d.example:80/y',
      'https://[::1]:8443/z',
      'http://user:pw@e.example/',
    ];
    for (const url of urls) await insertFeed(db, url, 900);
    await addFeedHost.down(db);
    await addFeedHost.up(db);
    const rows = await db.selectFrom('feeds').select(['url', 'host']).orderBy('id').execute();
    expect(rows.map((r) => r.host)).toEqual(urls.map(hostOf));
    expect(rows.map((r) => r.host)).toEqual(['mixed.example', 'd.example', '[::1]:8443', 'e.example']);
    await db.deleteFrom('feeds').execute();
  });

  it('when a feed is alone on its host, then it is polled while the host is at its limit; with more feeds there than the limit, or none counted, it waits', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://unused/db', FETCH_ALLOW_PRIVATE: 'true' });
    const ctx = appContext(db, config);
    const hosts = new HostLimiter(redis, prefix, 2, 60_000);
    server.set('/alone.rss', { body: rss, etag: '"v1"' });
    const { feed } = await insertFeed(db, server.url('/alone.rss'), 900);
    const host = hostOf(feed.url);
    // Two polls of other feeds of the host (a moment ago, or by another worker) hold its leases.
    const held = [await hosts.tryAcquire(host), await hosts.tryAcquire(host)];
    expect(held.every(Boolean)).toBe(true);
    expect(await hosts.tryAcquire(host)).toBeNull();

    expect((await pollFeed(ctx, { feedId: feed.id, hostFeeds: 2 }, hosts)).kind).toBe('stored');
    await expect(pollFeed(ctx, { feedId: feed.id, hostFeeds: 3 }, hosts)).rejects.toBeInstanceOf(HostBusyError);
    await expect(pollFeed(ctx, { feedId: feed.id }, hosts)).rejects.toBeInstanceOf(HostBusyError);

    // A leased poll gives its lease back; one that took none leaves the others' alone.
    await hosts.release(host, held[0]!);
    expect((await pollFeed(ctx, { feedId: feed.id, hostFeeds: 3 }, hosts)).kind).toBe('not-modified');
    expect((await pollFeed(ctx, { feedId: feed.id, hostFeeds: 1 }, hosts)).kind).toBe('not-modified');
    expect(await redis.zcard(`${prefix}:host:${host}`)).toBe(1);
  });
});
