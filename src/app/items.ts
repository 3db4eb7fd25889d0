import * as items from '../db/items.repository.js';
import type { Cursor, ItemFilter, ItemWithTopics } from '../db/items.repository.js';
import type { TopicRow } from '../db/schema.js';
import { splitItem } from '../db/stories.repository.js';
import type { AppContext } from './context.js';
import { OPERATOR, seesPrivate, type Viewer } from './access.js';
import { AppError } from './errors.js';
import { searchItems } from './search.js';
import { readableTopic } from './topics.js';

const TOPIC_FEED_ITEMS = 50;

/**
 * An item as the viewer may see it: without a read token, only the public topics that tagged it
 * (and `shown`, the private topic the viewer opened with its key) and only the story's sources
 * that a public topic holds.
 */
export function asSeenBy(viewer: Viewer, shown?: TopicRow): (item: ItemWithTopics) => ItemWithTopics {
  if (seesPrivate(viewer)) return (item) => item;
  return (item) => ({
    ...item,
    topics: item.topics.filter((t) => t.visibility === 'public' || t.slug === shown?.slug),
    sources: item.sources.filter((s) => s.inPublicTopic),
  });
}

/**
 * A page of stored items, newest first, and the cursor of the next page (null at the end). A
 * viewer without a read token sees the items of public topics only.
 */
export async function findItems(
  ctx: AppContext,
  { topic: slug, q, ...filter }: Omit<ItemFilter, 'topicId' | 'publicOnly' | 'keys'> & { topic?: string },
  limit: number,
  cursor: Cursor | null,
  viewer: Viewer,
): Promise<{ items: ItemWithTopics[]; next: Cursor | null }> {
  const topic = slug === undefined ? undefined : await readableTopic(ctx, slug, viewer);
  // Within a topic the viewer may read every item is theirs to see.
  const publicOnly = topic === undefined && !seesPrivate(viewer);
  const scope = { ...filter, topicId: topic?.id, publicOnly };
  if (q !== undefined) {
    // In the rule language, decided by the rule's own matcher (src/app/search.ts).
    const found = await searchItems(ctx, q, scope, limit, cursor);
    return { items: found.items.map(asSeenBy(viewer, topic)), next: found.next };
  }
  // One more than asked: whether there is a next page, without counting.
  const rows = await items.listItems(ctx.db, scope, limit + 1, cursor);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(asSeenBy(viewer, topic)),
    next: rows.length > limit && last ? { sortAt: last.sort_at, id: last.id } : null,
  };
}

/** One item, when the viewer may see it (a public topic holds it, or the viewer reads private ones). */
export async function getItem(ctx: AppContext, id: number, viewer: Viewer): Promise<ItemWithTopics> {
  const item = await items.getItem(ctx.db, id);
  const visible = item && (seesPrivate(viewer) || item.topics.some((t) => t.visibility === 'public'));
  if (!visible) throw new AppError('not_found', `no item ${id}`);
  return asSeenBy(viewer)(item);
}

/** A wrongly grouped item leaves its story for good (grouping never moves it again). */
export async function splitFromStory(ctx: AppContext, id: number): Promise<ItemWithTopics> {
  if (!(await splitItem(ctx.db, id))) throw new AppError('not_found', `no item ${id}`);
  return getItem(ctx, id, OPERATOR);
}

/** A topic and its newest items (one per story unless `stories` is false), as its feeds serve them. */
export async function topicFeed(
  ctx: AppContext,
  slug: string,
  { stories, preferLang }: { stories: boolean; preferLang?: string },
  viewer: Viewer,
): Promise<{ topic: TopicRow; items: ItemWithTopics[] }> {
  const topic = await readableTopic(ctx, slug, viewer);
  const newest = await items.listItems(ctx.db, { topicId: topic.id, stories, preferLang }, TOPIC_FEED_ITEMS, null);
  return { topic, items: newest.map(asSeenBy(viewer, topic)) };
}
