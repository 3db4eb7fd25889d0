import * as feeds from '../db/feeds.repository.js';
import { addressPolicy } from '../fetch-options.js';
import { acceptableUrl } from '../pipeline/fetch/address-guard.js';
import { isFeedError } from '../pipeline/feed-error.js';
import { buildOpml, parseOpml } from '../pipeline/parse/opml.js';
import type { AppContext } from './context.js';
import { AppError, refusedFeed } from './errors.js';

export interface OpmlImport {
  added: { id: number; url: string }[];
  skipped: { url: string; reason: string }[];
  refused: { url: string; reason: string }[];
}

/**
 * Subscribes to the feeds an OPML file lists (folders and categories become feed tags): each one
 * added, skipped (already there, listed twice) or refused (not an http(s) URL, a private address),
 * with the reason. New feeds are due at once and polled by the scheduler, not here: a file of a
 * thousand feeds must not hold the request for their fetches. A document that is not OPML, or
 * is cut off, is refused as a whole (not_opml).
 */
export async function importOpml(ctx: AppContext, text: string): Promise<OpmlImport> {
  if (!text.trim()) throw new AppError('invalid_request', 'the OPML file is empty');
  let listed;
  try {
    listed = parseOpml(text);
  } catch (err) {
    if (isFeedError(err)) throw refusedFeed('the OPML file', err);
    throw err;
  }
  const result: OpmlImport = { added: [], skipped: [], refused: [] };
  const seen = new Set<string>();
  for (const entry of listed) {
    let url: string;
    try {
      url = (await acceptableUrl(entry.url, addressPolicy(ctx.config))).href;
    } catch (err) {
      if (!isFeedError(err)) throw err;
      result.refused.push({ url: entry.url, reason: err.message });
      continue;
    }
    if (seen.has(url)) {
      result.skipped.push({ url, reason: 'listed twice in this file' });
      continue;
    }
    seen.add(url);
    const { feed, created } = await feeds.insertFeed(ctx.db, url, ctx.config.POLL_INTERVAL_SECONDS, {
      title: entry.title,
      siteUrl: entry.siteUrl,
      tags: entry.tags,
    });
    if (created) result.added.push({ id: feed.id, url });
    else result.skipped.push({ url, reason: `already subscribed as feed ${feed.id}` });
  }
  ctx.log.info(
    { added: result.added.length, skipped: result.skipped.length, refused: result.refused.length },
    'OPML imported',
  );
  return result;
}

/** Every feed as OPML 2.0, one folder per first tag (re-imports to the same set). */
export async function exportOpml(ctx: AppContext): Promise<string> {
  const all = await feeds.listFeeds(ctx.db);
  return buildOpml(
    all.map((f) => ({ url: f.url, title: f.title, siteUrl: f.site_url, tags: f.tags })),
    'topicwire subscriptions',
  );
}
