import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { deleteFeed, insertFeed } from '../../src/db/feeds.repository.js';
import { pruneItemsBefore, upsertItems } from '../../src/db/items.repository.js';
import type { NewItem } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { pruneItems, queueLeftOverGrouping } from '../../src/app/maintenance.js';
import { groupStories } from '../../src/app/stories.js';
import { appContext } from '../helpers/app-context.js';
import { createTestDb } from '../helpers/test-db.js';
import { createDb } from '../../src/db/database.js';
import { ungroupedItems } from '../../src/db/stories.repository.js';

// ~120 words: long enough for a fingerprint.
const ARTICLE = Array.from(
  { length: 6 },
  (_, i) =>
    `Paragraph ${['one', 'two', 'three', 'four', 'five', 'six'][i]} of the wire report says that the treaty between the two countries takes effect once both sides exchange the instruments of ratification in the capital.`,
).join('\n');

const row = (feedId: number, n: string, over: Partial<NewItem> = {}): NewItem => ({
  feed_id: feedId,
  identity_hash: `id-${n}`,
  guid: n,
  url: `https://feed${feedId}.example/${n}`,
  canonical_url: `https://feed${feedId}.example/${n}`,
  title: `Title ${n}`,
  summary: '',
  content_html: '',
  content_text: ARTICLE,
  author: '',
  categories: [],
  language: 'en',
  enclosures: '[]',
  published_at: null,
  updated_at: null,
  sort_at: new Date('2024-11-12T00:00:00Z'),
  fetched_at: new Date(),
  content_hash: n,
  ...over,
});

// Every case twice: near-duplicates looked up in PostgreSQL (the index off; items of 2024, older
// than any index's horizon), and in the worker's index (items of now).
const MODES = [
  { label: 'lookups in PostgreSQL', indexItems: 0, t0: Date.parse('2024-11-12T00:00:00Z') },
  { label: "lookups in the worker's index", indexItems: 1_000_000, t0: Date.now() - 3600_000 },
];

