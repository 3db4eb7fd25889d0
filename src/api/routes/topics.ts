import { Router } from 'express';
import { z } from 'zod';
import { listFeeds } from '../../db/feeds.repository.js';
import { listItems, matchableItem } from '../../db/items.repository.js';
import { createTopic, deleteTopic, getTopicBySlug, listTopics, updateTopic } from '../../db/topics.repository.js';
import { compileTopics, matchItem } from '../../rules/compile.js';
import { parseRule, RuleSyntaxError } from '../../rules/parse.js';
import { enqueue } from '../../queue/queues.js';
import { requireToken } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { itemToDto, topicToDto } from '../dto.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const slugParam = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", at most 63'),
});
const ruleField = z.string().trim().min(1, 'the rule is empty').max(4000);
const createBody = z.object({ slug: slugParam.shape.slug, name: z.string().trim().min(1).max(200), rule: ruleField });
const updateBody = z.object({ name: z.string().trim().min(1).max(200), rule: ruleField });
const previewBody = z.object({ rule: ruleField, limit: z.number().int().min(1).max(1000).default(200) });

export function topicsRouter(deps: ApiDeps): Router {
  const { db, queues, config } = deps;
  const write = requireToken(config.API_TOKEN);
  const r = Router();

  r.get('/', async (_req, res) => {
    res.json({ topics: (await listTopics(db)).map(topicToDto) });
  });

  r.post('/', write, async (req, res) => {
    const body = validate(createBody, req.body, 'body');
    checkRule(body.rule);
    const topic = await createTopic(db, body);
    if (!topic) throw new HttpError(409, 'conflict', `topic "${body.slug}" exists already`);
    await enqueue(
      queues,
      'retag-topic',
      { topicId: topic.id, version: topic.version },
      `retag:${topic.id}:${topic.version}`,
    );
    res.status(201).json({ topic: topicToDto(topic) });
  });

  // Before /:slug, so that "preview" is not read as a slug.
  r.post('/preview', write, async (req, res) => {
    const { rule, limit } = validate(previewBody, req.body, 'body');
    checkRule(rule);
    const matcher = compileTopics([{ id: 0, slug: 'preview', rule }]);
    const recent = await listItems(db, {}, limit, null);
    const feedTitles = new Map((await listFeeds(db)).map((f) => [f.id, f.title]));
    const matches = recent.flatMap((item) => {
      const [m] = matchItem(matcher, matchableItem(item, feedTitles.get(item.feed_id) ?? ''));
      return m ? [{ item: itemToDto(item), terms: m.terms }] : [];
    });
    res.json({ examined: recent.length, matched: matches.length, matches });
  });

  r.get('/:slug', async (req, res) => {
    const { slug } = validate(slugParam, req.params, 'path');
    const topic = await getTopicBySlug(db, slug);
    if (!topic) throw new HttpError(404, 'not_found', `no topic "${slug}"`);
    res.json({ topic: topicToDto(topic) });
  });

  r.put('/:slug', write, async (req, res) => {
    const { slug } = validate(slugParam, req.params, 'path');
    const body = validate(updateBody, req.body, 'body');
    checkRule(body.rule);
    const before = await getTopicBySlug(db, slug);
    const topic = await updateTopic(db, slug, body);
    if (!before || !topic) throw new HttpError(404, 'not_found', `no topic "${slug}"`);
    if (topic.version !== before.version) {
      await enqueue(
        queues,
        'retag-topic',
        { topicId: topic.id, version: topic.version },
        `retag:${topic.id}:${topic.version}`,
      );
    }
    res.json({ topic: topicToDto(topic) });
  });

  r.delete('/:slug', write, async (req, res) => {
    const { slug } = validate(slugParam, req.params, 'path');
    if (!(await deleteTopic(db, slug))) throw new HttpError(404, 'not_found', `no topic "${slug}"`);
    res.status(204).end();
  });

  return r;
}

function checkRule(rule: string): void {
  try {
    parseRule(rule);
  } catch (err) {
    if (err instanceof RuleSyntaxError) {
      throw new HttpError(400, 'invalid_rule', `rule: ${err.message}`, { position: err.position });
    }
    throw err;
  }
}
