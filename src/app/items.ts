import { isStatementTimeout } from '../db/database.js';
import * as items from '../db/items.repository.js';
import type { Cursor, ItemFilter, ItemWithTopics } from '../db/items.repository.js';
import type { TopicRow } from '../db/schema.js';
import { splitItem } from '../db/stories.repository.js';
import { getTopicBySlug } from '../db/topics.repository.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';

const TOPIC_FEED_ITEMS = 50;

async function topicBySlug(ctx: AppContext, slug: string): Promise<TopicRow> {
  const topic = await getTopicBySlug(ctx.db, slug);
  if (!topic) throw new AppError('not_found', `no topic "${slug}"`);
  return topic;
}

/** A page of stored items, newest first, and the cursor of the next page (null at the end). */
export async function findItems(
  ctx: AppContext,
  { topic, ...filter }: Omit<ItemFilter, 'topicId'> & { topic?: string },
  limit: number,
  cursor: Cursor | null,
): Promise<{ items: ItemWithTopics[]; next: Cursor | null }> {
  const topicId = topic === undefined ? undefined : (await topicBySlug(ctx, topic)).id;
  // One more than asked: whether there is a next page, without counting.
  const rows = await items
    .listItems(ctx.db, { ...filter, topicId }, limit + 1, cursor, { searchTimeoutMs: ctx.config.SEARCH_TIMEOUT_MS })
    .catch((err: unknown) => {
      if (!isStatementTimeout(err)) throw err;
      throw new AppError(
        'too_costly',
        `the search took longer than ${ctx.config.SEARCH_TIMEOUT_MS} ms; narrow it (a topic, a feed, a time range, rarer words)`,
      );
    });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, next: rows.length > limit && last ? { sortAt: last.sort_at, id: last.id } : null };
}

export async function getItem(ctx: AppContext, id: number): Promise<ItemWithTopics> {
  const item = await items.getItem(ctx.db, id);
  if (!item) throw new AppError('not_found', `no item ${id}`);
  return item;
}

/** A wrongly grouped item leaves its story for good (grouping never moves it again). */
export async function splitFromStory(ctx: AppContext, id: number): Promise<ItemWithTopics> {
  if (!(await splitItem(ctx.db, id))) throw new AppError('not_found', `no item ${id}`);
  return getItem(ctx, id);
}

/** A topic and its newest items (one per story unless `stories` is false), as its feeds serve them. */
export async function topicFeed(
  ctx: AppContext,
  slug: string,
  { stories, preferLang }: { stories: boolean; preferLang?: string },
): Promise<{ topic: TopicRow; items: ItemWithTopics[] }> {
  const topic = await topicBySlug(ctx, slug);
  const newest = await items.listItems(ctx.db, { topicId: topic.id, stories, preferLang }, TOPIC_FEED_ITEMS, null);
  return { topic, items: newest };
}