describe.each(MODES)('story grouping against Postgres, $label', ({ indexItems, t0 }) => {
  let db: Db;
  let drop: () => Promise<void>;
  const deps = () => ({
    db,
    config: loadConfig({
      DATABASE_URL: 'postgres://unused/db',
      STORY_WINDOW_HOURS: '72',
      STORY_INDEX_ITEMS: String(indexItems),
    }),
    log: createLogger('silent'),
  });
  // The story as the API names it: a story of one item keeps story_id NULL and is its item's id.
  const storyOf = async (feedId: number, guid: string) => {
    const item = await db
      .selectFrom('items')
      .select(['id', 'story_id'])
      .where('feed_id', '=', feedId)
      .where('guid', '=', guid)
      .executeTakeFirstOrThrow();
    return item.story_id ?? item.id;
  };
  const waiting = async (feedId: number) =>
    Number(
      (
        await db
          .selectFrom('ungrouped_items')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('feed_id', '=', feedId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const at = (hours: number) => new Date(t0 + hours * 3600_000);
  const item = (feedId: number, n: string, over: Partial<NewItem> = {}) => row(feedId, n, { sort_at: at(0), ...over });
  const feed = async (name: string) => (await insertFeed(db, `https://${name}.example/feed`, 900)).feed.id;

  beforeAll(async () => ({ db, drop } = await createTestDb()));
  afterAll(async () => drop?.());

  it('when items of two feeds were stored but a crash came before grouping, then the next run groups them together in one batch, and a second run changes nothing', async () => {
    const [a, b] = [await feed('crash-a'), await feed('crash-b')];
    await upsertItems(db, [item(a, 'x')]);
    await upsertItems(db, [item(b, 'y')]);
    expect(await waiting(a)).toBe(1);
    // One run takes every waiting item, of any feed.
    expect(await groupStories(deps())).toBe(2);
    expect(await storyOf(b, 'y')).toBe(await storyOf(a, 'x'));
    expect(await groupStories(deps())).toBe(0);
    expect(await waiting(a)).toBe(0);
    const bands = await db
      .selectFrom('item_bands')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(bands.n)).toBe(8); // 4 blocks of each of the two fingerprints
  });

  it('when copies are 71 hours apart they join; 73 hours apart they do not', async () => {
    const [a, b, c] = [await feed('win-a'), await feed('win-b'), await feed('win-c')];
    const text = ARTICLE.replaceAll('treaty', 'pact');
    await upsertItems(db, [item(a, 'w1', { content_text: text, sort_at: at(0) })]);
    await upsertItems(db, [item(b, 'w2', { content_text: text, sort_at: at(71) })]);
    await upsertItems(db, [item(c, 'w3', { content_text: text, sort_at: at(73) })]);
    await groupStories(deps());
    expect(await storyOf(b, 'w2')).toBe(await storyOf(a, 'w1'));
    // 73 h after w1, but 2 h after w2, which is in w1's story: it joins through w2.
    expect(await storyOf(c, 'w3')).toBe(await storyOf(a, 'w1'));
    const [d] = [await feed('win-d')];
    await upsertItems(db, [item(d, 'w4', { content_text: text, sort_at: at(147) })]);
    await groupStories(deps());
    expect(await storyOf(d, 'w4')).not.toBe(await storyOf(a, 'w1'));
  });

  it('when two feeds with copies of one article are grouped at the same moment, then they still make one story', async () => {
    const feeds = await Promise.all(['race-a', 'race-b', 'race-c', 'race-d'].map(feed));
    const text = ARTICLE.replaceAll('capital', 'port city');
    for (const f of feeds) await upsertItems(db, [item(f, `r${f}`, { content_text: text })]);
    await Promise.all(feeds.map(() => groupStories(deps())));
    const stories = await Promise.all(feeds.map((f) => storyOf(f, `r${f}`)));
    expect(new Set(stories).size).toBe(1);
  });

  it('when an item credits two stories of other feeds, then the two are merged into the older one, its later batch-mates following', async () => {
    const [a, b, c] = [await feed('merge-a'), await feed('merge-b'), await feed('merge-c')];
    const own = (feedId: number, n: string, url: string, text: string) =>
      item(feedId, n, { url, canonical_url: url, content_text: text, sort_at: at(1) });
    await upsertItems(db, [own(a, 'first', 'https://wire.example/first', 'Erste Meldung.')]);
    await upsertItems(db, [own(b, 'second', 'https://wire.example/second', 'Deuxième dépêche.')]);
    await groupStories(deps());
    const [storyA, storyB] = [await storyOf(a, 'first'), await storyOf(b, 'second')];
    expect(storyA).not.toBe(storyB);
    // Stories of one item are not written: only joining a story of several writes the item.
    const written = await db.selectFrom('items').select('story_id').where('feed_id', 'in', [a, b]).execute();
    expect(written.map((w) => w.story_id)).toEqual([null, null]);
    // One batch of feed c: an item crediting both reports, then one crediting only the second.
    await upsertItems(db, [
      item(c, 'both', {
        content_text: 'सारांश',
        credited_urls: ['https://wire.example/first', 'https://wire.example/second'],
      }),
      item(c, 'later', { content_text: 'दूसरा', credited_urls: ['https://wire.example/second'] }),
    ]);
    expect(await groupStories(deps())).toBe(2);
    const older = Math.min(storyA!, storyB!);
    expect(await storyOf(a, 'first')).toBe(older);
    expect(await storyOf(b, 'second')).toBe(older);
    expect(await storyOf(c, 'both')).toBe(older);
    // The later item of feed c may not join a story that already holds feed c: a story of its own.
    expect(await storyOf(c, 'later')).not.toBe(older);
  });

  it('when an original arrives after the copy that credits it, then the two meet', async () => {
    const [copyFeed, origFeed] = [await feed('credit-copy'), await feed('credit-orig')];
    await upsertItems(db, [
      item(copyFeed, 'copy', { content_text: 'अनुवाद', credited_urls: ['https://wire.example/original'] }),
    ]);
    await groupStories(deps());
    await upsertItems(db, [
      item(origFeed, 'orig', {
        url: 'https://wire.example/original',
        canonical_url: 'https://wire.example/original',
        content_text: 'English',
      }),
    ]);
    await groupStories(deps());
    expect(await storyOf(origFeed, 'orig')).toBe(await storyOf(copyFeed, 'copy'));
  });

  it('when items of a feed that is no longer polled were never grouped, then the daily clean-up groups them', async () => {
    const [a, b] = [await feed('daily-a'), await feed('daily-b')];
    const text = ARTICLE.replaceAll('ratification', 'approval');
    await upsertItems(db, [item(a, 'd1', { content_text: text })]);
    await upsertItems(db, [item(b, 'd2', { content_text: text })]);
    await pruneItems(appContext(deps().db, { ...deps().config, RETENTION_DAYS: 0 }));
    expect([await waiting(a), await waiting(b)]).toEqual([0, 0]);
    expect(await storyOf(b, 'd2')).toBe(await storyOf(a, 'd1'));
  });

  it('when items are deleted (retention, or their feed removed), then their bands and waiting rows go with them, and other items keep theirs', async () => {
    const [gone, pruned, kept] = [await feed('del-gone'), await feed('del-pruned'), await feed('del-kept')];
    const text = ARTICLE.replaceAll('ministers', 'envoys');
    const old = at(-24 * 365 * 30);
    await upsertItems(db, [item(gone, 'g1', { content_text: text })]);
    await upsertItems(db, [item(pruned, 'p1', { content_text: `${text} Pruned.`, sort_at: old })]);
    await upsertItems(db, [item(kept, 'k1', { content_text: `${text} Kept.` })]);
    await groupStories(deps());
    // One of each left waiting for grouping.
    await upsertItems(db, [item(gone, 'g2'), item(pruned, 'p2', { sort_at: old }), item(kept, 'k2')]);
    const ids = async (feedId: number) =>
      (await db.selectFrom('items').select('id').where('feed_id', '=', feedId).execute()).map((r) => r.id);
    const [goneIds, prunedIds, keptIds] = [await ids(gone), await ids(pruned), await ids(kept)];
    const rows = async (itemIds: number[]) => {
      const count = async (table: 'item_bands' | 'ungrouped_items') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('item_id', 'in', itemIds)
              .executeTakeFirstOrThrow()
          ).n,
        );
      return { bands: await count('item_bands'), waiting: await count('ungrouped_items') };
    };
    expect(await rows(goneIds)).toEqual({ bands: 4, waiting: 1 });
    expect(await rows(prunedIds)).toEqual({ bands: 4, waiting: 1 });
    await deleteFeed(db, gone);
    expect(await pruneItemsBefore(db, at(-24 * 365 * 29), 100)).toBe(2);
    expect(await rows(goneIds)).toEqual({ bands: 0, waiting: 0 });
    expect(await rows(prunedIds)).toEqual({ bands: 0, waiting: 0 });
    expect(await rows(keptIds)).toEqual({ bands: 4, waiting: 1 });
  });

  it('when a feed has items whose grouping job was lost, then the left-overs schedule queues one grouping for that feed', async () => {
    const [lost, done] = [await feed('lost-job'), await feed('grouped-already')];
    await upsertItems(db, [item(done, 'g1')]);
    await groupStories(deps());
    await upsertItems(db, [item(lost, 'l1'), item(lost, 'l2')]);
    const ctx = appContext(deps().db, deps().config);
    await queueLeftOverGrouping(ctx);
    const queuedFor = ctx.queued.filter((j) => j.name === 'group-stories').map((j) => j.data);
    expect(queuedFor).toContainEqual({ feedId: lost });
    expect(queuedFor).not.toContainEqual({ feedId: done });
    expect(new Set(queuedFor.map((d) => JSON.stringify(d))).size).toBe(queuedFor.length);
  });
});

