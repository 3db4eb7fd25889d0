import { decodeFeedBytes } from './parse/decode-charset.js';
import { normalizeFeed } from './normalize/normalize-feed.js';
import { parseFeed } from './parse/parse-feed.js';
import type { FeedHints, NormalizedFeed } from './types.js';

/** A normalized feed and the polling hints it carries. */
export type ReadFeed = NormalizedFeed & { hints: FeedHints };

/** Bytes as fetched → normalized feed and the polling hints it carries: decode → parse → normalize. */
export async function readFeed(
  bytes: Uint8Array,
  opts: { contentType?: string; documentUrl?: string } = {},
): Promise<ReadFeed> {
  const { text } = decodeFeedBytes(bytes, opts.contentType);
  const parsed = await parseFeed(text);
  const normalized = normalizeFeed(parsed, opts.documentUrl);
  return { ...normalized, hints: { ttlMinutes: parsed.ttlMinutes, syndicationSeconds: parsed.syndicationSeconds } };
}

/** readFeed's signature, as the application layer takes it: run here, or on the worker's threads. */
export type ReadFeedFn = typeof readFeed;
