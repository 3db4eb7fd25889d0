import { claimDueFeeds, claimsOlderThan, releaseClaims } from '../db/feeds.repository.js';
import {
  hasItemsWithoutSearchKeys,
  itemsWithoutSearchKeys,
  pruneItemsBefore,
  rekeyOlderItems,
  setSearchKeys,
  type SearchTextRow,
} from '../db/items.repository.js';
import { pruneStoryEvents } from '../db/push.repository.js';
import { feedsWithUngroupedItems } from '../db/stories.repository.js';
import { listTopics, pendingRetags } from '../db/topics.repository.js';
import { analyzeTable, tableChurn, vacuumTable } from '../db/vacuum.repository.js';
import { deleteExpiredSubscriptions } from '../db/websub.repository.js';
import { hostOf } from '../queue/host-limiter.js';
import { FOLLOW_UPS, jobRequest } from '../queue/job-graph.js';
import { searchKeys, searchTexts } from '../rules/search-keys.js';
import type { AppContext } from './context.js';
import { groupStories } from './stories.js';

// Long enough for a queued poll to run and retry; a lost job only delays its feed by this much
// (or not at all when the loss of Redis is noticed: recoverLostJobs; or release-lost-claims).
// A feed's first poll, made by the request that adds it, holds the same claim.
export const LEASE_SECONDS = 600;
const PRUNE_BATCH = 1000;

/**
 * The scheduler tick: Postgres says which feeds are due; each gets one refresh job (deduplicated
 * per feed). Feeds of one host due together start HOST_SPACING_MS apart instead of in a burst.
 */
export async function pollDueFeeds(ctx: AppContext): Promise<number> {
  const { db, config, log } = ctx;
  // A topic saved while Redis was away has no re-tag job yet.
  await ctx.jobs.enqueue(...(await pendingRetags(db)).flatMap((t) => FOLLOW_UPS.afterTopicChange(t)));
  // Items stored before the search had its own keys get them in the background (an upgrade).
  if (await hasItemsWithoutSearchKeys(db)) await ctx.jobs.enqueue(jobRequest('index-search', {}));
  let total = 0;
  for (;;) {
    const due = await claimDueFeeds(db, config.POLL_BATCH, LEASE_SECONDS);
    const jobs = FOLLOW_UPS.afterPollDue(
      due.map((f) => ({ id: f.id, host: hostOf(f.url) })),
      config.HOST_SPACING_MS,
    );
    await ctx.jobs.enqueue(...jobs).catch(async (err: unknown) => {
      // Claimed with no job to poll them (Redis refused): they would wait for the lease to run
      // out. Handed back now, for the next tick (a job that did get queued is deduplicated).
      await releaseClaims(
        db,
        due.map((f) => f.id),
      ).catch(() => {});
      throw err;
    });
    total += due.length;
    if (due.length) log.debug({ feeds: due.length }, 'enqueued due feeds');
    if (due.length < config.POLL_BATCH) return total;
  }
}

/**
 * Queues grouping for every feed that has items waiting for it (the group-left-overs schedule):
 * a group-stories job lost with Redis, or one whose retries ran out while the database was away,
 * leaves items that no new poll of an unchanged feed would bring back. Returns how many feeds.
 */
export async function queueLeftOverGrouping(ctx: AppContext): Promise<number> {
  const feedIds = await feedsWithUngroupedItems(ctx.db);
  await ctx.jobs.enqueue(...FOLLOW_UPS.afterLeftOversFound(feedIds));
  return feedIds.length;
}

/**
 * The daily clean-up: WebSub subscriptions whose lease ran out; items no group-stories job
 * grouped (its job lost); re-tags not finished; and (with RETENTION_DAYS > 0) items older than
 * that, in batches.
 */
// A live stream resumes from any of the last week's story events; older ones go.
const STORY_LOG_DAYS = 7;

export async function pruneItems(ctx: AppContext): Promise<void> {
  const { db, config, log } = ctx;
  const expired = await deleteExpiredSubscriptions(db);
  if (expired) log.info({ subscriptions: expired }, 'expired websub subscriptions removed');
  const events = await pruneStoryEvents(db, new Date(Date.now() - STORY_LOG_DAYS * 86400_000));
  if (events) log.info({ events, days: STORY_LOG_DAYS }, 'old story events removed');
  await requeueLeftOvers(ctx);
  if (config.RETENTION_DAYS <= 0) return;
  const before = new Date(Date.now() - config.RETENTION_DAYS * 86400_000);
  let total = 0;
  for (;;) {
    const n = await pruneItemsBefore(db, before, PRUNE_BATCH);
    total += n;
    if (n < PRUNE_BATCH) break;
  }
  log.info({ items: total, retentionDays: config.RETENTION_DAYS }, 'old items pruned');
}

/** Groups every feed's left-over items here and now, and queues the re-tags not finished. */
async function requeueLeftOvers(ctx: AppContext): Promise<void> {
  const grouped = await groupStories(ctx);
  const unfinished = (await listTopics(ctx.db)).filter((t) => t.retag_status !== 'done');
  await ctx.jobs.enqueue(...unfinished.flatMap((t) => FOLLOW_UPS.afterTopicChange(t)));
  if (grouped || unfinished.length) {
    ctx.log.info({ items: grouped, topics: unfinished.length }, 'left-over items grouped, unfinished re-tags queued');
  }
}

/**
 * After Redis lost its data (restarted empty, flushed): the queued polls, groupings, re-tags and
 * pushes are gone with it. Postgres knows what they were: claimed feeds are made due again, and
 * the left-over grouping, re-tags and outbox are taken up now rather than at the next daily sweep.
 */
