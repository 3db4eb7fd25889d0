import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedReads, jsonResponse } from '../../src/api/cached-reads.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import { createTestDb } from '../helpers/test-db.js';

const rss = (
  titles: string[],
) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Dogs</title><link>http://dogs.test/</link>
${titles.map((t, i) => `<item><guid>d${i}</guid><title>${t}</title><link>http://dogs.test/${i}</link></item>`).join('')}
</channel></rss>`;

describe('reads served again from memory', () => {
  it('when many ask at once, then one answer is built; after any write, the next answer is built anew', async () => {
    const { db, drop } = await createTestDb();
    try {
      await db
        .insertInto('feeds')
        .values({ url: 'https://a.example/feed', interval_seconds: 900, next_poll_at: new Date() })
        .execute();
      const reads = new CachedReads({ db }, 2 ** 20);
      let builds = 0;
      const build = async () => {
        builds++;
        const feed = await db.selectFrom('feeds').select('title').executeTakeFirstOrThrow();
        return jsonResponse({ title: feed.title });
      };
      const answers = await Promise.all(Array.from({ length: 20 }, () => reads.get('k', build)));
      // The first request's look-up, then one shared by the other 19 (other tests' writes elsewhere
      // in the cluster may change the version between them).
      expect(builds).toBeLessThanOrEqual(2);
      expect(new Set(answers.map((a) => a.body.toString()))).toEqual(new Set(['{"title":""}']));

      await db.updateTable('feeds').set({ title: 'Renamed' }).execute();
      const before = builds;
      expect(JSON.parse((await reads.get('k', build)).body.toString())).toEqual({ title: 'Renamed' });
      expect(builds).toBe(before + 1);
    } finally {
      await drop();
    }
  });

  it('when an entry would pass the memory allowed, then the least recently used go first', async () => {
    const { db, drop } = await createTestDb();
    try {
      const reads = new CachedReads({ db }, 8 * 1024);
      const big = (key: string) => reads.get(key, async () => jsonResponse('x'.repeat(900)));
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) await big(key);
      const held = (reads as unknown as { entries: Map<string, unknown>; bytes: number }).entries;
      expect((reads as unknown as { bytes: number }).bytes).toBeLessThanOrEqual(8 * 1024);
      expect([...held.keys()].slice(-3)).toEqual(['h', 'i', 'j']);
      expect(held.has('a')).toBe(false);
    } finally {
      await drop();
    }
  });
});

describe('the read API with its cache', () => {
  let h: Harness;
  const feeds = new FeedServer();

  beforeAll(async () => {
    await feeds.start();
    feeds.set('/dogs.rss', { body: rss(['dogs one', 'dogs two']) });
    h = await startHarness();
    await h.api('POST', '/api/v1/topics', { slug: 'dogs', name: 'Dogs', rule: 'dogs' });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/dogs.rss') });
    await eventually(
      async () => (await h.api('GET', '/api/v1/items?topic=dogs')).body.items.length === 2,
      10_000,
      'the items tagged',
    );
  });
  afterAll(async () => {
    await h?.stop();
    await feeds.stop();
  });

  it('when the stored data changes, then the very next read of a page, a feed or a search shows it', async () => {
    const reads = [
      '/api/v1/items?topic=dogs',
      '/topics/dogs/feed.atom',
      '/topics/dogs/feed.json',
      '/api/v1/items?q=dogs',
    ];
    const first = await Promise.all(reads.map((path) => fetch(h.baseUrl + path)));
    const etags = first.map((r) => r.headers.get('etag'));
    for (const [i, path] of reads.entries()) {
      const again = await fetch(h.baseUrl + path, { headers: { 'if-none-match': etags[i]! } });
      expect([path, again.status]).toEqual([path, 304]);
    }

    await h.db.updateTable('items').set({ title: 'dogs renamed' }).where('guid', '=', 'd0').execute();
    for (const [i, path] of reads.entries()) {
      const after = await fetch(h.baseUrl + path, { headers: { 'if-none-match': etags[i]! } });
      expect([path, after.status]).toEqual([path, 200]);
      expect(await after.text()).toContain('dogs renamed');
    }
  });

  it('when a read is answered 304, then it carries its validators and caching headers, and the security headers only come with a body', async () => {
    const full = await fetch(`${h.baseUrl}/topics/dogs/feed.atom`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(full.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = full.headers.get('etag')!;
    const again = await fetch(`${h.baseUrl}/topics/dogs/feed.atom`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('last-modified')).toBe(full.headers.get('last-modified'));
    expect(again.headers.get('cache-control')).toBe(full.headers.get('cache-control'));
    expect(again.headers.get('vary')).toBe(full.headers.get('vary'));
    expect(again.headers.get('x-request-id')).toBeTruthy();
    for (const name of [
      'content-security-policy',
      'x-content-type-options',
      'x-frame-options',
      'content-type',
      'link',
    ]) {
      expect([name, again.headers.get(name)]).toEqual([name, null]);
    }
    // Every other answer with a body carries them: an error, a conditional request that is not
    // answered 304, a page of the web app.
    const missing = await fetch(`${h.baseUrl}/topics/no-such-topic/feed.atom`, { headers: { 'if-none-match': etag } });
    const stale = await fetch(`${h.baseUrl}/topics/dogs/feed.rss`, { headers: { 'if-none-match': etag } });
    const page = await fetch(`${h.baseUrl}/`);
    for (const res of [missing, stale, page]) {
      expect(res.status).not.toBe(304);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('when the same feed is asked for through another host name, then its links name that host, not the cached one', async () => {
    const atom = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get(`${h.baseUrl}/topics/dogs/feed.atom`, { headers: { host } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
      });
    expect(await atom('one.example')).toContain('http://one.example/topics/dogs/feed.atom');
    expect(await atom('two.example')).toContain('http://two.example/topics/dogs/feed.atom');
  });
});
