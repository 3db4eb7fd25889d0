import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery, sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { claimDueFeeds, deleteFeed, getFeed, insertFeed } from '../../src/db/feeds.repository.js';
import { listItems, listItemsQuery, upsertItems, type Cursor, type ItemFilter } from '../../src/db/items.repository.js';
import { createTopic, replaceItemTags } from '../../src/db/topics.repository.js';
import { searchKeys, searchTexts } from '../../src/rules/search-keys.js';
import type { ItemRow } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { groupStories } from '../../src/app/stories.js';
import { itemRow } from '../helpers/item-rows.js';
import { createTestDb } from '../helpers/test-db.js';

describe('repositories against Postgres', () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await createTestDb()));
  afterAll(async () => drop?.());

  it('when the same items are written twice, then the database stores them once and the second write returns nothing', async () => {
    const { feed } = await insertFeed(db, 'https://dedupe.example/feed', 900);
    const batch = [itemRow(feed.id, 1), itemRow(feed.id, 2)];
    expect((await upsertItems(db, batch)).map((r) => r.inserted)).toEqual([true, true]);
    expect(await upsertItems(db, batch)).toEqual([]);
    const changed = await upsertItems(db, [itemRow(feed.id, 1, { content_hash: 'c2' })]);
    expect(changed).toMatchObject([{ inserted: false, identityHash: 'id-1' }]);
    const { count } = await db
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('feed_id', '=', feed.id)
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(2);
  });

  it('when two schedulers claim due feeds at the same moment, then each feed goes to exactly one of them', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push((await insertFeed(db, `https://claims.example/${i}`, 900)).feed.id);
    await sql`UPDATE feeds SET next_poll_at = now() - interval '1 minute'`.execute(db);
    const idsOf = (claims: { id: number }[]) => claims.map((c) => c.id);
    const [a, b] = (await Promise.all([claimDueFeeds(db, 30, 600), claimDueFeeds(db, 30, 600)])).map(idsOf) as [
      number[],
      number[],
    ];
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    const claimed = [...a, ...b];
    expect(claimed.length).toBeGreaterThanOrEqual(30);
    expect(await claimDueFeeds(db, 100, 600)).toHaveLength(41 - claimed.length);
    expect(await claimDueFeeds(db, 100, 600)).toEqual([]);
  });

  it('when items are stored, then each carries exactly the search keys of its texts, none for a text without words', async () => {
    const { feed } = await insertFeed(db, 'https://keys.example/feed', 900);
    const rows = [
      itemRow(feed.id, 1, { title: '', content_text: '… — !' }),
      itemRow(feed.id, 2, {
        title: 'Corée du Nord',
        summary: 'ロシアと北朝鮮',
        content_text: 'रूस 2026',
        categories: ['World'],
      }),
    ];
    const stored = await upsertItems(db, rows);
    const keys = await db
      .selectFrom('items')
      .select(['identity_hash', 'search_keys'])
      .where(
        'id',
        'in',
        stored.map((s) => s.id),
      )
      .orderBy('identity_hash')
      .execute();
    expect(keys).toEqual(
      rows.map((r) => ({ identity_hash: r.identity_hash, search_keys: searchKeys(searchTexts(r)) })),
    );
    expect(keys[0]!.search_keys).toEqual([]);
    expect(keys[1]!.search_keys!.length).toBeGreaterThan(10);
    // Negative keys (half of them) survive the binary form.
    expect(keys[1]!.search_keys!.some((k) => k < 0)).toBe(true);
  });

  it('when items are searched by text, then the search index finds them by their folded words without reading every stored text', async () => {
    const { feed } = await insertFeed(db, 'https://search.example/feed', 900);
    await upsertItems(db, [
      { ...itemRow(feed.id, 1), title: 'Talks in Geneva', content_text: 'Negotiators met.' },
      { ...itemRow(feed.id, 2), title: 'Weather', content_text: 'Rain over GENEVA and Zürich.' },
      { ...itemRow(feed.id, 3), title: 'Markets', content_text: 'Nothing of note.' },
    ]);
    for (const stories of [true, false]) {
      const found = await listItems(db, { feedId: feed.id, q: 'geneva', stories }, 50, null);
      expect(found.map((i) => i.title).sort()).toEqual(['Talks in Geneva', 'Weather']);
      expect(
        (await listItems(db, { feedId: feed.id, q: 'ZURICH rain', stories }, 50, null)).map((i) => i.title),
      ).toEqual(['Weather']);
      expect(await listItems(db, { feedId: feed.id, q: 'genev', stories }, 50, null)).toEqual([]);
      expect(await listItems(db, { feedId: feed.id, q: '…', stories }, 50, null)).toEqual([]);
      // With scans of a whole table or of the time index ruled out, only the search index is
      // left: a plan still scanning items means the search reads every text.
      const query = listItemsQuery(db, { q: 'zürich', stories }, 50, null).compile();
      const plan = await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        await sql`SET LOCAL enable_indexscan = off`.execute(trx);
        const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('Bitmap Index Scan on items_search_keys_idx');
      expect(plan).not.toMatch(/Seq Scan on items\b/);
    }
  });

  it('when a text search reads the newest items first, then every page is the one the indexed search gives', async () => {
    const { feed } = await insertFeed(db, 'https://newest-first.example/feed', 900);
    const topic = (await createTopic(db, {
      slug: 'newest-first',
      name: 'Newest first',
      rule: 'common',
      visibility: 'public',
      feed_key: 'k1',
    }))!;
    // 40 items a minute apart: "common" in four of five, "rare" in the three oldest only.
    const base = Date.parse('2025-03-01T00:00:00Z');
    const stored = await upsertItems(
      db,
      Array.from({ length: 40 }, (_, n) => ({
        ...itemRow(feed.id, 1000 + n),
        title: `Item ${n}`,
        sort_at: new Date(base + n * 60_000),
        content_text: `${n % 5 ? 'common' : 'other'} words${n < 3 ? ', a rare one' : ''}`,
      })),
    );
    const ids = stored.map((s) => s.id).sort((a, b) => a - b);
    // Items two by two in one story (so `stories` leaves one of each), every third one in the topic.
    for (let k = 0; k < ids.length; k += 2)
      await sql`UPDATE items SET story_id = ${ids[k]} WHERE id IN (${ids[k]}, ${ids[k + 1]})`.execute(db);
    const tagged = stored.filter((_, k) => k % 3 === 0);
    await replaceItemTags(
      db,
      tagged.map((s) => s.id),
      tagged.map((s) => ({ itemId: s.id, topicId: topic.id, sortAt: s.sortAt, terms: [] })),
    );

    const outcomes = { fromNewest: 0, fellBack: 0 };
    for (const q of ['common', 'RARE', 'absent'])
      for (const stories of [true, false])
        for (const topicId of [undefined, topic.id]) {
          const filter: ItemFilter = { feedId: feed.id, q, stories, topicId };
          let cursor: Cursor | null = null;
          for (let page = 0; page < 20; page++) {
            const indexed: ItemRow[] = await listItemsQuery(db, filter, 4, cursor).execute();
            for (const walk of [6, 15]) {
              const newest = await listItemsQuery(db, filter, 4, cursor, walk).execute();
              if (newest.length === 4) {
                expect(
                  newest.map((i) => i.id),
                  `${q} ${stories} ${topicId} page ${page} walk ${walk}`,
                ).toEqual(indexed.map((i) => i.id));
                outcomes.fromNewest++;
              } else outcomes.fellBack++;
            }
            expect((await listItems(db, filter, 4, cursor)).map((i) => i.id)).toEqual(indexed.map((i) => i.id));
            if (indexed.length < 4) break;
            const last = indexed[indexed.length - 1]!;
            cursor = { sortAt: last.sort_at, id: last.id };
          }
        }
    // Both ways were taken: pages the newest items filled, and pages that needed the indexes.
    expect(outcomes.fromNewest).toBeGreaterThan(10);
    expect(outcomes.fellBack).toBeGreaterThan(10);
  });

  it('when a feed is deleted while its new items are being grouped, then both finish and the feed is gone', async () => {
    // Without the grouping lock in deleteFeed, 18 of 40 such deletes ended in "deadlock detected".
    const deps = { db, config: loadConfig({ DATABASE_URL: 'postgres://unused/db' }), log: createLogger('silent') };
    for (let round = 0; round < 15; round++) {
      const { feed } = await insertFeed(db, `https://deleted-${round}.example/feed`, 900);
      await upsertItems(
        db,
        Array.from({ length: 30 }, (_, n) => ({
          ...itemRow(feed.id, n),
          url: `https://deleted.example/${round}/${n}`,
          canonical_url: `https://deleted.example/${round}/${n}`,
          content_text: `story ${n} of round ${round}`,
        })),
      );
      const grouping = groupStories(deps);
      await new Promise((resolve) => setTimeout(resolve, round % 5));
      expect(await deleteFeed(db, feed.id)).toBe(true);
      await grouping;
      expect(await getFeed(db, feed.id)).toBeUndefined();
    }
  });

  it('when an item read for re-tagging is deleted before its tags are written, then the others are tagged and nothing fails', async () => {
    const { feed } = await insertFeed(db, 'https://retag-race.example/feed', 900);
    const topic = (await createTopic(db, {
      slug: 'retag-race',
      name: 'Retag race',
      rule: 'words',
      visibility: 'public',
      feed_key: 'k2',
    }))!;
    const [kept, gone] = await upsertItems(db, [itemRow(feed.id, 1), itemRow(feed.id, 2)]);
    await db.deleteFrom('items').where('id', '=', gone!.id).execute();
    const tag = (itemId: number) => ({
      itemId,
      topicId: topic.id,
      sortAt: new Date(),
      terms: [{ term: 'words', fields: ['content'] }],
    });
    await replaceItemTags(db, [kept!.id, gone!.id], [tag(kept!.id), tag(gone!.id)], topic.id);
    const tagged = await db.selectFrom('item_topics').select('item_id').where('topic_id', '=', topic.id).execute();
    expect(tagged.map((t) => t.item_id)).toEqual([kept!.id]);
  });
});
