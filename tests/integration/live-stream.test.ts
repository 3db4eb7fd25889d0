import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import { SseClient } from '../helpers/sse-client.js';

// A text long enough to be fingerprinted: copies of it in two feeds are one story.
const ARTICLE = (topic: string) =>
  Array.from(
    { length: 5 },
    (_, i) =>
      `Paragraph ${i + 1} of the wire report on ${topic} says that the talks between the two delegations resume once both sides exchange the documents in the capital.`,
  ).join(' ');

const item = (guid: string, title: string, text = `${title}: a short note.`) =>
  `<item><guid>${guid}</guid><title>${title}</title><link>http://wire.test/${guid}</link><description>${text}</description></item>`;
const rss = (name: string, items: string[]) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title><link>http://${name}.test/</link>${items.join('')}</channel></rss>`;

// The live stream (issue 18, part 4): each new story of a topic as Server-Sent Events, resumed
// from Last-Event-ID in another API process and after an API restart, nothing lost or repeated.
describe('live topic streams', () => {
  let h: Harness;
  let feeds: FeedServer;
  let second: RunningService | null = null;
  const open: SseClient[] = [];
  const korea: string[] = [];
  const texts = new Map<string, string>();
  let wireId: number;

  const streamAt = async (port: number | string, path: string, headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`http://127.0.0.1:${port}${path}`, headers);
    open.push(client);
    return client;
  };
  const startApi = () =>
    startService({ ...h.config, ROLE: 'api', PORT: 0 }, h.db, createLogger('silent')) as Promise<RunningService>;
  /** Publishes more Korea stories in the wire feed and has it polled now. */
  const publish = async (...titles: string[]) => {
    korea.push(...titles);
    feeds.set('/wire.rss', {
      body: rss(
        'wire',
        korea.map((t) => item(t.replace(/\W+/g, '-'), t, texts.get(t))),
      ),
    });
    await h.api('POST', `/api/v1/feeds/${wireId}/refresh`);
  };

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness({ STREAM_POLL_MS: '100', STREAM_HEARTBEAT_MS: '300' });
    await h.api('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea' });
    await h.api('POST', '/api/v1/topics', { slug: 'deals', name: 'Deals', rule: 'merger', visibility: 'private' });
    feeds.set('/wire.rss', { body: rss('wire', []) });
    wireId = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') })).body.feed.id;
    second = await startApi();
  });
  afterAll(async () => {
    open.forEach((c) => c.close());
    await second?.close();
    await h?.stop();
    await feeds?.stop();
  });

  it('when stories are stored, then an open stream sends each one once, in order, with heartbeats between', async () => {
    const client = await streamAt(h.service.port!, '/topics/korea/stream');
    expect(client.status).toBe(200);
    await publish('Korea summit opens', 'Korea trade figures');
    await client.until((c) => c.stories().length === 2, 15_000, 'two stories');
    const stories = client.stories();
    expect(stories.map((s) => s.item.title).sort()).toEqual(['Korea summit opens', 'Korea trade figures']);
    expect(stories[0]!.id).toBeLessThan(stories[1]!.id);
    await client.until((c) => c.comments > 0, 5_000, 'a heartbeat');
    client.close();
    // A story stored while no stream is open; one opened later without Last-Event-ID starts at
    // that moment: nothing from before.
    const events = async () => (await h.db.selectFrom('topic_events').select('id').execute()).length;
    await publish('Korea quiet day');
    await eventually(async () => (await events()) === 3, 15_000, 'the third story event');
    const later = await streamAt(h.service.port!, '/topics/korea/stream');
    await later.until((c) => c.comments > 0, 5_000, 'a heartbeat on the later stream');
    expect(later.stories()).toEqual([]);
    later.close();
  });

  it('when a client comes back with Last-Event-ID to another process, and after an API restart, then it gets exactly what it missed', async () => {
    const seen: { id: number; title: string }[] = [];
    const take = (c: SseClient) => seen.push(...c.stories().map((s) => ({ id: s.id, title: s.item.title })));
    const first = await streamAt(h.service.port!, '/topics/korea/stream?last_event_id=0');
    // From 0: the whole log, the three stories of the test before.
    await first.until((c) => c.stories().length === 3, 10_000, 'the backlog');
    take(first);
    first.close();

    // Missed while away, read from the second process.
    await publish('Korea rail link', 'Korea election date');
    await eventually(
      async () =>
        Number(
          (
            await h.db
              .selectFrom('topic_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirst()
          )?.n,
        ) === 5,
      15_000,
      'five story events',
    );
    const resumed = await streamAt(second!.port!, '/topics/korea/stream', { 'last-event-id': String(seen.at(-1)!.id) });
    await resumed.until((c) => c.stories().length === 2, 10_000, 'the missed stories');
    // Live, as well as resumed.
    await publish('Korea weather warning');
    await resumed.until((c) => c.stories().length === 3, 15_000, 'a live story on the resumed stream');
    take(resumed);

    // The second process restarts: its stream ends; the client resumes at the new one.
    const restarted = second!;
    second = null;
    await restarted.close();
    await resumed.until((c) => c.ended, 5_000, 'the stream ended by the restart');
    await publish('Korea port reopens');
    second = await startApi();
    const again = await streamAt(second.port!, '/topics/korea/stream', { 'last-event-id': String(seen.at(-1)!.id) });
    await again.until((c) => c.stories().length === 1, 15_000, 'the story stored during the restart');
    take(again);

    expect(seen.map((s) => s.title)).toEqual([...new Set(seen.map((s) => s.title))]);
    expect(seen.map((s) => s.title).sort()).toEqual([...korea].sort());
    expect(seen.map((s) => s.id)).toEqual([...seen.map((s) => s.id)].sort((a, b) => a - b));
  });

  it('when another feed carries a story already sent, then it is not sent again as a new story', async () => {
    const client = await streamAt(h.service.port!, '/topics/korea/stream');
    // The wire's item carries the full article text, so that a copy elsewhere joins its story.
    texts.set('Korea treaty text', ARTICLE('Korea'));
    await publish('Korea treaty text');
    await client.until(
      (c) => c.stories().some((s) => s.item.title === 'Korea treaty text'),
      15_000,
      'the treaty story',
    );
    const grouped = async () => (await h.db.selectFrom('ungrouped_items').select('item_id').execute()).length === 0;
    await eventually(grouped, 10_000, 'grouping');
    feeds.set('/copy.rss', { body: rss('copy', [item('copy-1', 'Treaty with Korea takes effect', ARTICLE('Korea'))]) });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/copy.rss') });
    const copy = await eventually(
      async () =>
        (await h.db.selectFrom('items').select(['id', 'story_id']).where('guid', '=', 'copy-1').executeTakeFirst()) ??
        false,
    );
    await eventually(async () => (await h.db.selectFrom('websub_outbox').select('id').execute()).length === 0, 15_000);
    const original = await h.db
      .selectFrom('items')
      .select('story_id')
      .where('guid', '=', 'Korea-treaty-text')
      .executeTakeFirstOrThrow();
    const copyStory = (
      await h.db.selectFrom('items').select('story_id').where('id', '=', copy.id).executeTakeFirstOrThrow()
    ).story_id;
    expect(copyStory).toBe(original.story_id);
    await new Promise((r) => setTimeout(r, 500));
    expect(client.stories().map((s) => s.item.title)).not.toContain('Treaty with Korea takes effect');
    const events = await h.db.selectFrom('topic_events').select('item_id').where('item_id', '=', copy.id).execute();
    expect(events).toEqual([]);
  });

  it('when a private topic is streamed, then a read token or its key is needed', async () => {
    const port = h.service.port!;
    expect((await streamAt(port, '/topics/deals/stream')).status).toBe(404);
    expect((await streamAt(port, '/topics/deals/stream?key=wrong')).status).toBe(404);
    const key = (await h.api('GET', '/api/v1/topics/deals')).body.topic.feedKey;
    expect((await streamAt(port, `/topics/deals/stream?key=${key}`)).status).toBe(200);
    expect(
      (await streamAt(port, '/topics/deals/stream', { authorization: `Bearer ${h.config.API_TOKEN}` })).status,
    ).toBe(200);
    expect((await streamAt(port, '/topics/korea/stream', { 'last-event-id': 'x1' })).status).toBe(400);
  });
});
