import { Feed } from 'feed';
import type { ItemWithTopics } from '../db/items.repository.js';
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
 * and unique across feeds, unlike the sources' own guids.
 */
export function renderTopicFeed(format: FeedFormat, topic: TopicRow, items: ItemWithTopics[], baseUrl: string): string {
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
    feedLinks: { atom: `${topicUrl}/feed.atom`, rss: `${topicUrl}/feed.rss`, json: `${topicUrl}/feed.json` },
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
    });
  }
  if (format === 'atom') return feed.atom1();
  if (format === 'rss') return feed.rss2();
  return toJsonFeed11(feed.json1(), items);
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

/** The `feed` package writes JSON Feed 1.0; 1.1 renames author to authors and adds language. */
function toJsonFeed11(json: string, items: ItemWithTopics[]): string {
  const doc = JSON.parse(json) as Record<string, unknown> & { items?: Record<string, unknown>[] };
  doc.version = 'https://jsonfeed.org/version/1.1';
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
