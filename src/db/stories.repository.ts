import { sql } from 'kysely';
import { bandKeys } from '../stories/simhash.js';
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
  contentText: string;
}

/** Items of a feed not yet in a story, oldest first. */
export async function ungroupedItems(db: Db, feedId: number, limit: number): Promise<UngroupedItem[]> {
  const rows = await db
    .selectFrom('items')
    .select(['id', 'feed_id', 'sort_at', 'title', 'canonical_url', 'credited_urls', 'content_text'])
    .where('feed_id', '=', feedId)
    .where('story_id', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    feedId: r.feed_id,
    sortAt: r.sort_at,
    title: r.title,
    canonicalUrl: r.canonical_url,
    creditedUrls: r.credited_urls,
    contentText: r.content_text,
  }));
}

/** Feeds that have items not grouped yet (read from the partial index of ungrouped items). */
export async function feedsWithUngroupedItems(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('items').select('feed_id').distinct().where('story_id', 'is', null).execute();
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

/** The StoryStore of src/stories/group-item.ts over Postgres; use inside a transaction holding lockStories. */
export function postgresStoryStore(trx: Db): StoryStore {
  return {
    async candidates({ item, windowMs }: CandidateQuery): Promise<StoryCandidate[]> {
      const bands = item.simhash === null ? [] : bandKeys(item.simhash);
      const from = new Date(item.sortAt.getTime() - windowMs);
      const to = new Date(item.sortAt.getTime() + windowMs);
      // Each branch is one index lookup: canonical URL, credited URLs (GIN), SimHash bands in the window.
      // The ids go in as an array so that the items are read by primary key: on a small table the
      // planner would otherwise hash-join a scan of all items (measured: 2 ms at 10k items).
      const res = await sql<{
        id: number;
        feed_id: number;
        story_id: number;
        sort_at: Date;
        title: string;
        opening: string;
        canonical_url: string;
        credited_urls: string[];
        simhash: string | null;
      }>`
        SELECT i.id, i.feed_id, i.story_id, i.sort_at, i.title, left(i.content_text, 400) AS opening, i.canonical_url, i.credited_urls, i.simhash::text AS simhash
        FROM items i
        WHERE i.id = ANY(ARRAY(
            SELECT id FROM items WHERE ${item.url} <> '' AND canonical_url = ${item.url}
            UNION SELECT id FROM items WHERE canonical_url = ANY(${item.credits}::text[]) AND canonical_url <> ''
            UNION SELECT id FROM items WHERE ${item.url} <> '' AND credited_urls @> ARRAY[${item.url}::text]
            UNION SELECT item_id FROM item_bands WHERE band_key = ANY(${bands}::int[]) AND sort_at BETWEEN ${from} AND ${to}))
          AND i.feed_id <> ${item.feedId} AND i.story_id IS NOT NULL AND NOT i.story_pinned`.execute(trx);
      return res.rows.map((r) => ({
        id: r.id,
        feedId: r.feed_id,
        storyId: r.story_id,
        sortAt: r.sort_at,
        headline: headline(r.title, r.opening),
        url: r.canonical_url,
        credits: r.credited_urls,
        simhash: r.simhash === null ? null : BigInt(r.simhash),
      }));
    },

    async storyFeeds(storyIds: number[]): Promise<Map<number, Set<number>>> {
      const out = new Map<number, Set<number>>();
      if (storyIds.length === 0) return out;
      const rows = await trx
        .selectFrom('items')
        .select(['story_id', 'feed_id'])
        .distinct()
        .where('story_id', 'in', storyIds)
        .execute();
      for (const r of rows) {
        const feeds = out.get(r.story_id!) ?? new Set<number>();
        feeds.add(r.feed_id);
        out.set(r.story_id!, feeds);
      }
      return out;
    },

    async mergeStory(from: number, into: number): Promise<void> {
      await trx
        .updateTable('items')
        .set({ story_id: into })
        .where('story_id', '=', from)
        .where('story_pinned', '=', false)
        .execute();
    },

    async assign(item: StoryItem, storyId: number): Promise<void> {
      // One statement: the story, the fingerprint and its band rows (none yet for an ungrouped item).
      const simhash = item.simhash === null ? null : item.simhash.toString();
      const bands = item.simhash === null ? [] : bandKeys(item.simhash);
      await sql`
        WITH grouped AS (UPDATE items SET story_id = ${storyId}, simhash = ${simhash}::bigint WHERE id = ${item.id} RETURNING id, sort_at)
        INSERT INTO item_bands (band_key, sort_at, item_id)
        SELECT band, grouped.sort_at, grouped.id FROM grouped, unnest(${bands}::int[]) AS band
        ON CONFLICT DO NOTHING`.execute(trx);
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
