import { sql } from 'kysely';
import { BLOCK_BITS, blockKeys, MAX_DISTANCE, probeKeys } from '../stories/simhash.js';
import {
  headline,
  type CandidateQuery,
  type StoryCandidate,
  type StoryItem,
  type StoryStore,
} from '../stories/group-item.js';
import type { Db } from './database.js';

// Grouping is serialized: two workers grouping copies of one article at once would each found a story.
const STORY_LOCK = 0x70_77_73_74; // "twst"

/** Takes the grouping lock until the end of the transaction. */
export async function lockStories(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${STORY_LOCK})`.execute(trx);
}

export interface UngroupedItem {
  id: number;
  feedId: number;
  sortAt: Date;
  title: string;
  canonicalUrl: string;
  creditedUrls: string[];
  /** Empty unless the item has no title or no fingerprint (the only uses of it in grouping). */
  contentText: string;
  /** Taken when the item was stored; null for a text too short, or an item stored before that. */
  simhash: bigint | null;
}

/** Items not yet in a story, oldest first. */
export async function ungroupedItems(db: Db, limit: number): Promise<UngroupedItem[]> {
  // The batch's ids first, from the table's own index, then their items: joined whole, every
  // waiting item was read and sorted for the first `limit` (14 ms a batch with 1,600 waiting,
  // 1.5 ms this way, measured in an ingest of 10,000 feeds).
  const oldest = db.selectFrom('ungrouped_items').select('item_id').orderBy('item_id').limit(limit);
  const rows = await db
    .selectFrom(oldest.as('u'))
    .innerJoin('items as i', 'i.id', 'u.item_id')
    .select(['i.id', 'i.feed_id', 'i.sort_at', 'i.title', 'i.canonical_url', 'i.credited_urls'])
    // The text is read (out of TOAST, decompressed) only where it is used: a headline for an
    // untitled item, or a fingerprint not taken while storing.
    .select(sql<string>`CASE WHEN i.simhash IS NULL OR i.title = '' THEN i.content_text ELSE '' END`.as('content_text'))
    .select(sql<string | null>`i.simhash::text`.as('simhash'))
    .orderBy('u.item_id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    feedId: r.feed_id,
    sortAt: r.sort_at,
    title: r.title,
    canonicalUrl: r.canonical_url,
    creditedUrls: r.credited_urls,
    contentText: r.content_text,
    simhash: r.simhash === null ? null : BigInt(r.simhash),
  }));
}

/** Feeds that have items not grouped yet. */
export async function feedsWithUngroupedItems(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('ungrouped_items').select('feed_id').distinct().execute();
  return rows.map((r) => r.feed_id);
}

/** The texts of a feed's newest items: what its boilerplate is learnt from. */
export async function recentFeedTexts(db: Db, feedId: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('items')
    .select('content_text')
    .where('feed_id', '=', feedId)
    .orderBy('sort_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.content_text);
}

interface CandidateRow {
  id: number;
  feed_id: number;
  story_id: number;
  sort_at: Date;
  title: string;
  opening: string;
  canonical_url: string;
  credited_urls: string[];
  simhash: string | null;
}

function toCandidate(r: CandidateRow): StoryCandidate {
  return {
    id: r.id,
    feedId: r.feed_id,
    storyId: r.story_id,
    sortAt: r.sort_at,
    headline: headline(r.title, r.opening),
    url: r.canonical_url,
    credits: r.credited_urls,
    simhash: r.simhash === null ? null : BigInt(r.simhash),
  };
}

/** Where a batch's near-duplicate candidates come from besides the table. */
export interface NearLookups {
  /** The grouping generation the batch's bands are written with (nextStoryGeneration). */
  generation: number;
  /** The ids of an item's near-duplicates when known without the table (a worker's index), else null. */
  inMemory(item: StoryItem): number[] | null;
}

/**
 * The next grouping generation, taken by each grouping batch under the grouping lock: numbers
 * follow the order batches commit in (a batch rolled back gives its number to the next one).
 */
export async function nextStoryGeneration(trx: Db): Promise<number> {
  const { rows } = await sql<{ generation: string }>`
    UPDATE story_index_state SET generation = generation + 1 WHERE id = 1 RETURNING generation`.execute(trx);
  return Number(rows[0]!.generation);
}

export interface StoredFingerprint {
  itemId: number;
  sortAt: Date;
  simhash: bigint;
}

/**
 * The fingerprints filed in item_bands with a time from `from` on, of every generation or only of
 * those after `after`; with `newest`, only that many, newest first. One row an item: its first
 * block's key (every item has all four).
 */
export async function storedFingerprints(
  trx: Db,
  from: Date,
  after?: number,
  newest?: number,
): Promise<StoredFingerprint[]> {
  const { rows } = await sql<{ item_id: number; sort_at: Date; simhash: string }>`
    SELECT item_id, sort_at, simhash::text AS simhash FROM item_bands
    WHERE band_key < ${1 << BLOCK_BITS} AND sort_at >= ${from}
      ${after === undefined ? sql`` : sql`AND generation > ${after}`}
    ${newest === undefined ? sql`` : sql`ORDER BY sort_at DESC LIMIT ${newest}`}`.execute(trx);
  return rows.map((r) => ({ itemId: Number(r.item_id), sortAt: r.sort_at, simhash: BigInt(r.simhash) }));
}

/**
 * A StoryStore for grouping a batch of items in few statements: the candidates of the whole batch
 * are read at once (every grouped item sharing a URL, a credit, or a SimHash block within one bit,
 * in the batch's window), and so are their stories' feeds; groupItem then runs in memory,
 * and `flush` writes what it decided (assignments, bands, merges) in a few statements. The
 * candidates one item gets are those an item-by-item lookup would return (a superset is read,
 * then filtered by the same keys: every near-duplicate has a block within one bit, simhash.ts).
 * Use inside a transaction holding lockStories.
 */
export async function batchStoryStore(
  trx: Db,
  items: StoryItem[],
  windowMs: number,
  near: NearLookups,
): Promise<StoryStore & { flush(fingerprinted?: number[]): Promise<void> }> {
  const urls = [...new Set(items.map((i) => i.url).filter(Boolean))];
  const credits = [...new Set(items.flatMap((i) => i.credits).filter(Boolean))];
  const times = items.map((i) => i.sortAt.getTime());
  const from = new Date(Math.min(...times) - windowMs);
  const to = new Date(Math.max(...times) + windowMs);
  // Near-duplicates: each probe carries its item's fingerprint, and the covering index drops the
  // block matches more than MAX_DISTANCE bits away before any item is read.
  const probes: (readonly [number, string])[] = [];
  const nearIds: number[] = [];
  for (const i of items) {
    if (i.simhash === null) continue;
    const known = near.inMemory(i);
    if (known) nearIds.push(...known);
    else for (const k of probeKeys(i.simhash)) probes.push([k, i.simhash.toString()]);
  }
  const rows = items.length
    ? (
        await sql<CandidateRow>`
        SELECT i.id, i.feed_id, coalesce(i.story_id, i.id) AS story_id, i.sort_at, i.title,
               CASE WHEN i.title = '' THEN left(i.content_text, 400) ELSE '' END AS opening,
               i.canonical_url, i.credited_urls, i.simhash::text AS simhash
        FROM items i
        WHERE i.id = ANY(ARRAY(
            -- Each key is one index probe (LATERAL behind OFFSET 0): for a batch's hundreds of
            -- URLs PostgreSQL's estimates led it to read all of items instead. Items at the
            -- batch's URLs or at the URLs it credits (canonical_url's index holds non-empty URLs
            -- only: the condition says so, for the index to serve).
            SELECT same.id FROM unnest(${[...new Set([...urls, ...credits])]}::text[]) AS u(url)
              CROSS JOIN LATERAL (
                SELECT id FROM items WHERE canonical_url = u.url AND canonical_url <> '' OFFSET 0) same
            UNION SELECT crediting.id FROM unnest(${urls}::text[]) AS u(url)
              CROSS JOIN LATERAL (SELECT id FROM items WHERE credited_urls @> ARRAY[u.url] OFFSET 0) crediting
            UNION SELECT near.item_id
              FROM unnest(${probes.map(([k]) => k)}::int[], ${probes.map(([, h]) => h)}::bigint[]) AS p(key, hash)
              -- One index probe per key: as a plain join, PostgreSQL hashes every band row of the
              -- window once it holds a few thousand probes, a cost that grows with the store
              -- (12 → 5.5 ms a batch at 10,000 items, measured); OFFSET 0 keeps the probes.
              CROSS JOIN LATERAL (
                SELECT b.item_id FROM item_bands b
                WHERE b.band_key = p.key AND b.sort_at BETWEEN ${from} AND ${to}
                  AND bit_count((b.simhash # p.hash)::bit(64)) <= ${MAX_DISTANCE}
                OFFSET 0) near
            UNION SELECT unnest(${nearIds}::bigint[])))
          AND NOT i.story_pinned
          AND NOT EXISTS (SELECT 1 FROM ungrouped_items u WHERE u.item_id = i.id)`.execute(trx)
      ).rows
    : [];
  const known = rows.map(toCandidate);
  // The candidates by each key an item looks them up by.
  const byUrl = new Map<string, StoryCandidate[]>();
  const byCredit = new Map<string, StoryCandidate[]>();
  const byBlock = new Map<number, StoryCandidate[]>();
  const file = <K>(map: Map<K, StoryCandidate[]>, key: K, c: StoryCandidate) => {
    const list = map.get(key);
    if (list) list.push(c);
    else map.set(key, [c]);
  };
  const index = (c: StoryCandidate) => {
    if (c.url) file(byUrl, c.url, c);
    for (const credit of c.credits) file(byCredit, credit, c);
    if (c.simhash !== null) for (const key of blockKeys(c.simhash)) file(byBlock, key, c);
  };
  known.forEach(index);
  const feedsOf = new Map<number, Set<number>>();
  const storyIds = [...new Set(known.map((c) => c.storyId))];
  if (storyIds.length) {
    // A story of one item keeps story_id NULL: it is found by its item's id.
    const feedRows = (
      await sql<{ story_id: number; feed_id: number }>`
        SELECT DISTINCT coalesce(story_id, id) AS story_id, feed_id FROM items
        WHERE story_id = ANY(${storyIds}::bigint[]) OR (id = ANY(${storyIds}::bigint[]) AND story_id IS NULL)`.execute(
        trx,
      )
    ).rows;
    for (const r of feedRows) feedsOf.set(r.story_id, (feedsOf.get(r.story_id) ?? new Set()).add(r.feed_id));
  }
  const assigned: { item: StoryItem; storyId: number }[] = [];
  const merges: [number, number][] = [];
  return {
    async candidates({ item, windowMs: window }: CandidateQuery) {
      const found = new Set<StoryCandidate>();
      if (item.url) for (const c of byUrl.get(item.url) ?? []) found.add(c);
      for (const credit of item.credits) for (const c of byUrl.get(credit) ?? []) found.add(c);
      if (item.url) for (const c of byCredit.get(item.url) ?? []) found.add(c);
      if (item.simhash !== null) {
        for (const key of probeKeys(item.simhash)) {
          for (const c of byBlock.get(key) ?? []) {
            if (Math.abs(c.sortAt.getTime() - item.sortAt.getTime()) <= window) found.add(c);
          }
        }
      }
      return [...found].filter((c) => c.feedId !== item.feedId);
    },
    async storyFeeds(ids) {
      return new Map(ids.map((id) => [id, new Set(feedsOf.get(id) ?? [])]));
    },
    async mergeStory(fromStory, into) {
      merges.push([fromStory, into]);
      for (const c of known) if (c.storyId === fromStory) c.storyId = into;
      for (const a of assigned) if (a.storyId === fromStory) a.storyId = into;
      const moved = feedsOf.get(fromStory) ?? new Set<number>();
      feedsOf.set(into, new Set([...(feedsOf.get(into) ?? []), ...moved]));
      feedsOf.delete(fromStory);
    },
    async assign(item, storyId) {
      assigned.push({ item, storyId });
      feedsOf.set(storyId, (feedsOf.get(storyId) ?? new Set()).add(item.feedId));
      // The batch holds items of several feeds: a grouped item is a candidate for those after it,
      // as it would be for a later batch.
      const c: StoryCandidate = { ...item, storyId };
      known.push(c);
      index(c);
    },
    async flush(fingerprinted: number[] = []) {
      const ids = items.map((i) => i.id);
      // Only items joining a story of several are written; a story of one item keeps story_id NULL.
      const joined = assigned.filter((a) => a.storyId !== a.item.id);
      const several = [...new Set([...joined.map((a) => a.storyId), ...merges.map(([, into]) => into)])];
      if (joined.length) {
        await sql`
          UPDATE items SET story_id = v.story_id
          FROM unnest(${joined.map((a) => a.item.id)}::bigint[], ${joined.map((a) => a.storyId)}::bigint[]) AS v(id, story_id)
          WHERE items.id = v.id`.execute(trx);
      }
      // A story gaining its second item: its first one now names it too.
      if (several.length) {
        await sql`UPDATE items SET story_id = id WHERE id = ANY(${several}::bigint[]) AND story_id IS NULL`.execute(
          trx,
        );
      }
      // After the assignments: an item assigned to a story merged later moves with it.
      for (const [fromStory, into] of merges) {
        await sql`
          UPDATE items SET story_id = ${into}
          WHERE (story_id = ${fromStory} OR (id = ${fromStory} AND story_id IS NULL)) AND NOT story_pinned`.execute(
          trx,
        );
      }
      const withPrint = new Set(fingerprinted);
      const printed = items.filter((i) => withPrint.has(i.id) && i.simhash !== null);
      if (printed.length) {
        await sql`
          UPDATE items SET simhash = v.simhash::bigint
          FROM unnest(${printed.map((i) => i.id)}::bigint[], ${printed.map((i) => i.simhash!.toString())}::text[]) AS v(id, simhash)
          WHERE items.id = v.id`.execute(trx);
      }
      const bands = items.flatMap((i) => (i.simhash === null ? [] : blockKeys(i.simhash).map((key) => ({ key, i }))));
      if (bands.length) {
        await sql`
          INSERT INTO item_bands (band_key, sort_at, item_id, simhash, generation)
          SELECT b.band, b.sort_at, b.item_id, b.simhash, ${near.generation}
          FROM unnest(${bands.map((b) => b.key)}::int[],
                      ${bands.map((b) => b.i.sortAt)}::timestamptz[],
                      ${bands.map((b) => b.i.id)}::bigint[],
                      ${bands.map((b) => b.i.simhash!.toString())}::bigint[]) AS b(band, sort_at, item_id, simhash)
          ON CONFLICT DO NOTHING`.execute(trx);
      }
      await sql`DELETE FROM ungrouped_items WHERE item_id = ANY(${ids}::bigint[])`.execute(trx);
    },
  };
}

/**
 * Takes an item out of its story for good: it becomes a story of its own that grouping never
 * touches again. If the story bore its id, the items left keep one story under the next id.
 * false when there is no such item.
 */
export async function splitItem(db: Db, itemId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockStories(trx);
    const item = await trx.selectFrom('items').select('story_id').where('id', '=', itemId).executeTakeFirst();
    if (!item) return false;
    await trx.updateTable('items').set({ story_id: itemId, story_pinned: true }).where('id', '=', itemId).execute();
    await trx.deleteFrom('ungrouped_items').where('item_id', '=', itemId).execute();
    if (item.story_id === itemId) {
      const next = await trx
        .selectFrom('items')
        .select((eb) => eb.fn.min('id').as('id'))
        .where('story_id', '=', itemId)
        .where('id', '<>', itemId)
        .executeTakeFirst();
      if (next?.id)
        await trx
          .updateTable('items')
          .set({ story_id: Number(next.id) })
          .where('story_id', '=', itemId)
          .where('id', '<>', itemId)
          .execute();
    }
    return true;
  });
}
