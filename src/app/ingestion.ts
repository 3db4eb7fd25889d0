import { getFeed, markFeedPolled, recordFeedError } from '../db/feeds.repository.js';
import {
  lockPruningShared,
  prunedIdentities,
  recentItemTimes,
  storedContentHashes,
  upsertItems,
} from '../db/items.repository.js';
import type { FeedRow, NewItem } from '../db/schema.js';
import { lockTopicsShared, replaceItemTags, type TagRow } from '../db/topics.repository.js';
import { addToOutbox } from '../db/push.repository.js';
import { fetchOptions } from '../fetch-options.js';
import { feedPolls, itemsStored, pollDuration } from '../metrics.js';
import { FeedError, isFeedError } from '../pipeline/feed-error.js';
import { fetchFeed, type FetchResult } from '../pipeline/fetch/fetch-feed.js';
import { canonicalUrl, contentHash, dedupeItems, itemIdentity } from '../pipeline/dedupe/identity.js';
import {
  disableAfterFailures,
  medianGapSeconds,
  nextPollAfterError,
  nextPollAfterSuccess,
} from '../pipeline/schedule/next-poll.js';
import { readFeed, type ReadFeed } from '../pipeline/read-feed.js';
import type { FeedHints, NormalizedItem } from '../pipeline/types.js';
import { HostBusyError, hostOf, type HostLimiter } from '../queue/host-limiter.js';
import { FOLLOW_UPS } from '../queue/job-graph.js';
import { matchItem } from '../rules/compile.js';
import { storyCredits } from '../stories/credits.js';
import { followUp, type AppContext } from './context.js';
import { fingerprints } from './stories.js';

export type Fetched = Extract<FetchResult, { kind: 'ok' }>;
type NotModified = Extract<FetchResult, { kind: 'not-modified' }>;

/** What one poll came to: items written, not modified, the feed's failure, or nothing to do. */
export type PollOutcome =
  | { kind: 'stored'; items: number; inserted: number; updated: number }
  | { kind: 'not-modified' }
  | { kind: 'failed'; error: FeedError; disabled: boolean }
  | { kind: 'skipped'; reason: 'no such feed' | 'disabled' };

/**
 * Polls one feed (the refresh-feed job): fetch → decode/parse/normalize → dedupe → tag → store,
 * the store being one transaction (items, their tags, the feed's state), then the follow-ups.
 * A feed's fault (a FeedError: 404, not a feed, timeout…) is recorded on it and is the outcome;
 * anything else (the database away, a bug) is ours: thrown for the job to be retried, never
 * counted against the feed.
 */
export async function pollFeed(ctx: AppContext, feedId: number, hosts: HostLimiter): Promise<PollOutcome> {
  const feed = await getFeed(ctx.db, feedId);
  if (!feed) return { kind: 'skipped', reason: 'no such feed' };
  if (feed.disabled_reason) return { kind: 'skipped', reason: 'disabled' };
  const host = hostOf(feed.url);
  const lease = await hosts.tryAcquire(host);
  if (!lease) throw new HostBusyError(host, 1000 + Math.floor(Math.random() * 2000));
  const started = Date.now();
  try {
    const fetched = await fetchFeed(feed.url, {
      ...fetchOptions(ctx.config),
      etag: feed.etag,
      lastModified: feed.last_modified,
    });
    if (fetched.kind === 'not-modified') return await storeNotModified(ctx, feed, fetched, started);
    const read = ctx.readFeed ?? readFeed;
    return await storePoll(ctx, feed, fetched, await read(fetched.body, readOptions(fetched)), started);
  } catch (err) {
    if (!isFeedError(err)) {
      feedPolls.inc({ result: 'infrastructure' });
      ctx.log.error(
        { feedId, url: feed.url, err, durationMs: Date.now() - started },
        'poll failed for a reason of ours, not the feed: retried, not counted against the feed',
      );
      throw err;
    }
    return await recordPollFailure(ctx, feed, err, started);
  } finally {
    await hosts.release(host, lease).catch(() => {});
  }
}

/** How a fetched body is read: its declared type and the URL it came from (for relative links). */
export const readOptions = (fetched: Fetched) => ({ contentType: fetched.contentType, documentUrl: fetched.finalUrl });

