import { FeedError, type ParsedFeed, type ParsedItem, type ParsedLink, type TextValue } from '../types.js';

/** JSON Feed 1.0 and 1.1 (jsonfeed.org/version/1.1) → the feed's fields as written. rss-parser does not read JSON. */
export function parseJsonFeed(text: string): ParsedFeed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FeedError('not_a_feed', `not a feed: malformed JSON (${(err as Error).message})`);
  }
  if (!isObject(doc) || typeof doc.version !== 'string' || !doc.version.includes('jsonfeed.org')) {
    throw new FeedError('not_a_feed', 'not a feed: JSON without a jsonfeed.org "version"');
  }
  const links: ParsedLink[] = [];
  if (str(doc.home_page_url)) links.push({ href: str(doc.home_page_url), rel: 'alternate', type: 'text/html' });
  if (str(doc.feed_url)) links.push({ href: str(doc.feed_url), rel: 'self', type: 'application/feed+json' });
  for (const hub of Array.isArray(doc.hubs) ? doc.hubs : []) {
    if (isObject(hub) && str(hub.url)) links.push({ href: str(hub.url), rel: 'hub', type: str(hub.type) });
  }
  const items = Array.isArray(doc.items) ? doc.items.filter(isObject) : [];
  return {
    format: 'json',
    title: text_(doc.title),
    description: text_(doc.description),
    links,
    language: str(doc.language),
    updated: '',
    base: '',
    ttlMinutes: null,
    syndicationSeconds: null,
    items: items.map((item) => mapItem(item, doc as Record<string, unknown>)),
  };
}

function mapItem(item: Record<string, unknown>, feed: Record<string, unknown>): ParsedItem {
  const links: ParsedLink[] = [];
  if (str(item.url)) links.push({ href: str(item.url), rel: 'alternate', type: '' });
  if (str(item.external_url)) links.push({ href: str(item.external_url), rel: 'related', type: '' });
  for (const a of Array.isArray(item.attachments) ? item.attachments : []) {
    if (isObject(a) && str(a.url)) {
      links.push({ href: str(a.url), rel: 'enclosure', type: str(a.mime_type), length: String(a.size_in_bytes ?? '') });
    }
  }
  const html = str(item.content_html);
  const content: TextValue | null = html ? { value: html, type: 'html' } : text_(item.content_text);
  const id = item.id === undefined || item.id === null ? '' : String(item.id);
  return {
    guid: id.trim(),
    guidIsPermaLink: false,
    links,
    title: text_(item.title),
    summary: text_(item.summary),
    content,
    author: authorName(item) || authorName(feed),
    categories: Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === 'string') : [],
    language: str(item.language),
    published: str(item.date_published),
    updated: str(item.date_modified),
    base: '',
    // external_url is the page a link-blog entry is about, not where this text came from.
    sourceUrl: '',
  };
}

/** JSON Feed 1.1 "authors" (array), 1.0 "author" (object). */
function authorName(obj: Record<string, unknown>): string {
  const people = Array.isArray(obj.authors) ? obj.authors : isObject(obj.author) ? [obj.author] : [];
  for (const p of people) if (isObject(p) && str(p.name)) return str(p.name);
  return '';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

function text_(v: unknown): TextValue | null {
  const s = str(v);
  return s ? { value: s, type: 'text' } : null;
}
