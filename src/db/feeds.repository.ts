import { sql } from 'kysely';
import type { Db } from './database.js';
import { lockStories } from './stories.repository.js';
import type { FeedErrorCode } from '../pipeline/feed-error.js';
import type { FeedHints } from '../pipeline/types.js';
import type { FeedRow, FeedUpdate, NewFeed } from './schema.js';

/** A feed not yet polled, as insertFeed and insertFeeds store it (due now unless claimed). */
function newFeedRow(
  url: string,
  intervalSeconds: number,
  extra: { title?: string; siteUrl?: string; tags?: string[] },
): NewFeed {
  return {
    url,
    interval_seconds: intervalSeconds,
    etag: null,
    last_modified: null,
    last_error: null,
    disabled_reason: null,
    title: extra.title ?? '',
    site_url: extra.siteUrl ?? '',
    tags: extra.tags ?? [],
  };
}

/**
 * Subscribes to a URL; an existing subscription to the same URL is returned instead of a duplicate.
 * A new feed is due at once, unless `claimSeconds`: then it is claimed that long, as the scheduler
 * claims a feed it queues, because its first poll is being made by the caller.
 */
export async function insertFeed(
  db: Db,
  url: string,
  intervalSeconds: number,
  extra: { title?: string; siteUrl?: string; tags?: string[]; claimSeconds?: number } = {},
): Promise<{ feed: FeedRow; created: boolean }> {
  const claimed = extra.claimSeconds ? sql<Date>`now() + make_interval(secs => ${extra.claimSeconds})` : null;
  const inserted = await db
    .insertInto('feeds')
    .values({
      ...newFeedRow(url, intervalSeconds, extra),
      ...(claimed ? { next_poll_at: claimed, claimed_until: claimed } : {}),
    })
    .onConflict((oc) => oc.column('url').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { feed: inserted, created: true };
  return {
    feed: await db.selectFrom('feeds').selectAll().where('url', '=', url).executeTakeFirstOrThrow(),
    created: false,
  };
}

/**
 * Subscribes to many feeds at once (an OPML import), due now: a statement per thousand. Returns
 * each URL's feed id and whether this call created it (false: it was there already).
 */
export async function insertFeeds(
  db: Db,
  entries: { url: string; title: string; siteUrl: string; tags: string[] }[],
  intervalSeconds: number,
): Promise<Map<string, { id: number; created: boolean }>> {
  const result = new Map<string, { id: number; created: boolean }>();
  for (let at = 0; at < entries.length; at += 1000) {
    const batch = entries.slice(at, at + 1000);
    const created = await db
      .insertInto('feeds')
      .values(batch.map((e) => newFeedRow(e.url, intervalSeconds, e)))
      .onConflict((oc) => oc.column('url').doNothing())
      .returning(['id', 'url'])
      .execute();
    for (const row of created) result.set(row.url, { id: row.id, created: true });
    const existing = batch.filter((e) => !result.has(e.url)).map((e) => e.url);
    if (existing.length) {
      const rows = await db.selectFrom('feeds').select(['id', 'url']).where('url', 'in', existing).execute();
      for (const row of rows) result.set(row.url, { id: row.id, created: false });
    }
  }
  return result;
}

export async function findFeedByUrl(db: Db, url: string): Promise<FeedRow | undefined> {
  return db.selectFrom('feeds').selectAll().where('url', '=', url).executeTakeFirst();
}

export async function getFeed(db: Db, id: number): Promise<FeedRow | undefined> {
  return db.selectFrom('feeds').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The title and preference of these feeds, by id (what matching and story ranking read of a feed). */
export async function feedLabels(db: Db, ids: number[]): Promise<Map<number, { title: string; preferred: boolean }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('feeds')
    .select(['id', 'title', 'preferred'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, { title: r.title, preferred: r.preferred }]));
}

export async function listFeeds(db: Db): Promise<FeedRow[]> {
  return db.selectFrom('feeds').selectAll().orderBy('id').execute();
}

/**
 * Deletes a feed and, by cascade, its items. Under the grouping lock: grouping updates a feed's
 * new items one by one while the cascade deletes them in another order, and the two deadlocked
 * (18 deletes of 40 made during grouping, before the lock).
 */
