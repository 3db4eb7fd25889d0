import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TopicRow } from '../db/schema.js';
import { allows, type Principal } from './tokens.js';

/*
 * Who may read what (issue 18, docs/api.md "Access"). Public topics and their items are for
 * anyone. A private topic, its items, feeds, stream and WebSub subscriptions need a token with
 * the `read` scope, or the topic's feed key (for a feed reader that cannot send a header). What
 * is not readable is answered as absent, so that a private topic's name does not leak.
 */

/** Who reads: the request's token (null when none), and a feed key given in the address. */
export interface Viewer {
  principal: Principal | null;
  feedKey?: string;
}

/** The operator at the command line reads everything. */
export const OPERATOR: Viewer = { principal: { kind: 'bootstrap', scopes: ['admin'] } };

/** A reader of everything (a subscription made with a read token, checked when it was made). */
export const READER: Principal = { kind: 'bootstrap', scopes: ['read'] };

/** Whether the viewer reads private topics (a token with `read`, or more). */
export function seesPrivate(viewer: Viewer): boolean {
  return viewer.principal !== null && allows(viewer.principal, 'read');
}

/** Whether the viewer may read this topic: it is public, the token reads, or the key is the topic's. */
export function mayRead(topic: Pick<TopicRow, 'visibility' | 'feed_key'>, viewer: Viewer): boolean {
  if (topic.visibility === 'public' || seesPrivate(viewer)) return true;
  return viewer.feedKey !== undefined && sameSecret(viewer.feedKey, topic.feed_key);
}

/** Compared in constant time over their digests (equal lengths, nothing learnt from timing). */
function sameSecret(given: string, kept: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(kept));
}

/** A new topic feed key: 24 random bytes, URL-safe. */
export function newFeedKey(): string {
  return randomBytes(24).toString('base64url');
}