/** A 304: the feed's validators hold; only when to poll next changes. */
async function storeNotModified(ctx: AppContext, feed: FeedRow, fetched: NotModified, started: number) {
  const hints = { ttlMinutes: feed.ttl_minutes, syndicationSeconds: feed.syndication_seconds };
  // Nothing new: the gap between its items is as the last poll that stored some found it (read
  // once for a feed that has none recorded).
  const gap = feed.item_gap_seconds ?? (await itemGapSeconds(ctx.db, feed.id));
  await markFeedPolled(ctx.db, feed.id, {
    nextPollAt: nextPollAt(ctx, feed, fetched.maxAgeSeconds, hints, gap),
    url: fetched.movedTo ?? undefined,
    itemGapSeconds: feed.item_gap_seconds === null ? gap : undefined,
  });
  feedPolls.inc({ result: 'not_modified' });
  ctx.log.debug({ feedId: feed.id, durationMs: Date.now() - started }, 'feed not modified');
  return { kind: 'not-modified' } as const;
}

/**
 * Stores one poll's result (the refresh job's, or the first poll made when a feed is added): in
 * one transaction the items (deduplicated by identity), their tags, the push outbox's entries (new
 * items by topic: story log, WebSub, webhooks) and the feed's new state; then queues the follow-ups (story grouping, pushes).
 */
export async function storePoll(
  ctx: AppContext,
  feed: FeedRow,
  fetched: Fetched,
  parsed: ReadFeed,
  started = Date.now(),
): Promise<PollOutcome> {
  const { db } = ctx;
  const fetchedAt = new Date();
  const unique = dedupeItems(parsed.items).map((item) => ({
    item,
    identity: itemIdentity(item),
    hash: contentHash(item),
  }));
  // Most items of a changed feed are stored already, unchanged: they are left out before any
  // further work (the upsert would not write them either).
  const stored = await storedContentHashes(
    db,
    feed.id,
    unique.map((u) => u.identity),
  );
  const changed = unique.filter((u) => stored.get(u.identity) !== u.hash);
  // Fingerprints for story grouping, taken here (outside the transaction) so that grouping
  // writes an item only when it joins a story of several.
  const prints = await fingerprints(
    db,
    feed.id,
    changed.map((u) => u.item.contentText),
  );
  const fresh = changed.map((u, k) => ({ item: u.item, row: toItemRow(feed.id, u, fetchedAt, prints[k]!) }));
  let pushes = 0;
  const result = await db.transaction().execute(async (trx) => {
    await lockTopicsShared(trx);
    // Items that retention removed stay removed, however long the feed keeps listing them:
    // checked under the lock that keeps prune batches out until these items are stored.
    await lockPruningShared(trx);
    const pruned = await prunedIdentities(
      trx,
      feed.id,
      fresh.map((f) => f.row.identity_hash),
    );
    const kept = fresh.filter((f) => !pruned.has(f.row.identity_hash));
    const itemOf = new Map(kept.map((f) => [f.row.identity_hash, f.item]));
    const matcher = await ctx.topics.current(trx);
    const written = await upsertItems(
      trx,
      kept.map((f) => f.row),
    );
    const feedTitle = parsed.feed.title || feed.title;
    const tags: TagRow[] = written.flatMap((w) =>
      matchItem(matcher, { ...itemOf.get(w.identityHash)!, feedTitle }).map((m) => ({
        itemId: w.id,
        topicId: m.topicId,
        sortAt: w.sortAt,
        terms: m.terms,
      })),
    );
    await replaceItemTags(
      trx,
      written.map((w) => w.id),
      tags,
    );
    // New items (not edits) of each topic, for its WebSub subscribers: committed with the items.
    const inserted = new Set(written.filter((w) => w.inserted).map((w) => w.id));
    const newByTopic = new Map<number, number[]>();
    for (const tag of tags) {
      if (inserted.has(tag.itemId)) newByTopic.set(tag.topicId, [...(newByTopic.get(tag.topicId) ?? []), tag.itemId]);
    }
    pushes = await addToOutbox(trx, newByTopic);
    const gap = await itemGapSeconds(trx, feed.id);
    await markFeedPolled(trx, feed.id, {
      nextPollAt: nextPollAt(ctx, feed, fetched.maxAgeSeconds, parsed.hints, gap),
      itemGapSeconds: gap,
      etag: fetched.etag,
      lastModified: fetched.lastModified,
      title: parsed.feed.title,
      siteUrl: parsed.feed.siteUrl,
      description: parsed.feed.description,
      language: parsed.feed.language,
      url: fetched.movedTo ?? undefined,
      hints: parsed.hints,
    });
    return written;
  });
  const inserted = result.filter((s) => s.inserted).length;
  const flog = ctx.log.child({ feedId: feed.id, url: feed.url });
  // After the commit: a follow-up lost here (Redis away) is found again (grouping takes every
  // ungrouped item of the feed; the scheduled fan-out reads the outbox).
  await followUp(ctx, FOLLOW_UPS.afterPoll(feed.id, { inserted, pushes }), { feedId: feed.id });
  feedPolls.inc({ result: 'ok' });
  itemsStored.inc({ kind: 'inserted' }, inserted);
  itemsStored.inc({ kind: 'updated' }, result.length - inserted);
  pollDuration.observe((Date.now() - started) / 1000);
  flog.info(
    { items: unique.length, inserted, updated: result.length - inserted, durationMs: Date.now() - started },
    'feed refreshed',
  );
  return { kind: 'stored', items: unique.length, inserted, updated: result.length - inserted };
}