/** Feeds of one item each, at a chosen time, in the database `db()` gives (the index's tests). */
function oneItemFeeds(db: () => Db) {
  return {
    hoursAgo: (h: number) => new Date(Date.now() - h * 3600_000),
    text: (topic: string) => ARTICLE.replaceAll('treaty', topic),
    storyOf: async (feedId: number) => {
      const i = await db()
        .selectFrom('items')
        .select(['id', 'story_id'])
        .where('feed_id', '=', feedId)
        .executeTakeFirstOrThrow();
      return i.story_id ?? i.id;
    },
    feedWith: async (name: string, content: string, sortAt: Date) => {
      const id = (await insertFeed(db(), `https://${name}.example/feed`, 900)).feed.id;
      await upsertItems(db(), [row(id, name, { content_text: content, sort_at: sortAt })]);
      return id;
    },
  };
}

describe("the worker's near-duplicate index", () => {
  let db: Db;
  let other: Db;
  let drop: () => Promise<void>;
  const config = loadConfig({ DATABASE_URL: 'postgres://unused/db', STORY_WINDOW_HOURS: '72' });
  // Two workers: each database handle has an index of its own.
  const worker = (handle: Db) => ({ db: handle, config, log: createLogger('silent') });
  const { hoursAgo, text, storyOf, feedWith } = oneItemFeeds(() => db);

  beforeAll(async () => {
    let url: string;
    ({ db, url, drop } = await createTestDb());
    other = createDb(url, 2);
  });
  afterAll(async () => {
    await other?.destroy();
    await drop?.();
  });

  it('when another worker grouped a copy since this one last looked, then this one reads it before its lookups', async () => {
    // Worker A builds its index.
    await feedWith('idx-first', text('first accord'), hoursAgo(2));
    expect(await groupStories(worker(db))).toBe(1);
    // Worker B groups an original; A's index has not seen it.
    const original = await feedWith('idx-original', text('second accord'), hoursAgo(2));
    expect(await groupStories(worker(other))).toBe(1);
    // A groups its copy: found only if A read B's generation first.
    const copy = await feedWith('idx-copy', text('second accord'), hoursAgo(1));
    expect(await groupStories(worker(db))).toBe(1);
    expect(await storyOf(copy)).toBe(await storyOf(original));
    const { generation } = await db.selectFrom('story_index_state').select('generation').executeTakeFirstOrThrow();
    const bands = await db.selectFrom('item_bands').select(['generation']).distinct().orderBy('generation').execute();
    expect(bands.map((b) => Number(b.generation))).toEqual([1, 2, 3]);
    expect(Number(generation)).toBe(3);
  });

  it("when an item's window reaches before the index's horizon, then its copy is found in PostgreSQL, in a batch with recent items", async () => {
    const old = await feedWith('idx-old', text('archive accord'), hoursAgo(24 * 400));
    await groupStories(worker(db));
    const oldCopy = await feedWith('idx-old-copy', text('archive accord'), hoursAgo(24 * 400 - 1));
    const recent = await feedWith('idx-recent', text('fresh accord'), hoursAgo(3));
    const recentCopy = await feedWith('idx-recent-copy', text('fresh accord'), hoursAgo(2));
    expect(await groupStories(worker(db))).toBe(3);
    expect(await storyOf(oldCopy)).toBe(await storyOf(old));
    expect(await storyOf(recentCopy)).toBe(await storyOf(recent));
  });

  it('when the table is older than the index (a database restored), then the index is read again from the table', async () => {
    await feedWith('idx-before-restore', text('earlier accord'), hoursAgo(2));
    await groupStories(worker(db));
    // A restore from a backup: generation numbers start over below what worker A has read.
    await db.updateTable('story_index_state').set({ generation: '0' }).execute();
    const original = await feedWith('idx-restored', text('restored accord'), hoursAgo(2));
    await groupStories(worker(other)); // generation 1, which A believes it has read
    const copy = await feedWith('idx-restored-copy', text('restored accord'), hoursAgo(1));
    expect(await groupStories(worker(db))).toBe(1);
    expect(await storyOf(copy)).toBe(await storyOf(original));
  });
});

