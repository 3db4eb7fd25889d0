import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Private</title><link>http://private.test/</link>
<item><guid>p1</guid><title>For subscribers</title><link>http://private.test/p1</link></item></channel></rss>`;

// Private feeds carry credentials in their URLs (user:password@, ?apikey=): kept for fetching,
// never shown to readers without the admin scope (issue 17); anonymous requests see no feeds at all (issue 18).
describe('secrets in feed URLs', () => {
  let h: Harness;
  let server: FeedServer;
  let secretUrl: string;
  let feedId: number;
  // A token that reads (feeds need one) but is no admin.
  let reader: Record<string, string>;

  beforeAll(async () => {
    server = await new FeedServer().start();
    server.set('/private.rss?apikey=K3Y-42&lang=en', { body: rss, contentType: 'application/rss+xml' });
    h = await startHarness();
    secretUrl = server.url('/private.rss?apikey=K3Y-42&lang=en').replace('http://', 'http://reader:pa55word@');
    const added = await h.api('POST', '/api/v1/feeds', { url: secretUrl });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    feedId = added.body.feed.id;
    reader = {
      authorization: `Bearer ${(await h.api('POST', '/api/v1/tokens', { name: 'r', scopes: ['read'] })).body.token}`,
    };
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('when a feed URL holds user:password, then it is fetched with HTTP Basic and its items are stored', async () => {
    const [request] = server.requestsTo('/private.rss?apikey=K3Y-42&lang=en');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('reader:pa55word').toString('base64')}`);
    const items = await h.api('GET', `/api/v1/items?feed=${feedId}`);
    expect(items.body.items.map((i: { title: string }) => i.title)).toEqual(['For subscribers']);
  });

  it('when an reader lists feeds or reads one, then credentials and keys are masked', async () => {
    const masked = `http://***:***@127.0.0.1:${new URL(server.origin).port}/private.rss?apikey=***&lang=en`;
    expect((await h.api('GET', '/api/v1/feeds', undefined, { authorization: '' })).status).toBe(401);
    const list = await h.api('GET', '/api/v1/feeds', undefined, reader);
    expect(list.body.feeds.map((f: { url: string }) => f.url)).toEqual([masked]);
    const one = await h.api('GET', `/api/v1/feeds/${feedId}`, undefined, reader);
    expect(one.body.feed.url).toBe(masked);
    expect(JSON.stringify([list.body, one.body])).not.toMatch(/pa55word|K3Y-42/);
  });

  it('when the admin lists feeds, then the URL is shown as stored', async () => {
    const list = await h.api('GET', '/api/v1/feeds');
    expect(list.body.feeds[0].url).toBe(secretUrl);
  });

  it('when an reader exports OPML, then the secrets are masked; the admin gets them', async () => {
    expect((await fetch(`${h.baseUrl}/api/v1/opml`)).status).toBe(401);
    const anon = await fetch(`${h.baseUrl}/api/v1/opml`, { headers: reader });
    const text = await anon.text();
    expect(text).toContain('apikey=***');
    expect(text).not.toMatch(/pa55word|K3Y-42/);
    const admin = await fetch(`${h.baseUrl}/api/v1/opml`, {
      headers: { authorization: `Bearer ${h.config.API_TOKEN}` },
    });
    expect(await admin.text()).toContain('reader:pa55word@');
  });

  it("when a feed's error names its URL, then readers see it masked", async () => {
    await h.db
      .updateTable('feeds')
      .set({ last_error: `cannot reach ${secretUrl}`, disabled_reason: `gave up on ${secretUrl}` })
      .where('id', '=', feedId)
      .execute();
    const one = await h.api('GET', `/api/v1/feeds/${feedId}`, undefined, reader);
    expect(one.body.feed.lastError).toMatch(/^cannot reach http:\/\/\*\*\*:\*\*\*@.*apikey=\*\*\*&lang=en$/);
    expect(JSON.stringify(one.body)).not.toMatch(/pa55word|K3Y-42/);
  });
});
