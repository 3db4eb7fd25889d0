import { z } from 'zod';
import { feedLabels } from '../db/feeds.repository.js';
import {
  itemsAfter,
  firstItemStoredSince,
  itemsFrom,
  listItemRows,
  matchableItem,
  withTopicsAndSources,
  type ItemWithTopics,
} from '../db/items.repository.js';
import type { TopicRow } from '../db/schema.js';
import * as topics from '../db/topics.repository.js';
import { FOLLOW_UPS } from '../queue/job-graph.js';
import { compileTopics, matchItem, type MatchedTerm } from '../rules/compile.js';
import { parseRule, RuleSyntaxError, type RuleNode } from '../rules/parse.js';
import { followUp, type AppContext } from './context.js';
import { mayRead, newFeedKey, OPERATOR, seesPrivate, type Viewer } from './access.js';
import { AppError } from './errors.js';
import { parseInput } from './input.js';

const SLUG = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", at most 63');
const name = z.string().trim().min(1, 'the name is empty').max(200);
const rule = z.string().trim().min(1, 'the rule is empty').max(4000);
const visibility = z.enum(['public', 'private']);
const topicInput = z.object({ slug: SLUG, name, rule, visibility: visibility.default('public') });
// Visibility left out of a change stays as it is.
const topicChange = z.object({ name, rule, visibility: visibility.optional() });

/** A rule's syntax tree, or an invalid_rule error that points at the position of the mistake. */
export function ruleTree(text: string, what = 'rule'): RuleNode {
  try {
    return parseRule(text);
  } catch (err) {
    if (err instanceof RuleSyntaxError) {
      throw new AppError('invalid_rule', `${what}: ${err.message}`, { position: err.position });
    }
    throw err;
  }
}
const checkRule = (text: string) => void ruleTree(text);

/** The topics the viewer may read: all of them with a `read` token, else the public ones. */
export async function listTopics(ctx: AppContext, viewer: Viewer): Promise<TopicRow[]> {
  return topics.listTopics(ctx.db, { publicOnly: !seesPrivate(viewer) });
}

/** Topics with their recent counts and newest item (the web app's home page). */
export async function listTopicsWithStats(
  ctx: AppContext,
  viewer: Viewer,
): Promise<{ topic: TopicRow; stats: topics.TopicStats }[]> {
  const list = await listTopics(ctx, viewer);
  const stats = await topics.topicStats(
    ctx.db,
    list.map((t) => t.id),
  );
  return list.map((topic) => ({ topic, stats: stats.get(topic.id) ?? { today: 0, week: 0, latest: null } }));
}

/** A topic the viewer may read, its slug checked; a private one is absent to anyone else. */
export async function getTopic(ctx: AppContext, slug: string, viewer: Viewer): Promise<TopicRow> {
  return readableTopic(ctx, parseInput(SLUG, slug, 'slug'), viewer);
}

/** A topic by slug as the viewer may read it: a private one (or none) is not_found. */
export async function readableTopic(ctx: AppContext, slug: string, viewer: Viewer): Promise<TopicRow> {
  const topic = await topics.getTopicBySlug(ctx.db, slug);
  if (!topic || !mayRead(topic, viewer)) throw new AppError('not_found', `no topic "${slug}"`);
  return topic;
}

/** Replaces a topic's feed key: addresses with the old one stop working at once. */
export async function replaceFeedKey(ctx: AppContext, slug: string): Promise<TopicRow> {
  const topic = await topics.replaceFeedKey(ctx.db, parseInput(SLUG, slug, 'slug'), newFeedKey());
  if (!topic) throw new AppError('not_found', `no topic "${slug}"`);
  ctx.log.info({ topic: topic.slug }, 'topic feed key replaced');
  return topic;
}

/** A new topic; its rule is then applied to the stored items by a retag-topic job. */
export async function createTopic(ctx: AppContext, input: unknown): Promise<TopicRow> {
  const fields = parseInput(topicInput, input, 'topic');
  checkRule(fields.rule);
  const topic = await topics.createTopic(ctx.db, { ...fields, feed_key: newFeedKey() });
  if (!topic) throw new AppError('conflict', `topic "${fields.slug}" exists already`);
  await followUp(ctx, FOLLOW_UPS.afterTopicChange(topic), { topic: topic.slug });
  return topic;
}

/** A topic's name and rule; a changed rule is applied to the stored items again. */
export async function updateTopic(ctx: AppContext, slug: string, input: unknown): Promise<TopicRow> {
  const fields = parseInput(topicChange, input, 'topic');
  checkRule(fields.rule);
  const before = await getTopic(ctx, slug, OPERATOR);
  const topic = await topics.updateTopic(ctx.db, before.slug, fields);
  if (!topic) throw new AppError('not_found', `no topic "${slug}"`);
  if (topic.version !== before.version) await followUp(ctx, FOLLOW_UPS.afterTopicChange(topic), { topic: slug });
  return topic;
}

