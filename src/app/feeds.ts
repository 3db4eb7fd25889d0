import { z } from 'zod';
import * as feeds from '../db/feeds.repository.js';
import type { FeedRow } from '../db/schema.js';
import { fetchOptions } from '../fetch-options.js';
import { decodeFeedBytes } from '../pipeline/parse/decode-charset.js';
import { discoverFeeds, looksLikeHtml, type DiscoveredFeed } from '../pipeline/parse/discover-feeds.js';
import { FeedError, isFeedError } from '../pipeline/feed-error.js';
import { fetchFeed } from '../pipeline/fetch/fetch-feed.js';
import { readFeed, type ReadFeed } from '../pipeline/read-feed.js';
import { jobRequest } from '../queue/job-graph.js';
import { followUp, type AppContext } from './context.js';
import { acceptUrl, AppError, refusedFeed } from './errors.js';
import { readOptions, recordPollFailure, storePoll, type Fetched, type PollOutcome } from './ingestion.js';
import { parseInput, rowId } from './input.js';
import { LEASE_SECONDS } from './maintenance.js';

// The first poll is made by the add itself: the scheduler keeps off the new feed meanwhile.
const FIRST_POLL_CLAIM_SECONDS = LEASE_SECONDS;

// What a person pastes is a feed or a site's page: ask for either.
const PAGE_OR_FEED =
  'application/atom+xml, application/rss+xml, application/feed+json, text/html;q=0.9, application/xhtml+xml;q=0.9, application/xml;q=0.8, */*;q=0.5';

const addInput = z.object({
  url: z.string().trim().min(1, 'give the URL of a feed or of a site').max(2048),
  /** Subscribe even when the URL does not answer with a feed today (a feed that is down). */
  force: z.boolean().default(false),
});

export type AddedFeed =
  { created: false; feed: FeedRow } | { created: true; feed: FeedRow; firstPoll: PollOutcome; discoveredFrom?: string };

/**
 * Subscribes to a feed, given its URL or a page that advertises it. The URL is fetched once,
 * and that fetch is the feed's first poll: its items are stored at once. A URL that does not
 * lead to a feed (404, no such host, refused, an HTML page without feeds, not a feed) is refused
 * with the cause's code, unless `force`: then the feed is subscribed with that failure recorded,
 * and polled again on the usual backoff. A URL already subscribed answers the existing feed.
 */
export async function addFeed(ctx: AppContext, input: unknown): Promise<AddedFeed> {
  const { url: given, force } = parseInput(addInput, input, 'feed');
  const url = await acceptUrl(ctx.config, given);
  const existing = await feeds.findFeedByUrl(ctx.db, url);
  if (existing) return { created: false, feed: existing };

  let target = url;
  let discoveredFrom: string | undefined;
  let fetched: Fetched;
  let parsed: ReadFeed;
  try {
    fetched = await fetchOk(ctx, url);
    const page = advertisedFeeds(fetched);
    if (page) {
      if (page.length === 0) {
        throw new FeedError('no_feed_found', 'an HTML page that advertises no feed (no <link rel="alternate">)');
      }
      // A page may point anywhere: its feed is held to the same rules as a URL given directly.
      target = await acceptUrl(ctx.config, page[0]!.url);
      discoveredFrom = url;
      const known = await feeds.findFeedByUrl(ctx.db, target);
      if (known) return { created: false, feed: known };
      fetched = await fetchOk(ctx, target);
    }
    // A URL that moved for good to a feed we have is that feed.
    const movedTo = fetched.movedTo ? await feeds.findFeedByUrl(ctx.db, fetched.movedTo) : undefined;
    if (movedTo) return { created: false, feed: movedTo };
    parsed = await readFeed(fetched.body, readOptions(fetched));
  } catch (err) {
    if (!isFeedError(err)) throw err;
    if (!force || ['invalid_url', 'blocked_scheme', 'blocked_address'].includes(err.code)) {
      throw refusedFeed(target, err);
    }
    const { feed, created } = await insertClaimed(ctx, target);
    if (!created) return { created: false, feed };
    const firstPoll = await recordPollFailure(ctx, feed, err);
    return { created: true, feed: await mustGet(ctx, feed.id), firstPoll, discoveredFrom };
  }
  const { feed, created } = await insertClaimed(ctx, target);
  if (!created) return { created: false, feed };
  const firstPoll = await storePoll(ctx, feed, fetched, parsed);
  return { created: true, feed: await mustGet(ctx, feed.id), firstPoll, discoveredFrom };
}