/** When to poll next after a success: the feed's rhythm and its server's hints, within the bounds. */
function nextPollAt(
  { config }: AppContext,
  feed: FeedRow,
  maxAgeSeconds: number | null,
  hints: FeedHints,
  itemGap: number | null,
): Date {
  return nextPollAfterSuccess(
    new Date(),
    { ...hints, maxAgeSeconds, observedGapSeconds: itemGap },
    { defaultSeconds: feed.interval_seconds, minSeconds: config.POLL_MIN_SECONDS, maxSeconds: config.POLL_MAX_SECONDS },
  );
}

/** The median gap between the feed's newest stored items, whole seconds as stored (null with fewer than two). */
async function itemGapSeconds(db: AppContext['db'], feedId: number): Promise<number | null> {
  const gap = medianGapSeconds(await recentItemTimes(db, feedId));
  return gap === null ? null : Math.min(Math.round(gap), 2 ** 31 - 1);
}

/** Records a feed's failure on it: counted, explained, the next attempt scheduled, or the feed disabled with why. */
export async function recordPollFailure(
  ctx: AppContext,
  feed: FeedRow,
  err: FeedError,
  started = Date.now(),
): Promise<PollOutcome> {
  const { config } = ctx;
  const now = new Date();
  const consecutiveErrors = feed.error_count + 1;
  const tooLong = disableAfterFailures(
    now,
    { consecutiveErrors, lastSuccessAt: feed.last_success_at, createdAt: feed.created_at },
    { maxFailures: config.DISABLE_AFTER_FAILURES, days: config.DISABLE_AFTER_DAYS },
  );
  const disableReason = err.code === 'gone' ? err.message : tooLong ? `${tooLong}; last error: ${err.message}` : null;
  await recordFeedError(ctx.db, feed.id, {
    code: err.code,
    message: err.message,
    nextPollAt: nextPollAfterError(now, feed.interval_seconds, consecutiveErrors, err.retryAfterSeconds),
    disableReason,
  });
  feedPolls.inc({ result: err.code });
  ctx.log.warn(
    { feedId: feed.id, url: feed.url, code: err.code, err: err.message, durationMs: Date.now() - started },
    'feed poll failed',
  );
  return { kind: 'failed', error: err, disabled: disableReason !== null };
}

/** A normalized item as a row of `items`, with the identity and content hash already decided for it. */
function toItemRow(
  feedId: number,
  { item, identity, hash }: { item: NormalizedItem; identity: string; hash: string },
  fetchedAt: Date,
  fingerprint: bigint | null,
): NewItem {
  const published = item.published ? new Date(item.published) : null;
  // A future publication date must not pin an item to the top of every timeline.
  const sortAt = published && published < fetchedAt ? published : fetchedAt;
  return {
    feed_id: feedId,
    identity_hash: identity,
    guid: item.guid,
    url: item.url,
    canonical_url: canonicalUrl(item.canonicalLink || item.url),
    credited_urls: storyCredits(item),
    title: item.title,
    summary: item.summary,
    content_html: item.contentHtml,
    content_text: item.contentText,
    author: item.author,
    categories: item.categories,
    language: item.language,
    enclosures: JSON.stringify(item.enclosures),
    published_at: published,
    updated_at: item.updated ? new Date(item.updated) : null,
    sort_at: sortAt,
    fetched_at: fetchedAt,
    content_hash: hash,
    simhash: fingerprint === null ? null : fingerprint.toString(),
  };
}
