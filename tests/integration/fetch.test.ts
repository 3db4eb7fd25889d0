import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

const rss = (title: string) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><item><guid>${title}-1</guid><title>${title}</title></item></channel></rss>`;

describe('fetching feeds that push back', () => {
  let h: Harness;
  let feeds: FeedServer;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness({ FETCH_MAX_BYTES: '20000' });
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  // Subscribed even though it fails today (force): its first poll records the failure, as a
  // worker's poll would; the later ones are the workers'.
  const add = async (path: string) =>
    (await h.api('POST', '/api/v1/feeds', { url: feeds.url(path), force: true })).body.feed.id as number;
  const feedRow = async (id: number) => (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed;
  const settled = (id: number) =>
    eventually(
      async () => {
        const f = await feedRow(id);
        return f.status !== 'new' ? f : null;
      },
      10_000,
      'first poll',
    );

  it('when the body is larger than the limit, then the feed is failing and says why', async () => {
    feeds.set('/huge.rss', { body: rss('Huge') + ' '.repeat(50_000) });
    const f = await settled(await add('/huge.rss'));
    expect(f).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/over the limit of 20000 bytes/) });
  });

  it('when a small gzip body inflates past the limit, then it is stopped while inflating', async () => {
    const bomb = gzipSync(Buffer.from(rss('Bomb') + '<!--' + 'A'.repeat(5_000_000) + '-->'));
    expect(bomb.length).toBeLessThan(20_000);
    feeds.set('/bomb.rss', { body: bomb, headers: { 'content-encoding': 'gzip' } });
    const f = await settled(await add('/bomb.rss'));
    expect(f).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/after decompression/) });
  });

  it('when a gzip body is within the limit, then it is read', async () => {
    feeds.set('/small-gzip.rss', {
      body: gzipSync(Buffer.from(rss('Zipped'))),
      headers: { 'content-encoding': 'gzip' },
    });
    const id = await add('/small-gzip.rss');
    expect(await settled(id)).toMatchObject({ status: 'ok', title: 'Zipped' });
  });

  it('when a feed moved permanently (301), then its stored URL follows; a temporary redirect (302) leaves it', async () => {
    feeds.set('/old.rss', { status: 301, headers: { location: '/new.rss' } });
    feeds.set('/new.rss', { body: rss('Moved') });
    feeds.set('/temp.rss', { status: 302, headers: { location: '/new.rss' } });
    const moved = await settled(await add('/old.rss'));
    expect(moved).toMatchObject({ status: 'ok', url: feeds.url('/new.rss') });
    const temp = await settled(await add('/temp.rss'));
    expect(temp).toMatchObject({ status: 'ok', url: feeds.url('/temp.rss') });
  });

  it('when a feed moves for good to the address of another subscription, then adding it answers that feed, and polling it keeps its own address', async () => {
    feeds.set('/home.rss', { body: rss('Home') });
    const home = await settled(await add('/home.rss'));
    feeds.set('/alias.rss', { status: 301, headers: { location: '/home.rss' } });
    const added = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/alias.rss') });
    expect(added).toMatchObject({ status: 200, body: { created: false, feed: { id: home.id } } });

    feeds.set('/later.rss', { body: rss('Later') });
    const later = await settled(await add('/later.rss'));
    feeds.set('/later.rss', { status: 308, headers: { location: '/home.rss' } });
    expect((await h.api('POST', `/api/v1/feeds/${later.id}/refresh`)).status).toBe(202);
    await eventually(async () => (await feedRow(later.id)).lastPolledAt !== later.lastPolledAt, 10_000, 'polled');
    expect(await feedRow(later.id)).toMatchObject({ status: 'ok', url: feeds.url('/later.rss'), errorCount: 0 });
  });

  it('when a feed is gone (410), then it is disabled with the reason, and a refresh enables it again', async () => {
    feeds.set('/gone.rss', { status: 410, body: 'gone' });
    const id = await add('/gone.rss');
    const gone = await settled(id);
    expect(gone).toMatchObject({ status: 'disabled', disabledReason: expect.stringMatching(/410/) });

    feeds.set('/gone.rss', { body: rss('Back') });
    expect((await h.api('POST', `/api/v1/feeds/${id}/refresh`)).status).toBe(202);
    await eventually(async () => (await feedRow(id)).status === 'ok', 10_000, 'feed back');
  });

  it('when a server answers 429 with Retry-After, then the next poll waits at least that long', async () => {
    feeds.set('/busy.rss', { status: 429, headers: { 'retry-after': '7200' } });
    const f = await settled(await add('/busy.rss'));
    expect(f.status).toBe('failing');
    expect(new Date(f.nextPollAt).getTime() - Date.now()).toBeGreaterThan(7000 * 1000);
    // BullMQ's own retry (10 s later) must not knock again before then.
    const asked = feeds.requestsTo('/busy.rss').length;
    await new Promise((r) => setTimeout(r, 11_000));
    expect(feeds.requestsTo('/busy.rss')).toHaveLength(asked);
  });

  it.each([
    ['items an hour apart', {}, 1800],
    ['an RSS ttl of 3 hours', { ttl: 180 }, 10800],
    ['Cache-Control: max-age of 4 hours', { maxAge: 14400 }, 14400],
  ])(
    'when a feed has %s, then its next poll follows',
    async (name, opts: { ttl?: number; maxAge?: number }, expected) => {
      const path = `/rhythm-${name.replace(/\W/g, '')}.rss`;
      const items = Array.from(
        { length: 6 },
        (_, i) =>
          `<item><guid>r${i}</guid><title>R${i}</title><pubDate>${new Date(Date.UTC(2026, 0, 1, i)).toUTCString()}</pubDate></item>`,
      ).join('');
      feeds.set(path, {
        body: `<rss version="2.0"><channel><title>Rhythm</title>${opts.ttl ? `<ttl>${opts.ttl}</ttl>` : ''}${items}</channel></rss>`,
        headers: opts.maxAge ? { 'cache-control': `max-age=${opts.maxAge}` } : {},
      });
      const f = await settled(await add(path));
      const inSeconds = (new Date(f.nextPollAt).getTime() - Date.now()) / 1000;
      expect(inSeconds).toBeGreaterThan(expected * 0.88);
      expect(inSeconds).toBeLessThan(expected * 1.12);
    },
  );

  it('when a feed keeps failing past the configured run and days, then it is disabled, and PATCH enables it again', async () => {
    const quick = await startHarness({ DISABLE_AFTER_FAILURES: '1', DISABLE_AFTER_DAYS: '0' });
    try {
      feeds.set('/broken.rss', { status: 500, body: 'down' });
      const id = (await quick.api('POST', '/api/v1/feeds', { url: feeds.url('/broken.rss'), force: true })).body.feed
        .id;
      const off = await eventually(
        async () => {
          const f = (await quick.api('GET', `/api/v1/feeds/${id}`)).body.feed;
          return f.status === 'disabled' ? f : null;
        },
        10_000,
        'disabled',
      );
      expect(off.disabledReason).toMatch(/1 failures in a row over 0 days; last error: HTTP 500/);

      feeds.set('/broken.rss', { body: rss('Fixed') });
      expect((await quick.api('PATCH', `/api/v1/feeds/${id}`, { enabled: true })).status).toBe(200);
      await eventually(
        async () => (await quick.api('GET', `/api/v1/feeds/${id}`)).body.feed.status === 'ok',
        10_000,
        'enabled and polled',
      );
    } finally {
      await quick.stop();
    }
  });

  it('when a site page is added, then the feed it advertises is subscribed, or listed when asked', async () => {
    feeds.set('/site/', {
      contentType: 'text/html; charset=utf-8',
      body: '<html><head><link rel="alternate" type="application/atom+xml" href="feeds/all.atom"></head><body>hi</body></html>',
    });
    feeds.set('/site/feeds/all.atom', {
      contentType: 'application/atom+xml',
      body: '<feed xmlns="http://www.w3.org/2005/Atom"><title>Site</title><entry><id>e1</id><title>One</title></entry></feed>',
    });
    const listed = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/site/'), discover: true });
    expect(listed.body).toEqual({
      feeds: [{ url: feeds.url('/site/feeds/all.atom'), title: '', type: 'application/atom+xml' }],
    });

    const added = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/site/') });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      created: true,
      discoveredFrom: feeds.url('/site/'),
      feed: { url: feeds.url('/site/feeds/all.atom') },
    });
    expect(await settled(added.body.feed.id)).toMatchObject({ status: 'ok', title: 'Site' });

    const again = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/site/') });
    expect(again.body).toMatchObject({ created: false, feed: { id: added.body.feed.id } });
  });

  it('when a page advertises no feed, then adding it is refused with a reason', async () => {
    feeds.set('/plain.html', {
      contentType: 'text/html',
      body: '<!DOCTYPE html><html><head><title>x</title></head><body>no feed</body></html>',
    });
    const res = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/plain.html') });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'no_feed_found' });
  });

  it('when many feeds of one host are polled at once, then at most HOST_CONCURRENCY requests reach it together', async () => {
    const polite = await startHarness({ HOST_CONCURRENCY: '2', WORKER_CONCURRENCY: '8', HOST_SPACING_MS: '0' });
    const host = await new FeedServer().start();
    try {
      for (let i = 0; i < 10; i++) host.set(`/slow-${i}.rss`, { body: rss(`Slow${i}`), delayMs: 300 });
      // One OPML import adds all ten at once (adding one by one would fetch each page inline too).
      const opml = `<opml version="2.0"><body>${Array.from({ length: 10 }, (_, i) => `<outline text="s${i}" xmlUrl="${host.url(`/slow-${i}.rss`)}"/>`).join('')}</body></opml>`;
      const ids = (
        (await polite.api('POST', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' })).body.added as any[]
      ).map((a) => a.id);
      expect(ids).toHaveLength(10);
      await eventually(
        async () => {
          const all = (await polite.api('GET', '/api/v1/feeds')).body.feeds as any[];
          return all.filter((f) => ids.includes(f.id) && f.status === 'ok').length === 10;
        },
        20_000,
        'all ten polled',
      );
      expect(host.maxActive).toBeLessThanOrEqual(2);
    } finally {
      await polite.stop();
      await host.stop();
    }
  });

  it('when a feed on an allowed address redirects into a private one, then the hop is refused and the feed marked failing', async () => {
    const guarded = await startHarness({ FETCH_ALLOW_PRIVATE: 'false', FETCH_ALLOW_ADDRESSES: '127.0.0.1' });
    try {
      const port = new URL(feeds.origin).port;
      // The guard refuses each before any connection is attempted.
      const targets = [
        `http://127.0.0.2:${port}/new.rss`,
        `http://[::1]:${port}/new.rss`,
        'http://169.254.169.254/latest/meta-data',
        'http://10.0.0.1/feed',
      ];
      const row = async (id: number) => (await guarded.api('GET', `/api/v1/feeds/${id}`)).body.feed;
      // The feed is reached through a name (localhost) that resolves to the one allowed address.
      const viaName = (path: string) => `http://localhost:${port}${path}`;
      for (const [i, target] of targets.entries()) {
        // Redirecting inward when it is added: refused at once, with the reason.
        feeds.set(`/inward-${i}.rss`, { status: 302, headers: { location: target } });
        const refused = await guarded.api('POST', '/api/v1/feeds', { url: viaName(`/inward-${i}.rss`) });
        expect(refused.status).toBe(400);
        expect(refused.body.error.message).toMatch(/private or reserved/);

        // Redirecting inward later: the poll refuses the hop and the feed is marked failing.
        feeds.set(`/inward-${i}.rss`, { body: rss(`Inward${i}`) });
        const added = await guarded.api('POST', '/api/v1/feeds', { url: viaName(`/inward-${i}.rss`) });
        expect(added.status).toBe(201);
        await eventually(async () => (await row(added.body.feed.id)).status === 'ok', 10_000, 'first poll');
        feeds.set(`/inward-${i}.rss`, { status: 302, headers: { location: target } });
        await guarded.api('POST', `/api/v1/feeds/${added.body.feed.id}/refresh`);
        const f = await eventually(
          async () => {
            const r = await row(added.body.feed.id);
            return r.status === 'failing' ? r : null;
          },
          10_000,
          'refused hop',
        );
        expect(f.lastError).toMatch(/private or reserved/);
      }
      // The allowed feed itself still works.
      feeds.set('/allowed.rss', { body: rss('Allowed') });
      const ok = await guarded.api('POST', '/api/v1/feeds', { url: viaName('/allowed.rss') });
      await eventually(
        async () => (await guarded.api('GET', `/api/v1/feeds/${ok.body.feed.id}`)).body.feed.status === 'ok',
        10_000,
        'allowed feed polled',
      );
    } finally {
      await guarded.stop();
    }
  });

  it('when a server sends one byte at a time, then the whole-response deadline stops it', async () => {
    const drip = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const body = rss('Drip');
      let i = 0;
      const timer = setInterval(
        () => (i < body.length ? res.write(body[i++]!) : (clearInterval(timer), res.end())),
        200,
      );
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => drip.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(drip.address() as AddressInfo).port}/drip.rss`;
      const id = (await h.api('POST', '/api/v1/feeds', { url, force: true })).body.feed.id;
      const f = await eventually(
        async () => {
          const row = await feedRow(id);
          return row.status === 'failing' ? row : null;
        },
        15_000,
        'drip refused',
      );
      expect(f.lastError).toMatch(/no complete response within 1500 ms/);
    } finally {
      drip.closeAllConnections();
      drip.close();
    }
  });

  it('when private addresses are not allowed, then adding a feed on one is refused with a reason', async () => {
    const strict = await startHarness({ FETCH_ALLOW_PRIVATE: 'false' });
    try {
      for (const url of [
        feeds.url('/new.rss'),
        'http://localhost:9/feed',
        'http://[::1]/feed',
        'http://169.254.169.254/latest/meta-data',
      ]) {
        const res = await strict.api('POST', '/api/v1/feeds', { url });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          code: 'blocked_address',
          message: expect.stringMatching(/private or reserved/),
        });
      }

      // An OPML import refuses private IP literals at once; a host name is resolved at its first
      // poll (not while the import's request waits), which the guard then refuses.
      const opml = `<opml version="2.0"><body>
        <outline text="literal" xmlUrl="http://169.254.169.254/feed"/>
        <outline text="named" xmlUrl="http://localhost:65000/named.rss"/>
      </body></opml>`;
      const imported = await strict.api('POST', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' });
      expect(imported.body.refused).toEqual([
        { url: 'http://169.254.169.254/feed', reason: expect.stringMatching(/private or reserved/) },
      ]);
      expect(imported.body.added.map((a: any) => a.url)).toEqual(['http://localhost:65000/named.rss']);
      const named = await eventually(
        async () => {
          const feed = (await strict.api('GET', `/api/v1/feeds/${imported.body.added[0].id}`)).body.feed;
          return feed.lastErrorCode ? feed : null;
        },
        10_000,
        'the first poll of the named feed',
      );
      expect(named.lastErrorCode).toBe('blocked_address');
    } finally {
      await strict.stop();
    }
  });
});
