import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { MatchableItem } from '../rules/compile.js';
import { searchKeys, searchQueryKeys, searchTexts } from '../rules/search-keys.js';
import type { KeyCondition } from '../rules/search-query.js';
import type { Db } from './database.js';
import { feedLabels } from './feeds.repository.js';
import { searchWalkLength } from './search-walk.js';
import type { ItemRow, MatchedTerm, NewItem, TopicVisibility } from './schema.js';

export interface StoredItem {
  id: number;
  identityHash: string;
  sortAt: Date;
  inserted: boolean;
}

/**
 * Inserts new items and updates changed ones, keyed on (feed, identity): the database is the last
 * judge of "already stored", so a retried job or two workers on one feed never store an item
 * twice. Unchanged items are not written and not returned. New items are marked as waiting for
 * story grouping; call it in a transaction for the two to commit together.
 */
export async function upsertItems(db: Db, items: NewItem[]): Promise<StoredItem[]> {
  const stored: StoredItem[] = [];
  if (items.length > 0) await sql`SELECT set_config('work_mem', ${INSERT_WORK_MEM}, true)`.execute(db);
  // PostgreSQL takes at most 65,535 parameters in a statement: ~20 an item.
  for (let at = 0; at < items.length; at += UPSERT_BATCH) {
    stored.push(...(await upsertBatch(db, items.slice(at, at + UPSERT_BATCH))));
  }
  return stored;
}

const UPSERT_BATCH = 1000;

/**
 * work_mem for the rest of an upsert's transaction. The search index takes new entries into its
 * pending list, which the insert that overflows it merges into the index, sorting them in
 * work_mem: at PostgreSQL's default 4 MB the merge runs in many passes and costs twice as much
 * (the index's upkeep for 50,000 farm items: 0.43 against 0.21 ms of CPU an item,
 * docs/benchmarks.md). It bounds one sort at a time of one statement of this transaction.
 */
export const INSERT_WORK_MEM = '64MB';

/** Every column of items but search_keys (hundreds of integers an item, read by the database only). */
const ITEM_COLUMNS = [
  'items.id',
  'items.feed_id',
  'items.identity_hash',
  'items.guid',
  'items.url',
  'items.canonical_url',
  'items.title',
  'items.summary',
  'items.content_html',
  'items.content_text',
  'items.author',
  'items.categories',
  'items.language',
  'items.enclosures',
  'items.published_at',
  'items.updated_at',
  'items.sort_at',
  'items.fetched_at',
  'items.content_hash',
  'items.story_id',
  'items.story_pinned',
  'items.simhash',
  'items.credited_urls',
] as const;

/**
 * An int4[] parameter in PostgreSQL's binary array format (node-postgres sends a Buffer parameter
 * as binary): ~380 keys an item written as text were a tenth of a worker's CPU as JS arrays, and
 * ~3% of it still as one joined string, which PostgreSQL then parsed digit by digit.
 */
function intArray(values: readonly number[]) {
  // Header: dimensions, has-nulls flag, element type (int4); then the one dimension's length and
  // lower bound; then each element as its length (4) and value, all big-endian.
  const bytes = Buffer.allocUnsafe(values.length === 0 ? 12 : 20 + 8 * values.length);
  bytes.writeInt32BE(values.length === 0 ? 0 : 1, 0);
  bytes.writeInt32BE(0, 4);
  bytes.writeInt32BE(INT4_OID, 8);
  if (values.length > 0) {
    bytes.writeInt32BE(values.length, 12);
    bytes.writeInt32BE(1, 16);
    for (let i = 0, at = 20; i < values.length; i++, at += 8) {
      bytes.writeInt32BE(4, at);
      bytes.writeInt32BE(values[i]!, at + 4);
    }
  }
  return sql<number[]>`${bytes}::int4[]`;
}

const INT4_OID = 23;

