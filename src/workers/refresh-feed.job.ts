import { UnrecoverableError } from 'bullmq';
import { HostBusyError, hostOf } from '../queue/host-limiter.js';
import { getFeed, markFeedPolled, recordFeedError } from '../db/feeds.repository.js';
import { lockPruningShared, prunedIdentities, recentItemTimes, upsertItems } from '../db/items.repository.js';
import type { FeedRow, NewItem } from '../db/schema.js';
import { lockTopicsShared, replaceItemTags, type TagRow } from '../db/topics.repository.js';
import { addToOutbox } from '../db/websub.repository.js';
import { enqueue } from '../queue/queues.js';
import { fetchFeed, FetchError } from '../pipeline/fetch-feed.js';
import { canonicalUrl, contentHash, dedupeItems, itemIdentity } from '../pipeline/identity.js';
import {
  disableAfterFailures,
  medianGapSeconds,
  nextPollAfterError,
  nextPollAfterSuccess,
} from '../pipeline/next-poll.js';
import { readFeed } from '../pipeline/read-feed.js';
import { FeedError, type FeedHints, type NormalizedItem } from '../pipeline/types.js';
import { matchItem } from '../rules/compile.js';
import { fetchOptions } from '../fetch-options.js';
import { feedPolls, itemsStored, pollDuration } from '../metrics.js';
import { storyCredits } from '../stories/credits.js';
import type { WorkerDeps } from './deps.js';
import { groupFeedStories } from './group-stories.js';

/**
 * Polls one feed: fetch → decode/parse/normalize → dedupe → tag → store, the store being one
 * transaction (items, their tags, the feed's state), then groups the new items into stories.
 * Holds no rules of its own.
 */
export async function refreshFeed({ feedId }: { feedId: number }, deps: WorkerDeps): Promise<void> {
  const feed = await getFeed(deps.db, feedId);
  if (!feed || feed.disabled_reason) return;
  await pollFeed(feed, deps);
  // After the store's commit and outside it: grouping takes a lock that all feeds share. Also
  // after a 304, so that items a crash left ungrouped are grouped.
  await groupFeedStories(feedId, deps);
}