describe("a worker's near-duplicate index that starts with more fingerprints stored than it may hold", () => {
  let db: Db;
  let fresh: Db;
  let drop: () => Promise<void>;
  const config = (indexItems: number) =>
    loadConfig({
      DATABASE_URL: 'postgres://unused/db',
      STORY_WINDOW_HOURS: '72',
      STORY_INDEX_ITEMS: String(indexItems),
    });
  const { hoursAgo, text, storyOf, feedWith } = oneItemFeeds(() => db);

  beforeAll(async () => {
    let url: string;
    ({ db, url, drop } = await createTestDb());
    fresh = createDb(url, 2);
  });
  afterAll(async () => {
    await fresh?.destroy();
    await drop?.();
  });

  it('then it reads the newest it may hold, and the copy of an older item is found in PostgreSQL', async () => {
    // Six, four days and an hour old: all inside the index's reach in time (ten windows).
    const oldest = await feedWith('cut-oldest', text('harbour accord'), hoursAgo(24 * 6));
    await feedWith('cut-older', text('river accord'), hoursAgo(24 * 4));
    const newest = await feedWith('cut-newest', text('mountain accord'), hoursAgo(1));
    expect(await groupStories({ db, config: config(500_000), log: createLogger('silent') })).toBe(3);
    // Another worker that may hold two fingerprints: the two newest (which still span one window).
    const oldCopy = await feedWith('cut-oldest-copy', text('harbour accord'), hoursAgo(24 * 6 - 1));
    const newCopy = await feedWith('cut-newest-copy', text('mountain accord'), hoursAgo(0.5));
    expect(await groupStories({ db: fresh, config: config(2), log: createLogger('silent') })).toBe(2);
    expect(await storyOf(oldCopy)).toBe(await storyOf(oldest));
    expect(await storyOf(newCopy)).toBe(await storyOf(newest));
  });
});

describe('items waiting for grouping', () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await createTestDb()));
  afterAll(async () => drop?.());

  it('when more wait than a batch takes, then a batch is the oldest stored, in order, and the next batch the ones after them', async () => {
    const feedId = (await insertFeed(db, 'https://waiting.example/feed', 900)).feed.id;
    const stored = await upsertItems(
      db,
      // Fingerprinted as a poll stores them; one without a title.
      ['a', 'b', 'c', 'd', 'e'].map((n) => row(feedId, n, { title: n === 'c' ? '' : `Title ${n}`, simhash: '12345' })),
    );
    const ids = stored.map((s) => s.id).sort((x, y) => x - y);
    const first = await ungroupedItems(db, 3);
    expect(first.map((i) => i.id)).toEqual(ids.slice(0, 3));
    // The text travels only where grouping needs it: here, the untitled item's headline.
    expect(first.map((i) => i.contentText !== '')).toEqual([false, false, true]);
    await db.deleteFrom('ungrouped_items').where('item_id', 'in', ids.slice(0, 3)).execute();
    expect((await ungroupedItems(db, 3)).map((i) => i.id)).toEqual(ids.slice(3));
  });
});
