import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFeed } from '../helpers/paths.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

const rss = (items: { guid: string; title: string; body?: string }[]) => `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Local news</title><link>http://local.test/</link>
${items.map((i) => `<item><guid>${i.guid}</guid><title>${i.title}</title><link>http://local.test/${i.guid}</link><description>${i.body ?? i.title}</description><pubDate>Tue, 12 Nov 2024 10:00:00 GMT</pubDate></item>`).join('\n')}
</channel></rss>`;

describe('the poll pipeline against a local feed server', () => {
  let h: Harness;
  let feeds: FeedServer;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness();
    const topic = await h.api('POST', '/api/v1/topics', {
      slug: 'korea',
      name: 'Korea',
      rule: '"north korea" OR korea*',
    });
    expect(topic.status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  const feedItems = async (feedId: number) =>
    (await h.api('GET', `/api/v1/items?feed=${feedId}&limit=200`)).body.items as any[];
  const feedRow = async (feedId: number) => (await h.api('GET', `/api/v1/feeds/${feedId}`)).body.feed;

  it('when a feed is added, then its items are stored, tagged and served in the Atom, RSS and JSON topic feeds', async () => {
    feeds.set('/wire.rss', { body: readFileSync(seedFeed('english-wire.rss')), etag: '"v1"' });
    const added = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') });
    expect(added.status).toBe(201);
    const feedId = added.body.feed.id;

    const items = await eventually(
      async () => ((await feedItems(feedId)).length === 3 ? feedItems(feedId) : null),
      10_000,
      'items',
    );
    const tagged = items.filter((i) => i.topics.some((t: any) => t.slug === 'korea'));
    expect(tagged.map((i) => i.title).sort()).toEqual([
      "Korea's film festival opens in Busan",
      'North Korea ratifies landmark mutual defence treaty with Russia',
    ]);
    expect(tagged.find((i) => i.title.startsWith('North'))!.topics[0].terms).toContainEqual({
      term: '"north korea"',
      fields: ['title', 'summary', 'content'],
    });

    const atom = await fetch(`${h.baseUrl}/topics/korea/feed.atom`);
    expect(atom.headers.get('content-type')).toContain('application/atom+xml');
    const atomText = await atom.text();
    expect(atomText).toContain('North Korea ratifies landmark mutual defence treaty with Russia');
    expect(atomText).toContain(`<link rel="self" href="${h.baseUrl}/topics/korea/feed.atom"/>`);
    expect(atomText).not.toContain('Chip maker');

    const rssText = await (await fetch(`${h.baseUrl}/topics/korea/feed.rss`)).text();
    expect(rssText).toContain('<rss version="2.0"');
    expect(rssText).toContain('Busan');

    const json = await (await fetch(`${h.baseUrl}/topics/korea/feed.json`)).json();
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    expect(json.items.map((i: any) => i.title)).toHaveLength(2);
  });

  it('when a feed has not changed, then the next poll sends the conditional headers and stores nothing', async () => {
    feeds.set('/same.rss', {
      body: rss([{ guid: 'a', title: 'First' }]),
      etag: '"same-1"',
      headers: { 'last-modified': 'Tue, 12 Nov 2024 10:00:00 GMT' },
    });
    const { body } = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/same.rss') });
    const feedId = body.feed.id;
    await eventually(async () => (await feedItems(feedId)).length === 1, 10_000, 'first poll');
    const polledAt = (await feedRow(feedId)).lastPolledAt;

    expect((await h.api('POST', `/api/v1/feeds/${feedId}/refresh`)).status).toBe(202);
    await eventually(async () => (await feedRow(feedId)).lastPolledAt !== polledAt, 10_000, 'second poll');

    const second = feeds.requestsTo('/same.rss').at(-1)!;
    expect(second.headers['if-none-match']).toBe('"same-1"');
    expect(second.headers['if-modified-since']).toBe('Tue, 12 Nov 2024 10:00:00 GMT');
    expect(await feedItems(feedId)).toHaveLength(1);
    expect((await feedRow(feedId)).status).toBe('ok');
  });

  it('when an item changes, then it is updated in place, not stored twice', async () => {
    feeds.set('/changing.rss', {
      body: rss([
        { guid: 'x1', title: 'Draft headline' },
        { guid: 'x2', title: 'Other' },
      ]),
    });
    const { body } = await h.api('POST', '/api/v1/feeds', { url: feeds.url('/changing.rss') });
    const feedId = body.feed.id;
    await eventually(async () => (await feedItems(feedId)).length === 2, 10_000, 'first poll');
    const before = (await feedItems(feedId)).find((i) => i.guid === 'x1');

    feeds.set('/changing.rss', {
      body: rss([
        { guid: 'x1', title: 'North Korea: final headline' },
        { guid: 'x2', title: 'Other' },
      ]),
    });
    await h.api('POST', `/api/v1/feeds/${feedId}/refresh`);
    const after = await eventually(
      async () => (await feedItems(feedId)).find((i) => i.title === 'North Korea: final headline'),
      10_000,
      'update',
    );

    expect(after.id).toBe(before.id);
    expect(await feedItems(feedId)).toHaveLength(2);
    expect(after.topics.map((t: any) => t.slug)).toEqual(['korea']);
  });

  it('when one feed links an AMP page and names its canonical URL, then its item and the same article elsewhere are one story', async () => {
    feeds.set('/amp.atom', {
      contentType: 'application/atom+xml',
      body: `<feed xmlns="http://www.w3.org/2005/Atom"><title>Mobile edition</title><id>urn:amp</id><updated>2024-11-12T10:00:00Z</updated>
        <entry><title>Harbour bridge reopens</title><id>urn:amp:1</id><updated>2024-11-12T10:00:00Z</updated>
        <link href="https://m.harbour.example/amp/bridge-reopens"/><link rel="canonical" href="https://harbour.example/news/bridge-reopens"/></entry></feed>`,
    });
    feeds.set('/desk.rss', {
      body: `<rss version="2.0"><channel><title>Desk</title><item><guid>d1</guid><title>Harbour bridge reopens | Desk</title>
        <link>https://harbour.example/news/bridge-reopens/index.html?utm_source=rss</link></item></channel></rss>`,
    });
    const ids: number[] = [];
    for (const path of ['/amp.atom', '/desk.rss'])
      ids.push((await h.api('POST', '/api/v1/feeds', { url: feeds.url(path) })).body.feed.id);
    const [amp, desk] = await eventually(
      async () => {
        const got = await Promise.all(ids.map(async (id) => (await feedItems(id))[0]));
        return got.every((i) => i?.sources.length) ? got : null;
      },
      10_000,
      'both items grouped',
    );
    expect(amp.url).toBe('https://m.harbour.example/amp/bridge-reopens');
    expect(amp.storyId).toBe(desk.storyId);
    expect(amp.sources.map((s: any) => s.id)).toEqual([desk.id]);
  });

  it('when a topic is created right before a feed is polled, then every item of the feed gets the topic', async () => {
    for (let run = 0; run < 4; run++) {
      feeds.set(`/race-${run}.rss`, {
        body: rss(Array.from({ length: 20 }, (_, i) => ({ guid: `r${run}-${i}`, title: `Race ${run} item ${i}` }))),
      });
      expect(
        (await h.api('POST', '/api/v1/topics', { slug: `race-${run}`, name: 'Race', rule: `race AND "${run} item"` }))
          .status,
      ).toBe(201);
      const { body } = await h.api('POST', '/api/v1/feeds', { url: feeds.url(`/race-${run}.rss`) });
      await eventually(async () => (await feedItems(body.feed.id)).length === 20, 10_000, 'items stored');
      await eventually(
        async () => (await h.api('GET', `/api/v1/topics/race-${run}`)).body.topic.retag.status === 'done',
        10_000,
        're-tag',
      );
      expect((await h.api('GET', `/api/v1/items?topic=race-${run}&limit=200`)).body.items).toHaveLength(20);
    }
  });

  it.each([
    ['garbage', { body: 'this is not a feed at all' }, /not a feed/],
    ['HTTP 500', { status: 500, body: 'oops' }, /HTTP 500/],
    ['a timeout', { delayMs: 5000, body: rss([]) }, /no complete response within 1500 ms/],
  ])('when a feed returns %s, then it is recorded as failing and the worker goes on', async (name, route, message) => {
    const path = `/bad-${name.replace(/\W/g, '')}.rss`;
    // Healthy when added (its first poll), broken for the worker's next one.
    feeds.set(path, { body: rss([]) });
    const { body } = await h.api('POST', '/api/v1/feeds', { url: feeds.url(path) });
    expect(body.feed.status).toBe('ok');
    feeds.set(path, route);
    expect((await h.api('POST', `/api/v1/feeds/${body.feed.id}/refresh`)).status).toBe(202);
    const failing = await eventually(
      async () => {
        const f = await feedRow(body.feed.id);
        return f.status === 'failing' ? f : null;
      },
      10_000,
      'failure recorded',
    );
    expect(failing.lastError).toMatch(message);
    expect(failing.errorCount).toBeGreaterThanOrEqual(1);
    expect(new Date(failing.nextPollAt).getTime()).toBeGreaterThan(Date.now());

    // A healthy feed added after the bad one is still polled.
    const healthy = `/healthy-after-${name.replace(/\W/g, '')}.rss`;
    feeds.set(healthy, { body: rss([{ guid: 'ok', title: 'Healthy' }]) });
    const ok = await h.api('POST', '/api/v1/feeds', { url: feeds.url(healthy) });
    await eventually(async () => (await feedItems(ok.body.feed.id)).length === 1, 10_000, 'healthy feed polled');
  });
});