export async function removeTopic(ctx: AppContext, slug: string): Promise<void> {
  if (!(await topics.deleteTopic(ctx.db, parseInput(SLUG, slug, 'slug')))) {
    throw new AppError('not_found', `no topic "${slug}"`);
  }
}

const previewInput = z.object({ rule, limit: z.number().int().min(1).max(1000).default(200) });

/** Which of the newest stored items a rule would match, with the terms that matched; nothing is saved. */
export async function previewRule(
  ctx: AppContext,
  input: unknown,
): Promise<{ examined: number; matches: { item: ItemWithTopics; terms: readonly MatchedTerm[] }[] }> {
  const { rule: text, limit } = parseInput(previewInput, input, 'preview');
  checkRule(text);
  const matcher = compileTopics([{ id: 0, slug: 'preview', rule: text }]);
  // The newest items as rows; only the matches are given their topics and story sources.
  const recent = await listItemRows(ctx.db, {}, limit, null);
  const feeds = await feedLabels(
    ctx.db,
    recent.map((r) => r.feed_id),
  );
  const matched = recent.flatMap((row) => {
    const [m] = matchItem(matcher, matchableItem(row, feeds.get(row.feed_id)?.title ?? ''));
    return m ? [{ row, terms: m.terms }] : [];
  });
  const items = await withTopicsAndSources(
    ctx.db,
    matched.map((m) => m.row),
  );
  return { examined: recent.length, matches: matched.map((m, k) => ({ item: items[k]!, terms: m.terms })) };
}

const RETAG_BATCH = 500;

/**
 * Applies one topic's rule to the stored items of the window, in batches by id (the retag-topic
 * job, and `cli retag`). Each batch replaces that topic's tags of its items, so running it again
 * (after a crash, or twice) gives the same tags. It stops when the topic's rule changes again
 * (the newer job takes over) or the topic is deleted. Returns the items examined. The job reads
 * the items stored before the rule was set; `everyItem` (the CLI's) reads the later ones too.
 */
export async function retagTopic(
  { db, log, config }: Pick<AppContext, 'db' | 'log' | 'config'>,
  { topicId, version, everyItem = false }: { topicId: number; version: number; everyItem?: boolean },
  onProgress: (itemsDone: number) => void | Promise<void> = () => {},
): Promise<number> {
  const topic = await topics.getTopicRule(db, topicId);
  if (!topic || topic.version !== version) return 0;
  const matcher = compileTopics([topic]);
  const since = new Date(Date.now() - config.RETAG_WINDOW_DAYS * 86400_000);
  // The window's items from the first stored in it on (older ones are not read at all), each
  // still checked against `since`.
  const first = await firstItemStoredSince(db, since);
  // Items stored after the rule was set were tagged by it then: they are not read again (a topic
  // made before an ingest has nothing to re-tag however long the ingest runs).
  const through = everyItem ? null : topic.retag_through_id;
  let afterId = first - 1;
  let done = 0;
  // How many there are to go through, for progress shown as done of total.
  await topics.setRetagProgress(db, topicId, version, 'running', 0, await itemsFrom(db, first, through));
  for (;;) {
    const batch = await itemsAfter(db, afterId, through, since, RETAG_BATCH);
    if (batch.length === 0) break;
    const tags = batch.flatMap((item) =>
      matchItem(matcher, matchableItem(item, item.feed_title)).map((m) => ({
        itemId: item.id,
        topicId,
        sortAt: item.sort_at,
        terms: m.terms,
      })),
    );
    // Under the topics lock and for this job's version only: a topic changed or deleted since gets
    // no tags from the old rule (the newer job writes its own; a deleted topic failed the job on
    // the foreign key).
    const current = await db.transaction().execute(async (trx) => {
      await topics.lockTopicsShared(trx);
      if ((await topics.getTopicRule(trx, topicId))?.version !== version) return false;
      await topics.replaceItemTags(
        trx,
        batch.map((i) => i.id),
        tags,
        topicId,
      );
      return true;
    });
    if (!current) return done;
    afterId = batch[batch.length - 1]!.id;
    done += batch.length;
    await topics.setRetagProgress(db, topicId, version, 'running', done);
    await onProgress(done);
  }
  await topics.setRetagProgress(db, topicId, version, 'done', done, done);
  log.info({ topicId, items: done }, 'topic re-tagged');
  return done;
}
