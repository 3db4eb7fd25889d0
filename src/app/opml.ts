import * as feeds from '../db/feeds.repository.js';
import * as imports from '../db/imports.repository.js';
import { addressPolicy } from '../fetch-options.js';
import { acceptableUrlUnresolved } from '../pipeline/fetch/address-guard.js';
import { maskUrl } from '../pipeline/fetch/url-secrets.js';
import { isFeedError } from '../pipeline/feed-error.js';
import { buildOpml, parseOpml } from '../pipeline/parse/opml.js';
import type { AppContext } from './context.js';
import { AppError, refusedFeed } from './errors.js';
import { parseInput, rowId } from './input.js';

export interface OpmlImport {
  /** Follow the polling of the added feeds with importProgress(id). */
  id: number;
  added: { id: number; url: string }[];
  skipped: { url: string; reason: string }[];
  refused: { url: string; reason: string }[];
}

/**
 * Subscribes to the feeds an OPML file lists (folders and categories become feed tags): each one
 * added, skipped (already there, listed twice) or refused (not an http(s) URL, a private IP
 * address), with the reason; host names are resolved (and private ones refused) at the first
 * poll. New feeds are due at once and polled by the scheduler, not here: a file of a thousand
 * feeds must not hold the request for their lookups and fetches. A document that is not OPML, or
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
  const result: Omit<OpmlImport, 'id'> = { added: [], skipped: [], refused: [] };
  const seen = new Set<string>();
  const accepted: { url: string; title: string; siteUrl: string; tags: string[] }[] = [];
  for (const entry of listed) {
    let url: string;
    try {
      // Host names are not resolved here: a thousand lookups would hold the request for
      // seconds. A name that leads to a private address is refused at the feed's first poll.
      url = acceptableUrlUnresolved(entry.url, addressPolicy(ctx.config)).href;
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
    accepted.push({ url, title: entry.title, siteUrl: entry.siteUrl, tags: entry.tags });
  }
  const stored = await feeds.insertFeeds(ctx.db, accepted, ctx.config.POLL_INTERVAL_SECONDS);
  for (const { url } of accepted) {
    const feed = stored.get(url)!;
    if (feed.created) result.added.push({ id: feed.id, url });
    else result.skipped.push({ url, reason: `already subscribed as feed ${feed.id}` });
  }
  const { id } = await imports.insertImport(
    ctx.db,
    result.added.map((a) => a.id),
    { skipped: result.skipped.length, refused: result.refused.length },
  );
  ctx.log.info(
    { import: id, added: result.added.length, skipped: result.skipped.length, refused: result.refused.length },
    'OPML imported',
  );
  return { id, ...result };
}

export interface ImportProgress {
  id: number;
  createdAt: Date;
  feeds: {
    added: number;
    skipped: number;
    refused: number;
    /** Added feeds polled at least once (of those still subscribed). */
    polled: number;
    waiting: number;
    failing: number;
    disabled: number;
    removed: number;
  };
  items: { stored: number; waitingForStories: number };
  lastPolledAt: Date | null;
  /** Every added feed polled once and every item it gave grouped into stories. */
  done: boolean;
}

/** How far the first polls of an import's feeds have come: feeds polled and failing, items stored. */
export async function importProgress(ctx: AppContext, id: unknown): Promise<ImportProgress> {
  const importId = parseInput(rowId, id, 'id');
  const row = await imports.importProgress(ctx.db, importId);
  if (!row) throw new AppError('not_found', `no OPML import ${importId}`);
  return {
    id: row.id,
    createdAt: row.created_at,
    feeds: {
      added: row.added,
      skipped: row.skipped,
      refused: row.refused,
      polled: row.polled,
      waiting: row.present - row.polled,
      failing: row.failing,
      disabled: row.disabled,
      removed: row.added - row.present,
    },
    items: { stored: row.items, waitingForStories: row.ungrouped },
    lastPolledAt: row.last_polled_at,
    done: row.polled === row.present && row.ungrouped === 0,
  };
}

/**
 * Every feed as OPML 2.0, one folder per first tag (re-imports to the same set). `maskSecrets`
 * for readers: credentials and keys in feed URLs masked (the file then does not re-import them).
 */
export async function exportOpml(ctx: AppContext, { maskSecrets }: { maskSecrets: boolean }): Promise<string> {
  const all = await feeds.listFeeds(ctx.db);
  return buildOpml(
    all.map((f) => ({ url: maskSecrets ? maskUrl(f.url) : f.url, title: f.title, siteUrl: f.site_url, tags: f.tags })),
    'topicwire subscriptions',
  );
}