export async function recoverLostJobs(ctx: AppContext): Promise<void> {
  const released = await releaseClaims(ctx.db);
  await requeueLeftOvers(ctx);
  await ctx.jobs.enqueue(jobRequest('websub-fanout', {}));
  ctx.log.warn({ feeds: released }, 'jobs lost with Redis recovered from the database');
}

/**
 * Hands back the claims whose poll job is not in the queue (the release-lost-claims schedule): a
 * scheduler tick whose claim committed but whose answer was lost (PostgreSQL stopping in between)
 * queued no job, and the feed would wait for its lease (10 minutes) to run out (found by fault
 * injection: ~25 items of a farm not stored within 4 minutes, once in nine runs). A claim is
 * judged after a grace period longer than any poll made without a job (a feed's first poll, made
 * by the request that adds it: a page and a feed fetched). Returns how many.
 */
export async function releaseLostClaims(ctx: AppContext): Promise<number> {
  const grace = (3 * ctx.config.FETCH_TIMEOUT_MS) / 1000 + 30;
  const claimed = await claimsOlderThan(ctx.db, grace, LEASE_SECONDS, LOST_CLAIMS_BATCH);
  const pending = await Promise.all(claimed.map((feedId) => ctx.jobs.pending(jobRequest('refresh-feed', { feedId }))));
  const lost = claimed.filter((_, k) => !pending[k]);
  const released = await releaseClaims(ctx.db, lost);
  if (released) ctx.log.warn({ feeds: lost }, 'feeds claimed with no poll queued: due again');
  return released;
}

// Claims looked at per run (each one Redis look-up); more wait for the next run.
const LOST_CLAIMS_BATCH = 500;

/**
 * A poll job gave up for good (its retries spent while our database stayed away, or stalled
 * too often behind dying workers): its feed is made due again now, rather than left claimed
 * and unpolled until its lease runs out (found by fault injection).
 */
export async function releaseGivenUpPoll(ctx: AppContext, feedId: number): Promise<void> {
  if (await releaseClaims(ctx.db, feedId)) ctx.log.warn({ feedId }, 'a poll job gave up: the feed is due again');
}

const INDEX_BATCH = 500;

/**
 * Gives search keys to the items that lack them (stored before the index existed) and keys again
 * those stored before it covered summaries and categories, in batches (the index-search job,
 * queued by the tick while any are left); logs its progress. Returns the items keyed.
 */
export async function indexSearchBacklog(ctx: AppContext): Promise<number> {
  const keysOf = (row: SearchTextRow) => searchKeys(searchTexts(row));
  let done = 0;
  const progress = (n: number) => {
    done += n;
    if (done % 10_000 < INDEX_BATCH) ctx.log.info({ items: done }, 'search index: older items keyed so far');
  };
  for (;;) {
    const batch = await itemsWithoutSearchKeys(ctx.db, INDEX_BATCH);
    if (batch.length === 0) break;
    await setSearchKeys(
      ctx.db,
      batch.map((i) => ({ id: i.id, keys: keysOf(i) })),
    );
    progress(batch.length);
  }
  for (;;) {
    const n = await rekeyOlderItems(ctx.db, INDEX_BATCH, keysOf);
    if (n === 0) break;
    progress(n);
  }
  if (done) ctx.log.info({ items: done }, 'search index: every older item keyed');
  return done;
}

/** After how many changes the busy tables are vacuumed (or analyzed) by the service itself. */
export const VACUUM_AFTER = { item_bands: 50_000, ungrouped_items: 20_000 } as const;
const ANALYZE_ITEMS_AFTER = 50_000;

/**
 * Keeps the tables that ingestion churns fit for the lookups that read them, whether or not
 * PostgreSQL's autovacuum runs (it may be off, or minutes behind at its default thresholds):
 * story grouping reads item_bands through a covering index, which is index-only only on vacuumed
 * pages; ungrouped_items is a queue whose dead rows every grouping would otherwise step over; and
 * the planner must know how many items there are. Runs on the stories queue, between groupings.
 * Returns the tables it vacuumed or analyzed.
 */
export async function vacuumBusyTables(
  { db, log }: Pick<AppContext, 'db' | 'log'>,
  thresholds: { item_bands: number; ungrouped_items: number; items: number } = {
    ...VACUUM_AFTER,
    items: ANALYZE_ITEMS_AFTER,
  },
): Promise<string[]> {
  const done: string[] = [];
  for (const churn of await tableChurn(db)) {
    const started = Date.now();
    if (churn.table === 'items') {
      if (churn.modifiedSinceAnalyze < Math.max(thresholds.items, churn.live / 10)) continue;
      await analyzeTable(db, 'items');
    } else {
      if (churn.insertedSinceVacuum + churn.dead < thresholds[churn.table]) continue;
      await vacuumTable(db, churn.table);
    }
    done.push(churn.table);
    log.info({ ...churn, durationMs: Date.now() - started }, 'busy table vacuumed or analyzed');
  }
  return done;
}

/**
 * vacuumBusyTables at most once every `everyMs` in this process, for the grouping job to call
 * after each feed: during a large ingest its scheduled run waits behind thousands of queued
 * groupings, exactly while the tables churn most.
 */
export function vacuumBusyTablesEvery(ctx: Pick<AppContext, 'db' | 'log'>, everyMs: number): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    await vacuumBusyTables(ctx);
  };
}
