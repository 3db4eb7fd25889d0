import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import { Subscriber } from '../helpers/subscriber.js';

const rss = (titles: string[]) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>http://wire.test/</link>${titles
    .map((t, i) => `<item><guid>w${i}</guid><title>${t}</title><link>http://wire.test/${i}</link></item>`)
    .join('')}</channel></rss>`;

// Webhooks (issue 18, part 5): a topic's new stories POSTed as JSON, signed with HMAC-SHA256,
// retried with backoff, disabled after repeated failures with the reason shown.
describe('webhooks', () => {
  let h: Harness;
  let feeds: FeedServer;
  let receiver: Subscriber;
  let flaky: Subscriber;
  let broken: Subscriber;
  let feedId: number;
  const titles: string[] = [];
  const publish = async (title: string) => {
    titles.push(title);
    feeds.set('/wire.rss', { body: rss(titles) });
    await h.api('POST', `/api/v1/feeds/${feedId}/refresh`);
  };
  const hooks = async () => (await h.api('GET', '/api/v1/topics/korea/webhooks')).body.webhooks as any[];

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    receiver = await new Subscriber().start();
    flaky = await new Subscriber().start();
    broken = await new Subscriber().start();
    h = await startHarness({ WEBHOOK_RETRY_MS: '100', WEBHOOK_MAX_FAILURES: '3' });
    await h.api('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea' });
    feeds.set('/wire.rss', { body: rss([]) });
    feedId = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') })).body.feed.id;
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
    await Promise.all([receiver, flaky, broken].map((s) => s?.stop()));
  });

  it('when a webhook is added, then new stories reach it signed with its secret, which is shown once', async () => {
    const made = await h.api('POST', '/api/v1/topics/korea/webhooks', { url: receiver.url('/hook') });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.secret).toMatch(/^whsec_/);
    expect(made.body.webhook).toMatchObject({ url: receiver.url('/hook'), enabled: true, failures: 0 });
    expect(JSON.stringify(await hooks())).not.toContain(made.body.secret);

    await publish('Korea summit opens');
    await eventually(async () => receiver.pushes.length === 1, 15_000, 'a delivery');
    const [push] = receiver.pushes;
    const timestamp = String(push!.headers['x-topicwire-timestamp']);
    const expected = createHmac('sha256', made.body.secret).update(`${timestamp}.${push!.body}`).digest('hex');
    expect(push!.headers['x-topicwire-signature']).toBe(`sha256=${expected}`);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const body = JSON.parse(push!.body);
    expect(body.topic).toEqual({ slug: 'korea', name: 'Korea' });
    expect(body.stories.map((s: { title: string }) => s.title)).toEqual(['Korea summit opens']);
    expect(body.text).toContain('Korea summit opens');
    expect(body.content).toBe(body.text);
    // The receiver has the push before the worker records its answer: wait for the record.
    await eventually(async () => (await hooks())[0]?.lastStatus === 204, 15_000, 'the delivery recorded');
    expect((await hooks())[0]).toMatchObject({ lastStatus: 204, lastSuccessAt: expect.any(String), failures: 0 });
  });

  it('when a receiver fails, then the delivery is retried until it is accepted, under the same delivery id', async () => {
    await h.api('POST', '/api/v1/topics/korea/webhooks', { url: flaky.url('/hook') });
    flaky.pushStatuses = [500, 503];
    await publish('Korea trade figures');
    await eventually(async () => flaky.pushes.length === 3, 15_000, 'two retries');
    expect(flaky.pushes.map((p) => p.headers['x-topicwire-delivery'])).toEqual(
      Array(3).fill(flaky.pushes[0]!.headers['x-topicwire-delivery']),
    );
    const hook = (await hooks()).find((w) => w.url === flaky.url('/hook'));
    await eventually(async () => (await hooks()).find((w) => w.url === flaky.url('/hook'))?.lastStatus === 204);
    expect(hook.enabled).toBe(true);
    expect((await hooks()).find((w) => w.url === flaky.url('/hook')).failures).toBe(0);
  });

  it('when a receiver keeps failing, then the webhook is disabled with the reason, and can be enabled again', async () => {
    const made = await h.api('POST', '/api/v1/topics/korea/webhooks', { url: broken.url('/hook') });
    broken.pushStatuses = Array(20).fill(500);
    await publish('Korea rail link');
    const disabled = await eventually(
      async () => (await hooks()).find((w) => w.id === made.body.webhook.id && !w.enabled),
      15_000,
      'the webhook disabled',
    );
    expect(disabled.disabledReason).toBe('the receiver answered HTTP 500 (3 failed attempts in a row)');
    expect(disabled).toMatchObject({ failures: 3, lastStatus: 500 });
    expect(broken.pushes).toHaveLength(3);
    // Disabled: later stories do not go to it.
    await publish('Korea election date');
    await eventually(async () => receiver.pushes.length === 4, 15_000, 'the next story to the working webhook');
    expect(broken.pushes).toHaveLength(3);
    broken.pushStatuses = [];
    const enabled = await h.api('POST', `/api/v1/topics/korea/webhooks/${made.body.webhook.id}/enable`);
    expect(enabled.body.webhook).toMatchObject({ enabled: true, disabledReason: null, failures: 0 });
    await publish('Korea port reopens');
    await eventually(async () => broken.pushes.length === 4, 15_000, 'a delivery after enabling');
  });

  it('when a webhook names a private address or a read token asks, then it is refused', async () => {
    const guarded = await startHarness({ FETCH_ALLOW_PRIVATE: 'false' });
    try {
      await guarded.api('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea' });
      const refused = await guarded.api('POST', '/api/v1/topics/korea/webhooks', { url: 'http://127.0.0.1:9/hook' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('blocked_address');
    } finally {
      await guarded.stop();
    }
    const reader = (await h.api('POST', '/api/v1/tokens', { name: 'r', scopes: ['read'] })).body.token;
    const asReader = { authorization: `Bearer ${reader}` };
    expect((await h.api('POST', '/api/v1/topics/korea/webhooks', { url: receiver.url('/x') }, asReader)).status).toBe(
      403,
    );
    expect((await h.api('GET', '/api/v1/topics/korea/webhooks', undefined, asReader)).status).toBe(403);
    const id = (await hooks())[0].id;
    expect((await h.api('DELETE', `/api/v1/topics/korea/webhooks/${id}`)).status).toBe(204);
    expect((await h.api('DELETE', `/api/v1/topics/korea/webhooks/${id}`)).status).toBe(404);
  });
});
