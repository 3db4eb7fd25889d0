import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneItems } from '../../src/app/maintenance.js';
import { appContext } from '../helpers/app-context.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, TOKEN, type Harness } from '../helpers/harness.js';
import { seedFeed } from '../helpers/paths.js';
import { Subscriber } from '../helpers/subscriber.js';

describe('the WebSub hub', () => {
  let h: Harness;
  let feeds: FeedServer;
  let sub: Subscriber;
  const form = (fields: Record<string, string>) =>
    fetch(`${h.baseUrl}/websub`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  const subscriptions = () => h.db.selectFrom('websub_subscriptions').selectAll().execute();

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    sub = await new Subscriber().start();
    h = await startHarness({ WEBSUB_RETRY_MS: '200' });
    expect((await h.api('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea*' })).status).toBe(201);
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
    await sub?.stop();
  });

  it('when a topic feed is served, then it names the hub in the document and in a Link header', async () => {
    const res = await fetch(`${h.baseUrl}/topics/korea/feed.atom`);
    expect(res.headers.get('link')).toBe(
      `<${h.baseUrl}/websub>; rel="hub", <${h.baseUrl}/topics/korea/feed.atom>; rel="self"`,
    );
    expect(await res.text()).toContain(`<link rel="hub" href="${h.baseUrl}/websub"/>`);
    const json = await (await fetch(`${h.baseUrl}/topics/korea/feed.json`)).json();
    expect(json.hubs).toEqual([{ type: 'WebSub', url: `${h.baseUrl}/websub` }]);
  });

  it('when a request is malformed or names no topic of ours, then it is refused with a JSON 4xx', async () => {
    const missing = await form({ 'hub.topic': `${h.baseUrl}/topics/korea/feed.atom`, 'hub.callback': sub.url('/cb') });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/hub\.mode/);
    const notOurs = await form({
      'hub.mode': 'subscribe',
      'hub.topic': 'https://elsewhere.example/feed.xml',
      'hub.callback': sub.url('/cb'),
    });
    expect(notOurs.status).toBe(400);
    const unknown = await form({
      'hub.mode': 'subscribe',
      'hub.topic': `${h.baseUrl}/topics/nope/feed.atom`,
      'hub.callback': sub.url('/cb'),
    });
    expect(unknown.status).toBe(404);
    const badCallback = await form({
      'hub.mode': 'subscribe',
      'hub.topic': `${h.baseUrl}/topics/korea/feed.atom`,
      'hub.callback': 'ftp://x.example/cb',
    });
    expect(badCallback.status).toBe(400);
    expect(await subscriptions()).toEqual([]);
  });

  it('when a callback does not echo the challenge, then nothing is subscribed', async () => {
    sub.echo = false;
    expect(
      (
        await form({
          'hub.mode': 'subscribe',
          'hub.topic': `${h.baseUrl}/topics/korea/feed.atom`,
          'hub.callback': sub.url('/liar'),
        })
      ).status,
    ).toBe(202);
    await eventually(async () => sub.verifications.length === 1, 10_000, 'the verification request');
    await new Promise((r) => setTimeout(r, 300));
    expect(await subscriptions()).toEqual([]);
    sub.echo = true;
  });

  it('when a subscriber subscribes, then new items of the topic are pushed to it, signed, and retried until accepted', async () => {
    const topicUrl = `${h.baseUrl}/topics/korea/feed.atom`;
    const accepted = await form({
      'hub.mode': 'subscribe',
      'hub.topic': topicUrl,
      'hub.callback': sub.url('/cb?user=1'),
      'hub.secret': 's3cret',
      'hub.lease_seconds': '60',
    });
    expect(accepted.status).toBe(202);
    const [row] = await eventually(
      async () => ((await subscriptions()).length ? subscriptions() : null),
      10_000,
      'the verified subscription',
    );
    const check = sub.verifications.at(-1)!;
    expect(Object.fromEntries(check)).toMatchObject({
      user: '1',
      'hub.mode': 'subscribe',
      'hub.topic': topicUrl,
      'hub.lease_seconds': '3600',
    });
    expect(row).toMatchObject({ callback: sub.url('/cb?user=1'), format: 'atom', lease_seconds: 3600 });

    sub.pushStatuses = [500]; // the first attempt fails, the retry is accepted
    feeds.set('/wire.rss', { body: readFileSync(seedFeed('english-wire.rss')) });
    expect((await h.api('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') })).status).toBe(201);
    await eventually(async () => sub.pushes.length >= 2, 15_000, 'the push and its retry');
    const push = sub.pushes[1]!;
    expect(push.path).toBe('/cb');
    expect(push.headers['content-type']).toContain('application/atom+xml');
    expect(push.headers.link).toBe(`<${h.baseUrl}/websub>; rel="hub", <${topicUrl}>; rel="self"`);
    expect(push.headers['x-hub-signature']).toBe(
      `sha256=${createHmac('sha256', 's3cret').update(push.body).digest('hex')}`,
    );
    expect(push.body.match(/<entry>/g)).toHaveLength(2);
    expect(push.body).toContain('North Korea ratifies landmark mutual defence treaty with Russia');
    expect(push.body).toContain("Korea's film festival opens in Busan");
    expect(push.body).not.toContain('Chip maker');

    // A poll that brings nothing new pushes nothing.
    await h.api('POST', `/api/v1/feeds/${(await h.api('GET', '/api/v1/feeds')).body.feeds[0].id}/refresh`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sub.pushes).toHaveLength(2);

    // Deliveries are counted for Prometheus: the refused first attempt, then the accepted one.
    const metrics = await (
      await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/topicwire_push_deliveries_total\{channel="websub",result="delivered"\} [1-9]/);
    expect(metrics).toMatch(/topicwire_push_deliveries_total\{channel="websub",result="refused"\} [1-9]/);
  });

  it('when a subscriber unsubscribes, then after verification it is removed', async () => {
    const topicUrl = `${h.baseUrl}/topics/korea/feed.atom`;
    expect(
      (await form({ 'hub.mode': 'unsubscribe', 'hub.topic': topicUrl, 'hub.callback': sub.url('/cb?user=1') })).status,
    ).toBe(202);
    await eventually(async () => (await subscriptions()).length === 0, 10_000, 'the unsubscription');
    expect(sub.verifications.at(-1)!.get('hub.mode')).toBe('unsubscribe');
  });

  it('when a lease runs out, then nothing more is pushed and the daily clean-up removes the subscription', async () => {
    const topicUrl = `${h.baseUrl}/topics/korea/feed.json`;
    expect(
      (await form({ 'hub.mode': 'subscribe', 'hub.topic': topicUrl, 'hub.callback': sub.url('/late') })).status,
    ).toBe(202);
    await eventually(async () => (await subscriptions()).length === 1, 10_000, 'the subscription');
    await sql`UPDATE websub_subscriptions SET expires_at = now() - interval '1 second'`.execute(h.db);
    const before = sub.pushes.length;
    feeds.set('/more.rss', {
      body: '<rss version="2.0"><channel><title>More</title><item><guid>m1</guid><title>Korea news</title></item></channel></rss>',
    });
    expect((await h.api('POST', '/api/v1/feeds', { url: feeds.url('/more.rss') })).status).toBe(201);
    await eventually(
      async () => (await h.api('GET', '/api/v1/items?topic=korea&stories=false')).body.items.length === 3,
      10_000,
      'the new item',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(sub.pushes).toHaveLength(before);
    await pruneItems(appContext(h.db, h.config));
    expect(await subscriptions()).toEqual([]);
  });

  it('when a crash left new items in the outbox, then the scheduled fan-out pushes them', async () => {
    // What the tests before stored has gone out (to nobody) before this subscriber comes.
    await eventually(async () => (await h.db.selectFrom('websub_outbox').select('id').execute()).length === 0);
    const topicUrl = `${h.baseUrl}/topics/korea/feed.rss`;
    expect(
      (await form({ 'hub.mode': 'subscribe', 'hub.topic': topicUrl, 'hub.callback': sub.url('/after-crash') })).status,
    ).toBe(202);
    await eventually(async () => (await subscriptions()).length === 1, 10_000, 'the subscription');
    const items = (await h.api('GET', '/api/v1/items?topic=korea&stories=false')).body.items as { id: number }[];
    const topic = await h.db.selectFrom('topics').select('id').where('slug', '=', 'korea').executeTakeFirstOrThrow();
    await h.db
      .insertInto('websub_outbox')
      .values({ topic_id: topic.id, item_ids: items.map((i) => i.id) })
      .execute();
    const push = await eventually(
      async () => sub.pushes.find((p) => p.path === '/after-crash'),
      10_000,
      'the push from the outbox',
    );
    expect(push.headers['content-type']).toContain('application/rss+xml');
    expect(push.body.match(/<item>/g)).toHaveLength(items.length);
    expect(await h.db.selectFrom('websub_outbox').selectAll().execute()).toEqual([]);
  });
});