export async function deleteFeed(db: Db, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockStories(trx);
    const res = await trx.deleteFrom('feeds').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

export async function updateFeed(db: Db, id: number, changes: FeedUpdate): Promise<FeedRow | undefined> {
  return db
    .updateTable('feeds')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Claims up to `limit` feeds that are due, pushing their next poll a lease ahead so that no other
 * scheduler claims them while their job is queued or running. SKIP LOCKED lets several schedulers
 * run at once; if the job is lost (Redis restarted), the lease runs out and the feed is claimed again.
 */
export async function claimDueFeeds(
  db: Db,
  limit: number,
  leaseSeconds: number,
): Promise<{ id: number; url: string }[]> {
  const rows = await sql<{ id: number; url: string }>`
    UPDATE feeds SET next_poll_at = now() + make_interval(secs => ${leaseSeconds}),
      claimed_until = now() + make_interval(secs => ${leaseSeconds})
    WHERE id IN (
      SELECT id FROM feeds
      WHERE disabled_reason IS NULL AND next_poll_at <= now()
      ORDER BY next_poll_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, url`.execute(db);
  return rows.rows.map((r) => ({ id: Number(r.id), url: r.url }));
}

/** A poll that worked: the feed's metadata, validators, and when to poll next. */
export async function markFeedPolled(
  db: Db,
  id: number,
  state: {
    etag?: string | null;
    lastModified?: string | null;
    title?: string;
    siteUrl?: string;
    description?: string;
    language?: string;
    url?: string;
    hints?: FeedHints;
    /** The median gap between its newest items, when they were read for this poll. */
    itemGapSeconds?: number | null;
    nextPollAt: Date;
  },
): Promise<void> {
  const changes: FeedUpdate = {
    status: 'ok',
    error_count: 0,
    last_error: null,
    last_error_code: null,
    claimed_until: null,
    next_poll_at: state.nextPollAt,
    last_polled_at: sql<Date>`now()` as unknown as Date,
    last_success_at: sql<Date>`now()` as unknown as Date,
    updated_at: sql<Date>`now()` as unknown as Date,
  };
  if (state.etag !== undefined) changes.etag = state.etag;
  if (state.lastModified !== undefined) changes.last_modified = state.lastModified;
  if (state.title) changes.title = state.title;
  if (state.siteUrl) changes.site_url = state.siteUrl;
  if (state.description !== undefined) changes.description = state.description;
  if (state.language) changes.language = state.language;
  // A feed that moved to the address of another subscription keeps its own (two rows cannot
  // share a URL; the user may remove one of the two).
  if (state.url) {
    changes.url =
      sql<string>`CASE WHEN EXISTS (SELECT 1 FROM feeds f WHERE f.url = ${state.url}) THEN url ELSE ${state.url} END` as unknown as string;
  }
  if (state.itemGapSeconds !== undefined) changes.item_gap_seconds = state.itemGapSeconds;
  if (state.hints) {
    changes.ttl_minutes = state.hints.ttlMinutes;
    changes.syndication_seconds = state.hints.syndicationSeconds;
  }
  await db.updateTable('feeds').set(changes).where('id', '=', id).execute();
}

/** A poll that failed: counted, explained, and the next attempt scheduled (or the feed disabled, with why). */
export async function recordFeedError(
  db: Db,
  id: number,
  error: { code: FeedErrorCode; message: string; nextPollAt: Date; disableReason?: string | null },
): Promise<void> {
  await db
    .updateTable('feeds')
    .set({
      status: error.disableReason ? 'disabled' : 'failing',
      error_count: sql<number>`error_count + 1`,
      last_error: error.message,
      last_error_code: error.code,
      claimed_until: null,
      last_error_at: sql<Date>`now()`,
      last_polled_at: sql<Date>`now()`,
      next_poll_at: error.nextPollAt,
      disabled_reason: error.disableReason ?? null,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Feeds whose claim (of `leaseSeconds`) was taken more than `ageSeconds` ago and still holds:
 * their poll should have been queued, or made, long since. Oldest first, at most `limit`.
 */
export async function claimsOlderThan(
  db: Db,
  ageSeconds: number,
  leaseSeconds: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('feeds')
    .select('id')
    .where('claimed_until', 'is not', null)
    .where('claimed_until', '>', sql<Date>`now()`)
    .where('claimed_until', '<', sql<Date>`now() + make_interval(secs => ${leaseSeconds - ageSeconds})`)
    .orderBy('claimed_until')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.id));
}

/**
 * Makes every claimed feed (or the one given) due now: their poll jobs vanished with Redis
 * (restarted empty or flushed) or gave up, so waiting for the leases to run out would only delay
 * them. A poll still running somewhere stores idempotently, so a feed polled twice is harmless.
 * Returns how many.
 */
export async function releaseClaims(db: Db, feedId?: number | number[]): Promise<number> {
  let query = db
    .updateTable('feeds')
    .set({ next_poll_at: sql<Date>`now()`, claimed_until: null })
    .where('claimed_until', '>', sql<Date>`now()`);
  if (typeof feedId === 'number') query = query.where('id', '=', feedId);
  else if (feedId) {
    if (feedId.length === 0) return 0;
    query = query.where('id', 'in', feedId);
  }
  const res = await query.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Asks for a poll now; a disabled feed is enabled again (a manual refresh is the user saying "try again"). */
export async function requestPoll(db: Db, id: number): Promise<FeedRow | undefined> {
  return db
    .updateTable('feeds')
    .set({
      next_poll_at: sql<Date>`now()`,
      disabled_reason: null,
      status: sql`CASE WHEN status = 'disabled' THEN 'failing' ELSE status END`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
