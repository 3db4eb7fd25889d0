import render from 'dom-serializer';
import { Element } from 'domhandler';
import { escapeUTF8 } from 'entities';
import { Feed } from 'feed';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ItemWithTopics, StorySource } from '../db/items.repository.js';
import type { TopicRow } from '../db/schema.js';

export type FeedFormat = 'atom' | 'rss' | 'json';

export const CONTENT_TYPES: Record<FeedFormat, string> = {
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

/**
 * A topic's newest items as Atom 1.0, RSS 2.0 or JSON Feed 1.1, written by the `feed` package
 * (escaping and structure are its job). Entry ids are our item URLs: stable across re-fetches
 * and unique across feeds, unlike the sources' own guids. A private topic's feed read with its key
 * (`feedKey`) links to itself with the key, so that a WebSub subscription to its self link works.
 */
export function renderTopicFeed(
  format: FeedFormat,
  topic: TopicRow,
  items: ItemWithTopics[],
  baseUrl: string,
  feedKey?: string,
): string {
  const hub = hubUrl(baseUrl);
  const topicUrl = `${baseUrl}/topics/${topic.slug}`;
  const updated = items.reduce<Date>((max, i) => (itemDate(i) > max ? itemDate(i) : max), topic.updated_at);
  const feed = new Feed({
    id: topicUrl,
    title: topic.name,
    description: `Items matching: ${topic.rule}`,
    link: `${baseUrl}/api/v1/items?topic=${encodeURIComponent(topic.slug)}`,
    updated,
    generator: 'topicwire',
    copyright: '',
    feedLinks: {
      atom: topicFeedUrl(baseUrl, topic.slug, 'atom', feedKey),
      rss: topicFeedUrl(baseUrl, topic.slug, 'rss', feedKey),
      json: topicFeedUrl(baseUrl, topic.slug, 'json', feedKey),
    },
    hub,
  });
  for (const item of items) {
    const id = `${baseUrl}/api/v1/items/${item.id}`;
    const title = item.title || item.summary.slice(0, 120) || item.url || id;
    feed.addItem({
      id,
      guid: id,
      title: titleFor(format, title),
      link: item.url || id,
      date: itemDate(item),
      published: item.published_at ?? undefined,
      description: item.summary || undefined,
      content: item.content_html || undefined,
      author: item.author ? [{ name: item.author }] : undefined,
      category: item.categories.map((name) => ({ name })),
      // JSON Feed extension (https://www.jsonfeed.org/version/1.1/#extensions): the story's other sources.
      extensions: item.sources.length
        ? [{ name: '_topicwire', objects: { sources: item.sources.map(sourceToJson) } }]
        : undefined,
    });
  }
  if (format === 'atom') return withRelatedLinks(feed.atom1(), items);
  if (format === 'rss') return feed.rss2();
  return toJsonFeed11(feed.json1(), items, hub);
}

/** A topic feed's address; with a private topic's key, the one that carries it. */
export function topicFeedUrl(baseUrl: string, slug: string, format: FeedFormat, feedKey?: string): string {
  return `${baseUrl}/topics/${slug}/feed.${format}${feedKey ? `?key=${encodeURIComponent(feedKey)}` : ''}`;
}

/** Where subscribers of topic feeds served from `baseUrl` subscribe for pushes (WebSub). */
export function hubUrl(baseUrl: string): string {
  return `${baseUrl}/websub`;
}

function sourceToJson(s: StorySource) {
  return { id: s.id, feedId: s.feedId, feedTitle: s.feedTitle, url: s.url, title: s.title, language: s.language };
}

/**
 * Atom entries list the story's other sources as `<link rel="related">` (RFC 4287 §4.2.7.2). The
 * `feed` package has no place for them, so they are added to its output as a document tree (the
 * XML declaration aside, which dom-serializer would write without its closing "?"). The tree
 * keeps the text as written (no decoding, no re-encoding: dom-serializer would turn every
 * non-ASCII character into a numeric reference), so only the new attributes are escaped, here.
 */
function withRelatedLinks(atom: string, items: ItemWithTopics[]): string {
  if (!items.some((i) => i.sources.length)) return atom;
  const declaration = /^<\?xml[^>]*\?>\s*/.exec(atom)?.[0] ?? '';
  const doc = parseDocument(atom.slice(declaration.length), { xmlMode: true, decodeEntities: false });
  DomUtils.getElementsByTagName('entry', doc).forEach((entry, i) => {
    for (const source of items[i]?.sources ?? []) {
      if (!source.url) continue;
      const attribs: Record<string, string> = {
        rel: 'related',
        href: source.url,
        title: source.feedTitle || source.title,
      };
      if (source.language) attribs.hreflang = source.language;
      DomUtils.appendChild(
        entry,
        new Element('link', Object.fromEntries(Object.entries(attribs).map(([k, v]) => [k, escapeUTF8(v)]))),
      );
    }
  });
  return declaration + render(doc, { xmlMode: true, encodeEntities: false });
}

/**
 * Titles are plain text. The package declares Atom titles as type="html", so they are escaped;
 * RSS readers sniff titles for markup, so one with "<" is escaped too, and stays text either way.
 */
function titleFor(format: FeedFormat, title: string): string {
  if (format === 'atom' || (format === 'rss' && /[<>]/.test(title))) return escapeHtml(title);
  return title;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function itemDate(item: ItemWithTopics): Date {
  return item.updated_at ?? item.published_at ?? item.fetched_at;
}

/** The `feed` package writes JSON Feed 1.0; 1.1 renames author to authors and adds language; hubs name the WebSub hub. */
function toJsonFeed11(json: string, items: ItemWithTopics[], hub: string): string {
  const doc = JSON.parse(json) as Record<string, unknown> & { items?: Record<string, unknown>[] };
  doc.version = 'https://jsonfeed.org/version/1.1';
  doc.hubs = [{ type: 'WebSub', url: hub }];
  for (const [i, entry] of (doc.items ?? []).entries()) {
    if (entry.author) {
      entry.authors = [entry.author];
      delete entry.author;
    }
    const language = items[i]?.language;
    if (language) entry.language = language;
  }
  if (doc.author) {
    doc.authors = [doc.author];
    delete doc.author;
  }
  return JSON.stringify(doc);
}
