import { createHash } from 'node:crypto';
import type { NormalizedItem } from '../types.js';

// Parameters that only say where a click came from (documented in docs/dedupe.md).
const TRACKING_PARAMS = new Set([
  'fbclid',
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'mc_cid',
  'mc_eid',
  'igshid',
  'yclid',
  '_hsenc',
  '_hsmi',
  'mkt_tok',
  'ref',
  'ref_src',
  'ref_url',
  'cmpid',
  'ito',
  'ncid',
  'sr_share',
  'at_medium',
  'at_campaign',
  'spm',
]);

/**
 * The URL as identities were first keyed on it: scheme and host lower-cased, default port,
 * fragment and tracking parameters removed. Frozen: an item without a guid is found again by
 * this key on every poll, so changing it would store every such item a second time.
 */
function identityUrl(url: string): string {
  const u = parseHttpUrl(url);
  if (!u) return '';
  u.hash = '';
  u.search = keptQuery(u);
  return u.href;
}

// Default documents: /news/index.html is /news/ (documented in docs/dedupe.md).
const DEFAULT_DOCUMENT = /\/(?:index|default)\.(?:html?|shtml|php|aspx?|jsp)$/i;

/**
 * The URL that names an article whatever link led to it (docs/dedupe.md): identityUrl's rules, and a
 * default document (`index.html`, `default.aspx`, …) and a trailing slash dropped from the path,
 * a trailing dot from the host. "" for anything that is not an http(s) URL.
 */
export function canonicalUrl(url: string): string {
  return canonicalForm(url)?.href ?? '';
}

function canonicalForm(url: string): URL | null {
  const u = parseHttpUrl(url);
  if (!u) return null;
  u.hash = '';
  u.search = keptQuery(u);
  u.hostname = u.hostname.replace(/\.$/, '');
  // /news/story/ and /news/story are one page on nearly every site (one redirects to the other).
  u.pathname = u.pathname.replace(DEFAULT_DOCUMENT, '/').replace(/(.)\/+$/, '$1');
  return u;
}

/**
 * The canonical URL when it can name one article: a site's home page (no path, no query) is
 * shared by everything on the site, so it never puts two items in one story.
 */
export function storyUrl(url: string): string {
  const u = canonicalForm(url);
  return !u || (u.pathname === '/' && !u.search) ? '' : u.href;
}

function parseHttpUrl(url: string): URL | null {
  // No scheme, no absolute URL: answered without the exception the parser would throw (most items
  // have no source URL, and "" was most of the calls).
  if (!url.includes(':')) return null;
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

function keptQuery(u: URL): string {
  const kept = [...u.searchParams].filter(
    ([k]) => !k.toLowerCase().startsWith('utm_') && !TRACKING_PARAMS.has(k.toLowerCase()),
  );
  return kept.length ? '?' + new URLSearchParams(kept).toString() : '';
}

/**
 * An item's identity within its feed (docs/dedupe.md): the feed's own id when it has one, else its
 * canonical URL, else its title and date. Hashed so that the unique key stays short.
 */
export function itemIdentity(item: NormalizedItem): string {
  const key = item.guid
    ? `guid:${item.guid}`
    : identityUrl(item.url)
      ? `url:${identityUrl(item.url)}`
      : `title:${item.title}|${item.published ?? ''}`;
  return sha256(key);
}

/** What decides that a stored item changed: everything the API serves of it. */
export function contentHash(item: NormalizedItem): string {
  return sha256(
    JSON.stringify([
      item.url,
      item.title,
      item.summary,
      item.contentHtml,
      item.author,
      item.categories,
      item.language,
      item.published,
      item.updated,
      item.enclosures,
    ]),
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
