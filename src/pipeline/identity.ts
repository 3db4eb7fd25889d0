import { createHash } from 'node:crypto';
import type { NormalizedItem } from './types.js';

// Parameters that only say where a click came from (documented in docs/dedupe.md).
const TRACKING_PARAMS = new Set([
  'fbclid', 'gclid', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'mc_cid', 'mc_eid', 'igshid', 'yclid', '_hsenc', '_hsmi',
  'mkt_tok', 'ref', 'ref_src', 'ref_url', 'cmpid', 'ito', 'ncid', 'sr_share', 'at_medium', 'at_campaign', 'spm',
]);

/**
 * The URL that names an article whatever link led to it: scheme and host lower-cased, default
 * port, fragment and tracking parameters (utm_*, fbclid, gclid, …) removed, other parameters
 * kept in order. "" for anything that is not an http(s) URL.
 */
export function canonicalUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return '';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
  u.hash = '';
  const kept = [...u.searchParams].filter(([k]) => !k.toLowerCase().startsWith('utm_') && !TRACKING_PARAMS.has(k.toLowerCase()));
  u.search = kept.length ? '?' + new URLSearchParams(kept).toString() : '';
  return u.href;
}

/**
 * An item's identity within its feed (design §5): the feed's own id when it has one, else its
 * canonical URL, else its title and date. Hashed so that the unique key stays short.
 */
export function itemIdentity(item: NormalizedItem): string {
  const key = item.guid ? `guid:${item.guid}` : canonicalUrl(item.url) ? `url:${canonicalUrl(item.url)}` : `title:${item.title}|${item.published ?? ''}`;
  return sha256(key);
}

/** What decides that a stored item changed: everything the API serves of it. */
export function contentHash(item: NormalizedItem): string {
  return sha256(
    JSON.stringify([item.url, item.title, item.summary, item.contentHtml, item.author, item.categories, item.language, item.published, item.updated, item.enclosures]),
  );
}

/** Items of one fetch with the same identity: the first one written wins, as feeds list newest first. */
export function dedupeItems<T extends NormalizedItem>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = itemIdentity(item);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