async function pollFeed(feed: FeedRow, deps: WorkerDeps): Promise<void> {
  const { db, config, log } = deps;
  const feedId = feed.id;
  const flog = log.child({ feedId, url: feed.url });
  const host = hostOf(feed.url);
  const lease = await deps.hosts.tryAcquire(host);
  if (!lease) throw new HostBusyError(host, 1000 + Math.floor(Math.random() * 2000));
  const started = Date.now();

  try {
    const fetched = await fetchFeed(feed.url, {
      ...fetchOptions(config),
      etag: feed.etag,
      lastModified: feed.last_modified,
    });
    const bounds = {
      defaultSeconds: feed.interval_seconds,
      minSeconds: config.POLL_MIN_SECONDS,
      maxSeconds: config.POLL_MAX_SECONDS,
    };
    const nextPoll = async (trx: typeof db, hints: FeedHints) =>
      nextPollAfterSuccess(
        new Date(),
        {
          ...hints,
          maxAgeSeconds: fetched.maxAgeSeconds,
          observedGapSeconds: medianGapSeconds(await recentItemTimes(trx, feedId)),
        },
        bounds,
      );
    if (fetched.kind === 'not-modified') {
      const hints = { ttlMinutes: feed.ttl_minutes, syndicationSeconds: feed.syndication_seconds };
      await markFeedPolled(db, feedId, { nextPollAt: await nextPoll(db, hints), url: fetched.movedTo ?? undefined });
      feedPolls.inc({ result: 'not_modified' });
      flog.debug({ durationMs: Date.now() - started }, 'feed not modified');
      return;
    }

    const parsed = await readFeed(fetched.body, { contentType: fetched.contentType, documentUrl: fetched.finalUrl });
    const fetchedAt = new Date();
    const fresh = dedupeItems(parsed.items).map((item) => ({ item, row: toItemRow(feedId, item, fetchedAt) }));
    let kept = fresh;
    let pushes = 0;
    const stored = await db.transaction().execute(async (trx) => {
      await lockTopicsShared(trx);
      // Items that retention removed stay removed, however long the feed keeps listing them:
      // checked under the lock that keeps prune batches out until these items are stored.
      await lockPruningShared(trx);
      const pruned = await prunedIdentities(
        trx,
        feedId,
        fresh.map((f) => f.row.identity_hash),
      );
      kept = fresh.filter((f) => !pruned.has(f.row.identity_hash));
      const itemOf = new Map(kept.map((f) => [f.row.identity_hash, f.item]));
      const matcher = await deps.topics.current(trx);
      const written = await upsertItems(
        trx,
        kept.map((f) => f.row),
      );
      const nextPollAt = await nextPoll(trx, parsed.hints);
      const tags: TagRow[] = written.flatMap((w) => {
        const item = itemOf.get(w.identityHash)!;
        return matchItem(matcher, { ...item, feedTitle: parsed.feed.title || feed.title }).map((m) => ({
          itemId: w.id,
          topicId: m.topicId,
          sortAt: w.sortAt,
          terms: m.terms,
        }));
      });
      await replaceItemTags(
        trx,
        written.map((w) => w.id),
        tags,
      );
      // New items (not edits) of each topic, for its WebSub subscribers: committed with the items.
      const inserted = new Set(written.filter((w) => w.inserted).map((w) => w.id));
      const newByTopic = new Map<number, number[]>();
      for (const tag of tags)
        if (inserted.has(tag.itemId)) newByTopic.set(tag.topicId, [...(newByTopic.get(tag.topicId) ?? []), tag.itemId]);
      pushes = await addToOutbox(trx, newByTopic);
      await markFeedPolled(trx, feedId, {
        nextPollAt,
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
    // At once for subscribers; if Redis says no, the scheduled fan-out finds the outbox entries.
    if (pushes)
      await enqueue(deps.queues, 'websub-fanout', {}, 'websub-fanout').catch((err: Error) =>
        flog.warn({ err: err.message }, 'websub fan-out not queued'),
      );
    const inserted = stored.filter((s) => s.inserted).length;
    feedPolls.inc({ result: 'ok' });
    itemsStored.inc({ kind: 'inserted' }, inserted);
    itemsStored.inc({ kind: 'updated' }, stored.length - inserted);
    pollDuration.observe((Date.now() - started) / 1000);
    flog.info(
      { items: kept.length, inserted, updated: stored.length - inserted, durationMs: Date.now() - started },
      'feed refreshed',
    );
  } catch (err) {
    const disabled = await recordFailure(feed, err, deps);
    feedPolls.inc({ result: (err as FeedError).code ?? 'error' });
    const message = err instanceof Error ? err.message : String(err);
    flog.warn({ err: message, code: (err as FeedError).code, durationMs: Date.now() - started }, 'feed refresh failed');
    // Only a failure that may pass (network, 5xx) is worth BullMQ's retries; a server that named
    // its Retry-After is asked again only then, by the schedule recorded above; a disabled feed
    // waits for its user.
    if (!disabled && err instanceof FetchError && err.retryable && err.retryAfterSeconds === null) throw err;
    throw new UnrecoverableError(message);
  } finally {
    await deps.hosts.release(host, lease);
  }
}

/** Records the failure on the feed; true when the feed is now disabled. */
async function recordFailure(feed: FeedRow, err: unknown, { db, config }: WorkerDeps): Promise<boolean> {
  const now = new Date();
  const message = err instanceof Error ? err.message : String(err);
  const retryAfter = err instanceof FetchError ? err.retryAfterSeconds : null;
  const gone = err instanceof FeedError && err.code === 'gone';
  const consecutiveErrors = feed.error_count + 1;
  const tooLong = disableAfterFailures(
    now,
    { consecutiveErrors, lastSuccessAt: feed.last_success_at, createdAt: feed.created_at },
    { maxFailures: config.DISABLE_AFTER_FAILURES, days: config.DISABLE_AFTER_DAYS },
  );
  const disableReason = gone ? message : tooLong ? `${tooLong}; last error: ${message}` : null;
  await recordFeedError(db, feed.id, {
    message,
    nextPollAt: nextPollAfterError(now, feed.interval_seconds, consecutiveErrors, retryAfter),
    disableReason,
  });
  return disableReason !== null;
}

/** A normalized item as a row of `items`: identity and hashes decided here, once. */
function toItemRow(feedId: number, item: NormalizedItem, fetchedAt: Date): NewItem {
  const published = item.published ? new Date(item.published) : null;
  // A future publication date must not pin an item to the top of every timeline.
  const sortAt = published && published < fetchedAt ? published : fetchedAt;
  return {
    feed_id: feedId,
    identity_hash: itemIdentity(item),
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
    content_hash: contentHash(item),
  };
}