const insertClaimed = (ctx: AppContext, url: string) =>
  feeds.insertFeed(ctx.db, url, ctx.config.POLL_INTERVAL_SECONDS, { claimSeconds: FIRST_POLL_CLAIM_SECONDS });

/** The feeds a page advertises, without subscribing (for a person to choose among them). */
export async function discoverFeedsAt(ctx: AppContext, input: unknown): Promise<DiscoveredFeed[]> {
  const { url: given } = parseInput(addInput, input, 'feed');
  const url = await acceptUrl(ctx.config, given);
  try {
    const fetched = await fetchOk(ctx, url);
    return advertisedFeeds(fetched) ?? [{ url, title: '', type: fetched.contentType.split(';')[0]!.trim() }];
  } catch (err) {
    if (isFeedError(err)) throw refusedFeed(url, err);
    throw err;
  }
}

async function fetchOk(ctx: AppContext, url: string): Promise<Fetched> {
  const result = await fetchFeed(url, { ...fetchOptions(ctx.config), accept: PAGE_OR_FEED });
  // Without validators a server has nothing to answer 304 to; one that does answers wrongly.
  if (result.kind !== 'ok') throw new FeedError('http_client_error', 'HTTP 304 to a request without validators');
  return result;
}

/** The feeds an HTML page advertises (maybe none), or null when the body is not an HTML page. */
function advertisedFeeds(fetched: Fetched): DiscoveredFeed[] | null {
  const text = decodeFeedBytes(fetched.body, fetched.contentType).text;
  return looksLikeHtml(fetched.contentType, text) ? discoverFeeds(text, fetched.finalUrl) : null;
}

export async function listFeeds(ctx: AppContext): Promise<FeedRow[]> {
  return feeds.listFeeds(ctx.db);
}

async function mustGet(ctx: AppContext, id: number): Promise<FeedRow> {
  const feed = await feeds.getFeed(ctx.db, id);
  if (!feed) throw new AppError('not_found', `no feed ${id}`);
  return feed;
}

export async function getFeed(ctx: AppContext, id: unknown): Promise<FeedRow> {
  return mustGet(ctx, parseInput(rowId, id, 'id'));
}

const changeInput = z
  .object({
    intervalSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .optional(),
    enabled: z.boolean().optional(),
    preferred: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give intervalSeconds, enabled and/or preferred');

/** A feed's settings: its interval, enabled or not (enabling polls it now), preferred as a story's source. */
export async function updateFeed(ctx: AppContext, id: unknown, input: unknown): Promise<FeedRow> {
  const feed = await getFeed(ctx, id);
  const change = parseInput(changeInput, input, 'feed');
  if (change.enabled === true) await feeds.requestPoll(ctx.db, feed.id);
  const updated = await feeds.updateFeed(ctx.db, feed.id, {
    ...(change.intervalSeconds ? { interval_seconds: change.intervalSeconds } : {}),
    ...(change.enabled === false ? { disabled_reason: 'disabled by the user', status: 'disabled' as const } : {}),
    ...(change.preferred !== undefined ? { preferred: change.preferred } : {}),
  });
  if (!updated) throw new AppError('not_found', `no feed ${feed.id}`);
  return updated;
}

/** Unsubscribes: the feed and its items go. */
export async function removeFeed(ctx: AppContext, id: unknown): Promise<void> {
  const feedIdValue = parseInput(rowId, id, 'id');
  if (!(await feeds.deleteFeed(ctx.db, feedIdValue))) throw new AppError('not_found', `no feed ${feedIdValue}`);
}

/** Polls a feed as soon as a worker is free; a disabled feed is enabled again (the user says "try again"). */
export async function refreshFeed(ctx: AppContext, id: unknown): Promise<FeedRow> {
  const feedIdValue = parseInput(rowId, id, 'id');
  const feed = await feeds.requestPoll(ctx.db, feedIdValue);
  if (!feed) throw new AppError('not_found', `no feed ${feedIdValue}`);
  // Due now in the database already: a lost job only waits for the next scheduler tick.
  await followUp(ctx, [jobRequest('refresh-feed', { feedId: feed.id })], { feedId: feed.id });
  return feed;
}
