import { Parser } from 'htmlparser2';
import { resolveUrl } from '../html.js';

export interface DiscoveredFeed {
  url: string;
  title: string;
  type: string;
}

const FEED_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/json',
  'application/rdf+xml',
  'text/xml',
  'application/xml',
]);

/**
 * The feeds an HTML page advertises (`<link rel="alternate" type="application/rss+xml" href>`
 * and its Atom and JSON Feed kin), in page order, resolved against the page's <base> or URL,
 * without duplicates. The page's own main feed usually comes first.
 */
export function discoverFeeds(html: string, pageUrl: string): DiscoveredFeed[] {
  const found: DiscoveredFeed[] = [];
  let base = pageUrl;
  let inBody = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'body') inBody = true;
        if (name === 'base' && attrs.href && !inBody) base = resolveUrl(attrs.href, pageUrl) || base;
        if (name !== 'link') return;
        const rels = (attrs.rel ?? '').toLowerCase().split(/\s+/);
        const type = (attrs.type ?? '').toLowerCase().split(';')[0]!.trim();
        if (!rels.includes('alternate') || !FEED_TYPES.has(type) || !attrs.href) return;
        const url = resolveUrl(attrs.href, base);
        if (url && /^https?:/.test(url) && !found.some((f) => f.url === url))
          found.push({ url, title: (attrs.title ?? '').trim(), type });
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return found;
}

/** Whether a response is an HTML page rather than a feed. */
export function looksLikeHtml(contentType: string, body: string): boolean {
  if (/text\/html|application\/xhtml/i.test(contentType)) return true;
  return /^\s*(<!doctype html|<html[\s>])/i.test(body.slice(0, 1024));
}
