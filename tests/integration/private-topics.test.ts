import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import { Subscriber } from '../helpers/subscriber.js';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title><link>http://mixed.test/</link>
<item><guid>p1</guid><title>Merger talks at Acme</title><link>http://mixed.test/p1</link></item>
<item><guid>p2</guid><title>Weather in Oslo</title><link>http://mixed.test/p2</link></item>
<item><guid>p3</guid><title>Untagged story</title><link>http://mixed.test/p3</link></item>
</channel></rss>`;

// Private topics (issue 18, part 2): readable with a read token or the topic's feed key, absent
// to everyone else; feeds, OPML and /metrics need a read token.
describe('private topics', () => {
  let h: Harness;
  let feeds: FeedServer;
  let sub: Subscriber;
  let reader: string;
  let writer: string;
  const anonymous = (path: string, init: RequestInit = {}) => fetch(h.baseUrl + path, init);
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const slugsOf = async (res: Response) =>
    ((await res.json()) as { topics: { slug: string }[] }).topics.map((t) => t.slug);

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    sub = await new Subscriber().start();
    h = await startHarness();
    feeds.set('/mixed.rss', { body: rss });
    reader = (await h.api('POST', '/api/v1/tokens', { name: 'reader', scopes: ['read'] })).body.token;
    writer = (await h.api('POST', '/api/v1/tokens', { name: 'writer', scopes: ['write'] })).body.token;
    const made = await h.api('POST', '/api/v1/topics', {
      slug: 'deals',
      name: 'Deals',
      rule: 'merger',
      visibility: 'private',
    });
    expect(made.status).toBe(201);
    expect(made.body.topic).toMatchObject({ visibility: 'private', feedKey: expect.any(String) });
    await h.api('POST', '/api/v1/topics', { slug: 'weather', name: 'Weather', rule: 'weather OR merger' });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/mixed.rss') });
    await eventually(
      async () => (await h.api('GET', '/api/v1/items?topic=deals')).body.items?.length === 1,
      15_000,
      'the private topic tagged',
    );
    // Pushes of these first items are out before anyone subscribes.
    await eventually(async () => (await h.db.selectFrom('websub_outbox').select('id').execute()).length === 0);
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
    await sub?.stop();
  });

  const feedKey = async () => (await h.api('GET', '/api/v1/topics/deals')).body.topic.feedKey as string;

  it('when nobody signed in lists topics, then the private one is absent and its pages answer 404', async () => {
    expect(await slugsOf(await anonymous('/api/v1/topics'))).toEqual(['weather']);
    expect(await slugsOf(await anonymous('/api/v1/topics', bearer(reader)))).toEqual(['deals', 'weather']);
    for (const path of [
      '/api/v1/topics/deals',
      '/api/v1/items?topic=deals',
      '/topics/deals/feed.atom',
      '/topics/deals/feed.json',
      '/topics/deals/feed.atom?key=wrong',
    ]) {
      const res = await anonymous(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('Deals');
    }
    // The public topic's listing shows its items without the private topic's tag.
    const items = (await (await anonymous('/api/v1/items?topic=weather')).json()).items as {
      topics: { slug: string }[];
    }[];
    expect(items).toHaveLength(2);
    expect(items.flatMap((i) => i.topics.map((t) => t.slug))).toEqual(['weather', 'weather']);
    const publicFeed = await (await anonymous('/topics/weather/feed.atom')).text();
    expect(publicFeed).not.toContain('deals');
  });

  it('when nobody signed in lists all items or searches, then only items of public topics come back', async () => {
    const titles = async (path: string, init?: RequestInit) =>
      ((await (await anonymous(path, init)).json()).items as { title: string }[]).map((i) => i.title).sort();
    expect(await titles('/api/v1/items')).toEqual(['Merger talks at Acme', 'Weather in Oslo']);
    expect(await titles('/api/v1/items', bearer(reader))).toEqual([
      'Merger talks at Acme',
      'Untagged story',
      'Weather in Oslo',
    ]);
    expect(await titles('/api/v1/items?q=untagged')).toEqual([]);
    expect(await titles('/api/v1/items?q=untagged', bearer(reader))).toEqual(['Untagged story']);
    const untagged = (
      await h.db.selectFrom('items').select('id').where('title', '=', 'Untagged story').executeTakeFirstOrThrow()
    ).id;
    expect((await anonymous(`/api/v1/items/${untagged}`)).status).toBe(404);
    expect((await anonymous(`/api/v1/items/${untagged}`, bearer(reader))).status).toBe(200);
  });

  it('when a read token or the feed key asks, then the private topic is served, privately cached', async () => {
    const withToken = await anonymous('/api/v1/items?topic=deals', bearer(reader));
    expect((await withToken.json()).items.map((i: { title: string }) => i.title)).toEqual(['Merger talks at Acme']);
    const key = await feedKey();
    const keyed = await anonymous(`/topics/deals/feed.atom?key=${encodeURIComponent(key)}`);
    expect(keyed.status).toBe(200);
    expect(keyed.headers.get('cache-control')).toContain('private');
    const body = await keyed.text();
    expect(body).toContain('Merger talks at Acme');
    // Its own links carry the key, so that a reader or a WebSub subscriber can come back.
    expect(body).toContain(`/topics/deals/feed.atom?key=${key}`);
    expect((await anonymous('/topics/deals/feed.rss', bearer(reader))).status).toBe(200);
    // Anyone without the read scope sees the topic without its key.
    expect((await anonymous('/api/v1/topics/weather')).status).toBe(200);
    expect((await (await anonymous('/api/v1/topics/weather')).json()).topic.feedKey).toBeUndefined();
  });

  it('when the feed key is replaced, then addresses with the old one stop working at once', async () => {
    const old = await feedKey();
    expect((await anonymous(`/topics/deals/feed.json?key=${old}`)).status).toBe(200);
    const replaced = await h.api('POST', '/api/v1/topics/deals/feed-key', undefined, {
      authorization: `Bearer ${writer}`,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.topic.feedKey).not.toBe(old);
    expect((await anonymous(`/topics/deals/feed.json?key=${old}`)).status).toBe(404);
    expect((await anonymous(`/topics/deals/feed.json?key=${replaced.body.topic.feedKey}`)).status).toBe(200);
  });

  it('when a WebSub subscriber asks for the private topic, then only its key or a read token lets it in', async () => {
    const ask = (topicUrl: string, callback: string, init: { headers?: Record<string, string> } = {}) =>
      anonymous('/websub', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
        body: new URLSearchParams({
          'hub.mode': 'subscribe',
          'hub.topic': topicUrl,
          'hub.callback': sub.url(callback),
        }),
      });
    const plain = `${h.baseUrl}/topics/deals/feed.atom`;
    expect((await ask(plain, '/nobody')).status).toBe(404);
    expect((await ask(`${plain}?key=wrong`, '/nobody')).status).toBe(404);
    expect((await ask(plain, '/by-token', bearer(reader))).status).toBe(202);
    expect((await ask(`${plain}?key=${await feedKey()}`, '/by-key')).status).toBe(202);
    const subs = await eventually(async () => {
      const rows = await h.db.selectFrom('websub_subscriptions').selectAll().orderBy('callback').execute();
      return rows.length === 2 && rows;
    });
    expect(subs.map((s) => [s.callback.replace(/.*\//, '/'), s.with_token, s.topic_url.includes('?key=')])).toEqual([
      ['/by-key', false, true],
      ['/by-token', true, false],
    ]);

    // The key is replaced: the next push reaches the token's subscriber only, and the keyed one ends.
    await h.api('POST', '/api/v1/topics/deals/feed-key');
    feeds.set('/mixed.rss', {
      body: rss.replace('</channel>', '<item><guid>p4</guid><title>Another merger</title></item></channel>'),
    });
    const feed = (await h.api('GET', '/api/v1/feeds')).body.feeds[0];
    await h.api('POST', `/api/v1/feeds/${feed.id}/refresh`);
    await eventually(
      async () => sub.pushes.some((p) => p.path === '/by-token' && p.body.includes('Another merger')),
      15_000,
      'the new item pushed to the token subscriber',
    );
    await eventually(
      async () => (await h.db.selectFrom('websub_subscriptions').select('callback').execute()).length === 1,
      15_000,
      'the keyed subscription ended',
    );
    expect(sub.pushes.some((p) => p.path === '/by-key')).toBe(false);
  });

  it('when a topic turns public or private again, then listings follow at once', async () => {
    await h.api('PUT', '/api/v1/topics/weather', { name: 'Weather', rule: 'weather OR merger', visibility: 'private' });
    expect(await slugsOf(await anonymous('/api/v1/topics'))).toEqual([]);
    expect((await anonymous('/topics/weather/feed.atom')).status).toBe(404);
    expect((await (await anonymous('/api/v1/items')).json()).items).toEqual([]);
    await h.api('PUT', '/api/v1/topics/weather', { name: 'Weather', rule: 'weather OR merger', visibility: 'public' });
    expect((await anonymous('/topics/weather/feed.atom')).status).toBe(200);
  });

  it.each([['/api/v1/feeds'], ['/api/v1/opml'], ['/metrics']])(
    'when nobody signed in asks for %s, then a read token is needed',
    async (path) => {
      expect((await anonymous(path)).status).toBe(401);
      expect((await anonymous(path, bearer(reader))).status).toBe(200);
    },
  );
});
