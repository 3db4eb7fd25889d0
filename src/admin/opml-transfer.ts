import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { insertFeed, listFeeds } from '../db/feeds.repository.js';
import { addressPolicy } from '../fetch-options.js';
import { acceptableUrl } from '../pipeline/address-guard.js';
import { buildOpml, parseOpml } from '../pipeline/opml.js';
import { FeedError } from '../pipeline/types.js';

export interface OpmlImport {
  added: { id: number; url: string }[];
  skipped: { url: string; reason: string }[];
  refused: { url: string; reason: string }[];
}

/**
 * Subscribes to the feeds an OPML file lists (folders and categories become feed tags): each one
 * added, skipped (already there, listed twice) or refused (not an http(s) URL, a private address),
 * with the reason. New feeds are due at once; `onAdded` may poll them sooner. Throws FeedError
 * ("invalid_opml") for a file that is not OPML. The API (POST /api/v1/opml) and the CLI share it.
 */
export async function importOpml(
  db: Db,
  config: Config,
  text: string,
  onAdded: (feedId: number) => Promise<void> = async () => {},
): Promise<OpmlImport> {
  const listed = parseOpml(text);
  const result: OpmlImport = { added: [], skipped: [], refused: [] };
  const seen = new Set<string>();
  for (const entry of listed) {
    let url: string;
    try {
      url = (await acceptableUrl(entry.url, addressPolicy(config))).href;
    } catch (err) {
      if (!(err instanceof FeedError)) throw err;
      result.refused.push({ url: entry.url, reason: err.message });
      continue;
    }
    if (seen.has(url)) {
      result.skipped.push({ url, reason: 'listed twice in this file' });
      continue;
    }
    seen.add(url);
    const { feed, created } = await insertFeed(db, url, config.POLL_INTERVAL_SECONDS, {
      title: entry.title,
      siteUrl: entry.siteUrl,
      tags: entry.tags,
    });
    if (!created) {
      result.skipped.push({ url, reason: `already subscribed as feed ${feed.id}` });
      continue;
    }
    await onAdded(feed.id);
    result.added.push({ id: feed.id, url });
  }
  return result;
}

/** Every feed as OPML 2.0, one folder per first tag (re-imports to the same set). */
export async function exportOpml(db: Db): Promise<string> {
  const feeds = await listFeeds(db);
  return buildOpml(
    feeds.map((f) => ({ url: f.url, title: f.title, siteUrl: f.site_url, tags: f.tags })),
    'topicwire subscriptions',
  );
}
