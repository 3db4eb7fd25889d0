import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, TOKEN, type Harness } from '../helpers/harness.js';

const manyItems = (
  n: number,
) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title><link>http://many.test/</link>
${Array.from({ length: n }, (_, i) => `<item><guid>m${i}</guid><title>Item ${i} about ${i % 2 ? 'cats' : 'dogs'}</title><pubDate>${new Date(Date.UTC(2024, 0, 1, 0, i)).toUTCString()}</pubDate></item>`).join('')}
</channel></rss>`;

describe('the HTTP API', () => {
  let h: Harness;
  let feeds: FeedServer;
  let feedId: number;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness();
    feeds.set('/many.rss', { body: manyItems(25) });
    feedId = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/many.rss') })).body.feed.id;
    await eventually(
      async () => (await h.api('GET', `/api/v1/items?feed=${feedId}&limit=200`)).body.items.length === 25,
      10_000,
      'items',
    );
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  it('when Postgres, Redis and the migrations are ready, then /readyz says so', async () => {
    const res = await h.api('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ postgres: 'ok', redis: 'ok', migrations: 'ok' });
    expect((await h.api('GET', '/healthz')).status).toBe(200);
  });

  it.each([
    ['no token', {}, 401, 'unauthorized'],
    ['a wrong token', { authorization: 'Bearer nope' }, 401, 'unauthorized'],
  ])('when a write comes with %s, then it is refused with a JSON error', async (_name, headers, status, code) => {
    const res = await fetch(`${h.baseUrl}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ slug: 'x', name: 'x', rule: 'x' }),
    });
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });

  it.each([
    ['a body that is not JSON', 'POST', '/api/v1/feeds', '{"url":', 400, /not valid JSON/],
    ['a feed without a url', 'POST', '/api/v1/feeds', {}, 400, /url/],
    ['a relative feed url', 'POST', '/api/v1/feeds', { url: 'feed.xml' }, 400, /not an absolute URL/],
    ['a file: url', 'POST', '/api/v1/feeds', { url: 'file:///etc/passwd' }, 400, /only http and https/],
    ['a bad topic slug', 'POST', '/api/v1/topics', { slug: 'Bad Slug', name: 'x', rule: 'x' }, 400, /slug/],
    [
      'an unbalanced rule',
      'POST',
      '/api/v1/topics',
      { slug: 'bad-rule', name: 'x', rule: '(russia OR' },
      400,
      /position 10/,
    ],
    [
      'a rule of NOT alone',
      'POST',
      '/api/v1/topics',
      { slug: 'not-only', name: 'x', rule: 'NOT russia' },
      400,
      /NOT needs a positive term/,
    ],
    [
      'an unknown field in a rule',
      'POST',
      '/api/v1/topics',
      { slug: 'bad-field', name: 'x', rule: 'body:x' },
      400,
      /unknown field "body"/,
    ],
    ['a limit out of range', 'GET', '/api/v1/items?limit=0', undefined, 400, /limit/],
    ['an unknown query parameter', 'GET', '/api/v1/items?colour=red', undefined, 400, /colour/],
    ['a bad date', 'GET', '/api/v1/items?since=yesterday', undefined, 400, /since/],
    ['a forged cursor', 'GET', '/api/v1/items?cursor=abc', undefined, 400, /cursor/],
    ['an unknown feed', 'GET', '/api/v1/feeds/999999', undefined, 404, /no feed/],
    ['an unknown topic', 'GET', '/api/v1/topics/nope', undefined, 404, /no topic/],
    ['an unknown route', 'GET', '/api/v1/nothing', undefined, 404, /no route/],
  ])(
    'when a request has %s, then the answer is a %s JSON error saying what is wrong',
    async (_name, method, path, body, status, message) => {
      const res = await h.api(method, path, body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
      expect(typeof res.body.error.code).toBe('string');
    },
  );

  it('when the same feed URL is added twice, then the existing feed is returned', async () => {
    const again = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/many.rss') });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, feed: { id: feedId } });
  });

  it('when items are paged with the cursor, then every item comes once, newest first', async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.api('GET', `/api/v1/items?feed=${feedId}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen.map((i) => i.id)).size).toBe(25);
    const times = seen.map((i) => Date.parse(i.published));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('when items are filtered by time and text, then only those are returned', async () => {
    const since = new Date(Date.UTC(2024, 0, 1, 0, 20)).toISOString();
    const recent = (await h.api('GET', `/api/v1/items?feed=${feedId}&since=${since}&limit=200`)).body.items;
    expect(recent.map((i: any) => i.guid).sort()).toEqual(['m20', 'm21', 'm22', 'm23', 'm24']);
    const cats = (await h.api('GET', `/api/v1/items?feed=${feedId}&q=CATS&limit=200`)).body.items;
    expect(cats).toHaveLength(12);
  });

  it('when a topic is created after items are stored, then the stored items are tagged in the background', async () => {
    const created = await h.api('POST', '/api/v1/topics', { slug: 'cats', name: 'Cats', rule: 'cats' });
    expect(created.status).toBe(201);
    const topic = await eventually(
      async () => {
        const t = (await h.api('GET', '/api/v1/topics/cats')).body.topic;
        return t.retag.status === 'done' ? t : null;
      },
      10_000,
      're-tag done',
    );
    expect(topic.retag.items).toBe(25);
    expect((await h.api('GET', '/api/v1/items?topic=cats&limit=200')).body.items).toHaveLength(12);

    const changed = await h.api('PUT', '/api/v1/topics/cats', { name: 'Dogs really', rule: 'dogs' });
    expect(changed.body.topic.version).toBe(2);
    await eventually(
      async () => {
        const items = (await h.api('GET', '/api/v1/items?topic=cats&limit=200')).body.items as any[];
        return items.length === 13 && items.every((i) => i.title.includes('dogs'));
      },
      10_000,
      're-tag after change',
    );
  });

  it('when a topic feed has not changed, then a conditional GET gets 304', async () => {
    await h.api('POST', '/api/v1/topics', { slug: 'dogs', name: 'Dogs', rule: 'dogs' });
    await eventually(
      async () => (await h.api('GET', '/api/v1/topics/dogs')).body.topic.retag.status === 'done',
      10_000,
      're-tag',
    );
    const first = await fetch(`${h.baseUrl}/topics/dogs/feed.atom`);
    expect(await first.text()).toContain('Item 0 about dogs');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    const again = await fetch(`${h.baseUrl}/topics/dogs/feed.atom`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const other = await fetch(`${h.baseUrl}/topics/dogs/feed.rss`, { headers: { 'if-none-match': etag } });
    expect(other.status).toBe(200);
  });

  it('when a topic is previewed, then matches are shown and nothing is saved', async () => {
    const res = await h.api('POST', '/api/v1/topics/preview', { rule: 'cats AND "item 1"', limit: 50 });
    expect(res.status).toBe(200);
    expect(res.body.matches.map((m: any) => m.item.guid)).toEqual(['m1']);
    // Rules scoped to the feed's title preview as they will tag.
    const byFeed = await h.api('POST', '/api/v1/topics/preview', { rule: 'feed:many AND "item 3 about"', limit: 50 });
    expect(byFeed.body.matches.map((m: any) => m.item.guid)).toEqual(['m3']);
    expect((await h.api('GET', '/api/v1/topics')).body.topics.map((t: any) => t.slug)).not.toContain('preview');
  });

  it('when an OPML file is imported, then it reports what was added, skipped and refused, and the export re-imports to the same set', async () => {
    feeds.set('/opml-a.rss', { body: manyItems(1) });
    feeds.set('/opml-b.rss', { body: manyItems(1) });
    const opml = `<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
      <outline text="Tech"><outline text="A" xmlUrl="${feeds.url('/opml-a.rss')}"/><outline text="A again" xmlUrl="${feeds.url('/opml-a.rss')}#x"/></outline>
      <outline text="B" xmlUrl="${feeds.url('/opml-b.rss')}"/>
      <outline text="Already" xmlUrl="${feeds.url('/many.rss')}"/>
      <outline text="Bad" xmlUrl="ftp://files.example/feed"/>
    </body></opml>`;
    const imported = await h.api('POST', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' });
    expect(imported.status).toBe(201);
    expect(imported.body.added.map((a: any) => a.url)).toEqual([feeds.url('/opml-a.rss'), feeds.url('/opml-b.rss')]);
    expect(imported.body.skipped.map((s: any) => s.reason)).toEqual([
      'listed twice in this file',
      expect.stringMatching(/already subscribed/),
    ]);
    expect(imported.body.refused).toEqual([
      { url: 'ftp://files.example/feed', reason: expect.stringMatching(/only http and https/) },
    ]);
    const a = (await h.api('GET', '/api/v1/feeds')).body.feeds.find((f: any) => f.url === feeds.url('/opml-a.rss'));
    expect(a.tags).toEqual(['Tech']);

    const exported = await fetch(`${h.baseUrl}/api/v1/opml`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(exported.headers.get('content-type')).toContain('text/x-opml');
    const text = await exported.text();
    const other = await startHarness();
    try {
      const again = await other.api('POST', '/api/v1/opml', text, { 'content-type': 'application/xml' });
      const urls = (await h.api('GET', '/api/v1/feeds')).body.feeds.map((f: any) => f.url).sort();
      expect(again.body.added.map((x: any) => x.url).sort()).toEqual(urls);
      const tagsThere = (await other.api('GET', '/api/v1/feeds')).body.feeds.find(
        (f: any) => f.url === feeds.url('/opml-a.rss'),
      ).tags;
      expect(tagsThere).toEqual(['Tech']);
    } finally {
      await other.stop();
    }
  });

  it('when an OPML import answers, then its progress resource follows the first polls of the feeds it added until done', async () => {
    feeds.set('/progress-a.rss', { body: manyItems(3) });
    feeds.set('/progress-gone.rss', { status: 404, body: 'gone' });
    const opml = `<opml version="2.0"><body>
      <outline text="A" xmlUrl="${feeds.url('/progress-a.rss')}"/>
      <outline text="Gone" xmlUrl="${feeds.url('/progress-gone.rss')}"/>
      <outline text="Already" xmlUrl="${feeds.url('/many.rss')}"/>
      <outline text="Bad" xmlUrl="ftp://files.example/feed"/>
    </body></opml>`;
    const imported = await h.api('POST', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' });
    expect(imported.status).toBe(201);
    expect(imported.headers.get('location')).toBe(`/api/v1/opml/imports/${imported.body.id}`);
    expect(imported.body.progress).toBe(imported.headers.get('location'));

    const progress = async () => (await h.api('GET', imported.body.progress)).body.import;
    const done = await eventually(
      async () => {
        const p = await progress();
        return p.done ? p : null;
      },
      15_000,
      'the import done',
    );
    expect(done).toMatchObject({
      id: imported.body.id,
      feeds: { added: 2, skipped: 1, refused: 1, polled: 2, waiting: 0, failing: 1, disabled: 0, removed: 0 },
      items: { stored: 3, waitingForStories: 0 },
    });
    expect(Date.parse(done.lastPolledAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));

    await h.api('DELETE', `/api/v1/feeds/${imported.body.added[1].id}`);
    expect((await progress()).feeds).toMatchObject({ added: 2, polled: 1, failing: 0, removed: 1 });
    expect((await h.api('GET', '/api/v1/opml/imports/999999')).status).toBe(404);
    const invalid = await h.api('GET', '/api/v1/opml/imports/abc');
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('when a body is sent in another type than JSON, then a 415 names the type expected', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await h.api('POST', '/api/v1/feeds', 'url=https://example.com/feed', { 'content-type': type });
      expect(res.status).toBe(415);
      expect(res.body.error).toMatchObject({
        code: 'unsupported_media_type',
        message: expect.stringMatching(/application\/json/),
      });
    }
    const res = await fetch(`${h.baseUrl}/api/v1/topics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ slug: 'x', name: 'x', rule: 'x' }),
    });
    expect(res.status).toBe(415);
    const form = await h.api('POST', '/api/v1/opml', '{"not":"opml"}', { 'content-type': 'application/json' });
    expect(form.status).toBe(415);
    expect(form.body.error.message).toMatch(/text\/x-opml/);
  });

  it('when the OPML body is missing or not OPML, then a 400 says so', async () => {
    expect((await h.api('POST', '/api/v1/opml', '', { 'content-type': 'text/x-opml' })).body.error.code).toBe(
      'invalid_request',
    );
    expect((await h.api('POST', '/api/v1/opml', '<rss/>', { 'content-type': 'text/x-opml' })).body.error.code).toBe(
      'not_opml',
    );
  });

  it('when Prometheus scrapes /metrics, then polls, stored items and requests are counted by route', async () => {
    await h.api('GET', `/api/v1/feeds/${feedId}`);
    const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/topicwire_feed_polls_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/topicwire_items_stored_total\{kind="inserted"\} [1-9]/);
    expect(text).toMatch(
      /topicwire_http_requests_total\{method="GET",route="\/api\/v1\/feeds\/:id",status="200"\} [1-9]/,
    );
    expect(text).not.toContain(`/api/v1/feeds/${feedId}"`);
    // Queue depths, read from Redis at the scrape.
    for (const queue of ['schedule', 'refresh', 'stories', 'retag', 'push']) {
      expect(text).toMatch(new RegExp(`topicwire_queue_jobs\\{queue="${queue}",state="waiting"\\} \\d+`));
    }
    expect(text).toMatch(/topicwire_queue_jobs\{queue="schedule",state="delayed"\} [1-9]/);
  });

  it('when a feed is deleted, then its items go with it', async () => {
    feeds.set('/gone.rss', { body: manyItems(2) });
    const id = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/gone.rss') })).body.feed.id;
    await eventually(
      async () => (await h.api('GET', `/api/v1/items?feed=${id}`)).body.items.length === 2,
      10_000,
      'items',
    );
    expect((await h.api('DELETE', `/api/v1/feeds/${id}`)).status).toBe(204);
    expect((await h.api('GET', `/api/v1/items?feed=${id}`)).body.items).toHaveLength(0);
    expect((await h.api('GET', `/api/v1/feeds/${id}`)).status).toBe(404);
  });
});