async function upsertBatch(db: Db, items: NewItem[]): Promise<StoredItem[]> {
  const rows = await db
    .insertInto('items')
    // The search index's keys are derived here, so that no writer can store an item search misses.
    .values(items.map((item) => ({ ...item, search_keys: intArray(searchKeys(searchTexts(item))) })))
    .onConflict((oc) =>
      oc
        .columns(['feed_id', 'identity_hash'])
        .doUpdateSet((eb) => ({
          guid: eb.ref('excluded.guid'),
          url: eb.ref('excluded.url'),
          canonical_url: eb.ref('excluded.canonical_url'),
          title: eb.ref('excluded.title'),
          summary: eb.ref('excluded.summary'),
          content_html: eb.ref('excluded.content_html'),
          content_text: eb.ref('excluded.content_text'),
          author: eb.ref('excluded.author'),
          categories: eb.ref('excluded.categories'),
          language: eb.ref('excluded.language'),
          enclosures: eb.ref('excluded.enclosures'),
          published_at: eb.ref('excluded.published_at'),
          updated_at: eb.ref('excluded.updated_at'),
          content_hash: eb.ref('excluded.content_hash'),
          credited_urls: eb.ref('excluded.credited_urls'),
          search_keys: eb.ref('excluded.search_keys'),
        }))
        .where('items.content_hash', '<>', (eb) => eb.ref('excluded.content_hash')),
    )
    .returning(['id', 'feed_id', 'identity_hash', 'sort_at', sql<boolean>`(xmax = 0)`.as('inserted')])
    .execute();
  // Every new item waits for story grouping (an edited one keeps its story).
  const inserted = rows.filter((r) => r.inserted);
  if (inserted.length) {
    await db
      .insertInto('ungrouped_items')
      .values(inserted.map((r) => ({ item_id: r.id, feed_id: r.feed_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return rows.map((r) => ({ id: r.id, identityHash: r.identity_hash, sortAt: r.sort_at, inserted: r.inserted }));
}

// A poll checks the pruned identities and then stores its items: a prune batch committing in
// between would see its items stored again. Polls hold this lock shared while they store, a
// prune batch holds it alone.
const PRUNE_LOCK = 0x70_72_75_6e; // "prun"

/** Taken by a poll before it reads the pruned identities, until its items are stored. */
export async function lockPruningShared(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${PRUNE_LOCK})`.execute(trx);
}

/** Taken by a prune batch: no poll is between its pruned-identities check and its writes. */
export async function lockPruning(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${PRUNE_LOCK})`.execute(trx);
}

/**
 * Deletes up to `limit` items older than `before`, keeping their identities so that the feed
 * does not bring them back; returns how many went. One statement, so a crash loses nothing.
 */
export async function pruneItemsBefore(db: Db, before: Date, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockPruning(trx);
    const res = await sql<{ n: number }>`
      WITH gone AS (
        DELETE FROM items WHERE id IN (SELECT id FROM items WHERE sort_at < ${before} ORDER BY sort_at LIMIT ${limit})
        RETURNING feed_id, identity_hash),
      kept AS (
        INSERT INTO pruned_identities (feed_id, identity_hash) SELECT feed_id, identity_hash FROM gone
        ON CONFLICT DO NOTHING)
      SELECT count(*)::int AS n FROM gone`.execute(trx);
    return res.rows[0]?.n ?? 0;
  });
}

/** Of these identities of a feed, the ones retention removed (not to be stored again). */
export async function prunedIdentities(db: Db, feedId: number, identities: string[]): Promise<Set<string>> {
  if (identities.length === 0) return new Set();
  const rows = await db
    .selectFrom('pruned_identities')
    .select('identity_hash')
    .where('feed_id', '=', feedId)
    .where('identity_hash', 'in', identities)
    .execute();
  return new Set(rows.map((r) => r.identity_hash));
}

/** The content hashes of those of a feed's items that are stored, by identity. */
export async function storedContentHashes(db: Db, feedId: number, identities: string[]): Promise<Map<string, string>> {
  if (identities.length === 0) return new Map();
  const rows = await db
    .selectFrom('items')
    .select(['identity_hash', 'content_hash'])
    .where('feed_id', '=', feedId)
    .where('identity_hash', 'in', identities)
    .execute();
  return new Map(rows.map((r) => [r.identity_hash, r.content_hash]));
}

/** A stored item as topic rules read it (one mapping for re-tagging and previews). */
export function matchableItem(row: ItemRow, feedTitle: string): MatchableItem {
  return {
    title: row.title,
    summary: row.summary,
    contentText: row.content_text,
    author: row.author,
    categories: row.categories,
    url: row.url,
    feedTitle,
    language: row.language,
  };
}

export interface ItemFilter {
  topicId?: number;
  feedId?: number;
  since?: Date;
  until?: Date;
  /** Every word of it (as the index keys words): the repository's own plain search. */
  q?: string;
  /** What the search index must hold (a rule's key condition, src/rules/search-query.ts). */
  keys?: KeyCondition;
  lang?: string;
  /** One entry per story: its earliest item among those the filter keeps (see listItems). */
  stories?: boolean;
  /** With stories: an item in this language (a tag prefix, "hi" for "hi-IN") represents its story first. */
  preferLang?: string;
  /** Only items of at least one public topic (what a reader without a token may see). */
  publicOnly?: boolean;
}

export interface Cursor {
  sortAt: Date;
  id: number;
}

/** Another item of the same story: where else the article was published. */
export interface StorySource {
  id: number;
  feedId: number;
  feedTitle: string;
  url: string;
  title: string;
  language: string;
  /** Whether a public topic tagged it (what decides whether a reader without a token sees it). */
  inPublicTopic: boolean;
}

/** A topic that tagged an item, with the terms that matched. */
export interface ItemTag {
  slug: string;
  terms: MatchedTerm[];
  visibility: TopicVisibility;
}

export type ItemWithTopics = ItemRow & { feedTitle: string; topics: ItemTag[]; sources: StorySource[] };

/**
 * Newest first, keyset-paginated on (sort_at, id): pages stay fast and stable while items arrive.
 * With `stories`, an item is left out when a better item of its story passes the same filter, so
 * every story appears once, as an item that a reader of this topic (or feed, or search) could
 * have seen: one from a preferred feed first, then one in `preferLang`, then the earliest.
 */
export async function listItems(
  db: Db,
  filter: ItemFilter,
  limit: number,
  cursor: Cursor | null,
): Promise<ItemWithTopics[]> {
  // A text search looks among the newest items first: PostgreSQL cannot tell how many texts hold
  // a word and takes a long word for a rare one, so the indexed query alone checks every item
  // that has a common word, newest or not (docs/benchmarks.md, "Text search").
  return withTopicsAndSources(db, await listItemRows(db, filter, limit, cursor));
}

/** listItems' rows, without their topics and story sources (a search adds them to the rows it keeps). */
export async function listItemRows(
  db: Db,
  filter: ItemFilter,
  limit: number,
  cursor: Cursor | null,
): Promise<ItemRow[]> {
  let rows: ItemRow[] = [];
  if (hasText(filter)) {
    rows = await listItemsQuery(db, filter, limit, cursor, SEARCH_NEWEST_FIRST).execute();
    const walk =
      rows.length < limit
        ? searchWalkLength(limit, rows.length, SEARCH_NEWEST_FIRST, await storedItemsEstimate(db))
        : null;
    if (walk !== null) rows = await listItemsQuery(db, filter, limit, cursor, walk).execute();
  }
  if (rows.length < limit) rows = await listItemsQuery(db, filter, limit, cursor).execute();
  return rows;
}

/** Whether the filter narrows by text (a condition the search index serves). */
function hasText(filter: ItemFilter): boolean {
  return filter.keys ? filter.keys.kind !== 'any' : filter.q !== undefined;
}

/** About how many items are stored: PostgreSQL's own count, kept by (auto)vacuum and ANALYZE, read without a scan. */
async function storedItemsEstimate(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT reltuples AS n FROM pg_class WHERE oid = 'items'::regclass`.execute(
    db,
  );
  return Math.max(0, Number(rows[0]?.n ?? 0));
}

/** How many of the newest items a text search reads before it asks the trigram indexes. */
const SEARCH_NEWEST_FIRST = 1000;

/**
 * listItems' query, unexecuted (the tests read its plan). With `newest`, only the `newest` newest
 * items before the cursor that pass the filter's other conditions are searched for its text: the
 * page is the right one when it comes back full, as every item left out is older than all of it.
 */
export function listItemsQuery(db: Db, filter: ItemFilter, limit: number, cursor: Cursor | null, newest?: number) {
  // A topic's timeline is read from item_topics' own (topic_id, sort_at, item_id) index.
  const byTopic = filter.topicId !== undefined;
  const sortCol = sql.ref<Date>(byTopic ? 'it.sort_at' : 'items.sort_at');
  const idCol = sql.ref<number>(byTopic ? 'it.item_id' : 'items.id');
  let timeline = db.selectFrom('items').select(ITEM_COLUMNS);
  if (byTopic) {
    timeline = timeline
      .innerJoin('item_topics as it', 'it.item_id', 'items.id')
      .where('it.topic_id', '=', filter.topicId!);
  }
  if (cursor) timeline = timeline.where(sql<SqlBool>`(${sortCol}, ${idCol}) < (${cursor.sortAt}, ${cursor.id})`);
  for (const condition of filterConditions(filter, 'items', sortCol)) timeline = timeline.where(condition);
  let query = timeline;
  let [outerSort, outerId] = [sortCol, idCol];
  if (newest !== undefined) {
    // Same columns under the same name: only conditions written in SQL are added below.
    // The keys travel inside for the text condition, not out.
    const newestItems = timeline
      .select('items.search_keys')
      .orderBy(sortCol, 'desc')
      .orderBy(idCol, 'desc')
      .limit(newest);
    query = db.selectFrom(newestItems.as('items')).select(ITEM_COLUMNS) as unknown as typeof timeline;
    // item_topics.sort_at is a copy of the item's, so the outer order is the timeline's.
    [outerSort, outerId] = [sql.ref<Date>('items.sort_at'), sql.ref<number>('items.id')];
  }
  for (const condition of textCondition(filter, 'items')) query = query.where(condition);
  if (filter.stories) {
    const topicJoin = byTopic
      ? sql`JOIN item_topics ot ON ot.item_id = o.id AND ot.topic_id = ${filter.topicId}`
      : sql``;
    const same = [...filterConditions(filter, 'o', sql.ref<Date>('o.sort_at')), ...textCondition(filter, 'o')];
    const rank = (table: string) => {
      const langMatch = filter.preferLang
        ? sql`${sql.ref(`${table}.language`)} ILIKE ${`${escapeLike(filter.preferLang)}%`}`
        : sql`true`;
      // Ascending order of "better": preferred feed, preferred language, then earliest.
      return sql`(NOT (SELECT preferred FROM feeds WHERE feeds.id = ${sql.ref(`${table}.feed_id`)}), NOT (${langMatch}), ${sql.ref(`${table}.sort_at`)}, ${sql.ref(`${table}.id`)})`;
    };
    query = query.where(sql<SqlBool>`NOT EXISTS (
      SELECT 1 FROM items o ${topicJoin}
      WHERE o.story_id = items.story_id AND o.id <> items.id AND ${rank('o')} < ${rank('items')}
      ${
        same.length
          ? sql.join(
              same.map((c) => sql`AND ${c}`),
              sql` `,
            )
          : sql``
      })`);
  }
  return query.orderBy(outerSort, 'desc').orderBy(outerId, 'desc').limit(limit);
}

/**
 * The items of these stories that pass the filter (its topic, feed, times, language, audience and
 * key condition; never its cursor): whom a search's matches compete with to stand for their story.
 */
export async function storyMembers(db: Db, storyIds: number[], filter: ItemFilter): Promise<ItemRow[]> {
  if (storyIds.length === 0) return [];
  let query = db.selectFrom('items').select(ITEM_COLUMNS).where('items.story_id', 'in', storyIds);
  let sortCol = sql.ref<Date>('items.sort_at');
  if (filter.topicId !== undefined) {
    query = query.innerJoin('item_topics as it', 'it.item_id', 'items.id').where('it.topic_id', '=', filter.topicId);
    sortCol = sql.ref<Date>('it.sort_at');
  }
  for (const condition of [...filterConditions(filter, 'items', sortCol), ...textCondition(filter, 'items')]) {
    query = query.where(condition);
  }
  return query.execute();
}

/** The filter as SQL conditions on the items table known as `table` (the listing, or its story check), its text apart. */
function filterConditions(filter: ItemFilter, table: string, sortCol: RawBuilder<Date>): RawBuilder<SqlBool>[] {
  const col = (name: string) => sql.ref(`${table}.${name}`);
  const out: RawBuilder<SqlBool>[] = [];
  if (filter.feedId !== undefined) out.push(sql<SqlBool>`${col('feed_id')} = ${filter.feedId}`);
  if (filter.since) out.push(sql<SqlBool>`${sortCol} >= ${filter.since}`);
  if (filter.until) out.push(sql<SqlBool>`${sortCol} < ${filter.until}`);
  if (filter.lang) out.push(sql<SqlBool>`${col('language')} ILIKE ${`${escapeLike(filter.lang)}%`}`);
  if (filter.publicOnly) out.push(inPublicTopic(col('id')));
  return out;
}

/** The item is tagged by a public topic (read from item_topics' primary key, one probe a topic). */
function inPublicTopic(itemId: RawBuilder<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`EXISTS (SELECT 1 FROM item_topics pt JOIN topics t ON t.id = pt.topic_id
    WHERE pt.item_id = ${itemId} AND t.visibility = 'public')`;
}

/**
 * The filter's text (`q`) as a condition the search index serves: the item holds every key of
 * the query (its folded words; character pairs in scripts without spaces). A query without a
 * word matches nothing.
 */
function textCondition(filter: ItemFilter, table: string): RawBuilder<SqlBool>[] {
  if (filter.keys) return filter.keys.kind === 'any' ? [] : [keysSql(filter.keys, sql.ref(`${table}.search_keys`))];
  if (filter.q === undefined) return [];
  const keys = searchQueryKeys(filter.q);
  if (keys.length === 0) return [sql<SqlBool>`false`];
  return [sql<SqlBool>`${sql.ref(`${table}.search_keys`)} @> ${sql.lit(`{${keys.join(',')}}`)}::int4[]`];
}

/** A key condition as SQL over the keys column (GIN answers each "@>", and their ANDs and ORs). */
function keysSql(condition: KeyCondition, column: RawBuilder<unknown>): RawBuilder<SqlBool> {
  switch (condition.kind) {
    case 'any':
      return sql<SqlBool>`true`;
    case 'keys':
      return sql<SqlBool>`${column} @> ${sql.lit(`{${condition.keys.join(',')}}`)}::int4[]`;
    case 'and':
    case 'or':
      return sql<SqlBool>`(${sql.join(
        condition.children.map((c) => keysSql(c, column)),
        condition.kind === 'and' ? sql` AND ` : sql` OR `,
      )})`;
  }
}

/** The times of a feed's newest items, for its observed rhythm. */
export async function recentItemTimes(db: Db, feedId: number, limit = 20): Promise<Date[]> {
  const rows = await db
    .selectFrom('items')
    .select('sort_at')
    .where('feed_id', '=', feedId)
    .orderBy('sort_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.sort_at);
}

/** Those of these items that are (still) in the topic, newest first. */
export async function itemsInTopic(db: Db, topicId: number, ids: number[]): Promise<ItemWithTopics[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('items')
    .innerJoin('item_topics as it', 'it.item_id', 'items.id')
    .select(ITEM_COLUMNS)
    .where('it.topic_id', '=', topicId)
    .where('items.id', 'in', ids)
    .orderBy('items.sort_at', 'desc')
    .orderBy('items.id', 'desc')
    .execute();
  return withTopicsAndSources(db, rows);
}

export async function getItem(db: Db, id: number): Promise<ItemWithTopics | undefined> {
  const row = await db.selectFrom('items').select(ITEM_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? (await withTopicsAndSources(db, [row]))[0] : undefined;
}

export async function withTopicsAndSources(db: Db, rows: ItemRow[]): Promise<ItemWithTopics[]> {
  if (rows.length === 0) return [];
  const sourcesOf = await storySources(db, rows);
  const tags = await db
    .selectFrom('item_topics')
    .innerJoin('topics', 'topics.id', 'item_topics.topic_id')
    .select(['item_topics.item_id', 'topics.slug', 'topics.visibility', 'item_topics.matched_terms'])
    .where(
      'item_topics.item_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('topics.slug')
    .execute();
  const byItem = new Map<number, ItemTag[]>();
  for (const t of tags) {
    const list = byItem.get(t.item_id) ?? [];
    list.push({ slug: t.slug, terms: t.matched_terms, visibility: t.visibility });
    byItem.set(t.item_id, list);
  }
  const feeds = await feedLabels(
    db,
    rows.map((r) => r.feed_id),
  );
  return rows.map((r) => ({
    ...r,
    feedTitle: feeds.get(r.feed_id)?.title ?? '',
    topics: byItem.get(r.id) ?? [],
    sources: sourcesOf(r),
  }));
}

// A story that ran on a hundred sites lists its first ones; the item itself stays one entry.
const MAX_SOURCES = 50;

/** For each row, the other items of its story, earliest first (at most MAX_SOURCES). */
async function storySources(db: Db, rows: ItemRow[]): Promise<(row: ItemRow) => StorySource[]> {
  const storyIds = [...new Set(rows.map((r) => r.story_id).filter((s): s is number => s !== null))];
  if (storyIds.length === 0) return () => [];
  const members = await sql<{
    id: number;
    story_id: number;
    feed_id: number;
    feed_title: string;
    url: string;
    title: string;
    language: string;
    in_public_topic: boolean;
  }>`
    SELECT m.id, m.story_id, m.feed_id, f.title AS feed_title, m.url, m.title, m.language,
           ${inPublicTopic(sql.ref('m.id'))} AS in_public_topic
    FROM (SELECT i.id, i.story_id, i.feed_id, i.url, i.title, i.language, i.sort_at,
                 row_number() OVER (PARTITION BY i.story_id ORDER BY i.sort_at, i.id) AS n
          FROM items i WHERE i.story_id = ANY(${storyIds}::bigint[])) m
    JOIN feeds f ON f.id = m.feed_id
    WHERE m.n <= ${MAX_SOURCES + 1}
    ORDER BY m.sort_at, m.id`.execute(db);
  const byStory = new Map<number, StorySource[]>();
  for (const m of members.rows) {
    const list = byStory.get(m.story_id) ?? [];
    list.push({
      id: m.id,
      feedId: m.feed_id,
      feedTitle: m.feed_title,
      url: m.url,
      title: m.title,
      language: m.language,
      inPublicTopic: m.in_public_topic,
    });
    byStory.set(m.story_id, list);
  }
  return (row) => (byStory.get(row.story_id!) ?? []).filter((s) => s.id !== row.id).slice(0, MAX_SOURCES);
}

/**
 * The lowest id of the items stored since `since` (one past the highest id when there is none),
 * found by bisecting ids: ids are handed out as items are stored, so the store time grows with the
 * id (up to the seconds by which concurrent polls overlap). ~20 index lookups at 1,000,000 items,
 * where a filter on the store time read every older item (there is no index on it).
 */
export async function firstItemStoredSince(db: Db, since: Date): Promise<number> {
  const bounds = await db
    .selectFrom('items')
    .select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')])
    .executeTakeFirst();
  if (bounds?.lo == null || bounds.hi == null) return 1;
  let lo = Number(bounds.lo);
  let hi = Number(bounds.hi);
  let first = hi + 1;
  while (lo <= hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const row = await db
      .selectFrom('items')
      .select(['id', 'fetched_at'])
      .where('id', '>=', mid)
      .where('id', '<=', hi)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!row) hi = mid - 1;
    else if (row.fetched_at >= since) {
      first = row.id;
      hi = mid - 1;
    } else lo = row.id + 1;
  }
  return first;
}

/** How many items have ids from `firstId` on, up to `throughId` when given (a re-tag's work). */
export async function itemsFrom(db: Db, firstId: number, throughId: number | null): Promise<number> {
  let query = db
    .selectFrom('items')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', '>=', firstId);
  if (throughId !== null) query = query.where('id', '<=', throughId);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * A batch of stored items for re-tagging, in id order after `afterId` (up to `throughId` when
 * given), stored since `since`, with their feed's title.
 */
export async function itemsAfter(
  db: Db,
  afterId: number,
  throughId: number | null,
  since: Date,
  limit: number,
): Promise<(ItemRow & { feed_title: string })[]> {
  let query = db
    .selectFrom('items')
    .innerJoin('feeds', 'feeds.id', 'items.feed_id')
    .select(ITEM_COLUMNS)
    .select('feeds.title as feed_title')
    .where('items.id', '>', afterId)
    .where('items.fetched_at', '>=', since);
  if (throughId !== null) query = query.where('items.id', '<=', throughId);
  return query.orderBy('items.id').limit(limit).execute();
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** An item's texts as the search index keys them. */
export type SearchTextRow = { id: number; title: string; summary: string; content_text: string; categories: string[] };

/** Items stored before the search index had keys (an upgrade), oldest first: their texts. */
export async function itemsWithoutSearchKeys(db: Db, limit: number): Promise<SearchTextRow[]> {
  return db
    .selectFrom('items')
    .select(['id', 'title', 'summary', 'content_text', 'categories'])
    .where('search_keys', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Whether any item still lacks its search keys, or waits to be keyed again (cheap: a partial index, one row). */
export async function hasItemsWithoutSearchKeys(db: Db): Promise<boolean> {
  const missing = await db
    .selectFrom('items')
    .select('id')
    .where('search_keys', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return missing !== undefined || (await db.selectFrom('search_rekey').select('id').executeTakeFirst()) !== undefined;
}

/**
 * Keys again the next `limit` items stored before the index covered summaries and categories
 * (migration 20261208_000003), newest first, in one transaction with the mark of how far it got.
 * Returns how many; 0 when none are left (the mark is then gone).
 */
export async function rekeyOlderItems(
  db: Db,
  limit: number,
  keysOf: (row: SearchTextRow) => number[],
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const mark = await trx.selectFrom('search_rekey').select('below_id').forUpdate().executeTakeFirst();
    if (!mark) return 0;
    const rows = await trx
      .selectFrom('items')
      .select(['id', 'title', 'summary', 'content_text', 'categories'])
      .where('id', '<', mark.below_id)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    if (rows.length === 0) {
      await trx.deleteFrom('search_rekey').execute();
      return 0;
    }
    await setSearchKeys(
      trx,
      rows.map((r) => ({ id: r.id, keys: keysOf(r) })),
    );
    await trx
      .updateTable('search_rekey')
      .set({ below_id: rows[rows.length - 1]!.id })
      .execute();
    return rows.length;
  });
}

export async function setSearchKeys(db: Db, rows: { id: number; keys: number[] }[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    UPDATE items SET search_keys = ARRAY(SELECT jsonb_array_elements_text(d.value -> 'k')::int4)
    FROM jsonb_array_elements(${JSON.stringify(rows.map((r) => ({ id: r.id, k: r.keys })))}::jsonb) d
    WHERE items.id = (d.value ->> 'id')::bigint`.execute(db);
}
