import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

// A feed of N items of a few sentences: ~300 bytes an item, every one distinct; one in ten about Korea.
function bigRss(n: number, edition: string): string {
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    const subject = i % 10 === 0 ? 'North Korea' : `district ${i % 97}`;
    items.push(
      `<item><guid>${edition}-${i}</guid><title>Report ${i} on ${subject}</title><link>http://archive.test/${edition}/${i}</link>` +
        `<description>Number ${i}: the council of ${subject} met on day ${i % 365} and voted ${i % 7} to ${i % 5}.</description>` +
        `<pubDate>${new Date(Date.UTC(2026, 0, 1) + i * 60_000).toUTCString()}</pubDate></item>`,
    );
  }
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Archive ${edition}</title><link>http://archive.test/</link>${items.join('')}</channel></rss>`;
}

// Feeds that list their whole archive: once beyond ~3,450 items the single upsert statement went
// past PostgreSQL's 65,535 parameters and nothing was ever stored (issue 17). Items are written
// in batches of a bounded size; every one is stored once and tagged.
describe('feeds with tens of thousands of items', () => {
  let h: Harness;
  let server: FeedServer;

  beforeAll(async () => {
    server = await new FeedServer().start();
    h = await startHarness({ FETCH_MAX_BYTES: String(64 * 2 ** 20), FETCH_TIMEOUT_MS: '60000' });
    expect(
      (await h.api('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: '"north korea"' })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it.each([10_000, 50_000])(
    'when a feed lists %i items, then every item is stored once and tagged, and a re-poll stores none again',
    async (n) => {
      const path = `/archive-${n}.rss`;
      server.set(path, { body: bigRss(n, String(n)), contentType: 'application/rss+xml' });
      const added = await h.api('POST', '/api/v1/feeds', { url: server.url(path) });
      expect(added.status, JSON.stringify(added.body).slice(0, 500)).toBe(201);
      expect(added.body.firstPoll).toMatchObject({ result: 'stored', items: n, inserted: n });
      const feedId = added.body.feed.id as number;

      const counts = async () =>
        (
          await sql<{ items: number; distinct: number; tagged: number }>`
            SELECT count(*)::int AS items, count(DISTINCT guid)::int AS distinct,
                   (SELECT count(*)::int FROM item_topics t JOIN items i ON i.id = t.item_id WHERE i.feed_id = ${feedId}) AS tagged
            FROM items WHERE feed_id = ${feedId}`.execute(h.db)
        ).rows[0]!;
      expect(await counts()).toEqual({ items: n, distinct: n, tagged: n / 10 });

      // The same document again (no validators): nothing new, nothing doubled, the feed healthy.
      const before = (await h.api('GET', `/api/v1/feeds/${feedId}`)).body.feed.lastPolledAt;
      expect((await h.api('POST', `/api/v1/feeds/${feedId}/refresh`)).status).toBe(202);
      const feed = await eventually(
        async () => {
          const f = (await h.api('GET', `/api/v1/feeds/${feedId}`)).body.feed;
          return f.lastPolledAt !== before ? f : null;
        },
        120_000,
        'the re-poll',
      );
      expect(feed).toMatchObject({ status: 'ok', lastError: null, errorCount: 0 });
      expect((await counts()).items).toBe(n);
    },
    240_000,
  );
});
