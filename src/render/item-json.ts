import type { ItemWithTopics } from '../db/items.repository.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A stored item as JSON: the API's item (docs/openapi.yaml), also sent by the live stream and webhooks. */
export function itemToDto(i: ItemWithTopics) {
  const sources = i.sources.map(({ inPublicTopic: _kept, ...source }) => source);
  return {
    id: i.id,
    feedId: i.feed_id,
    feedTitle: i.feedTitle,
    // An item not grouped yet (stored a moment ago) is a story of its own.
    storyId: i.story_id ?? i.id,
    guid: i.guid,
    url: i.url,
    title: i.title,
    summary: i.summary,
    contentHtml: i.content_html,
    contentText: i.content_text,
    author: i.author,
    categories: i.categories,
    language: i.language,
    published: iso(i.published_at),
    updated: iso(i.updated_at),
    enclosures: i.enclosures,
    fetchedAt: iso(i.fetched_at),
    topics: i.topics.map(({ slug, terms }) => ({ slug, terms })),
    sources,
  };
}
