import { Router } from 'express';
import { createTopic, getTopic, listTopics, previewRule, removeTopic, updateTopic } from '../../app/topics.js';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { itemToDto, topicToDto } from '../dto.js';

/** /api/v1/topics: topics and their rules. Each handler calls one use case and maps its result. */
export function topicsRouter(ctx: ApiDeps): Router {
  const write = requireScope(ctx, 'write');
  const r = Router();

  r.get('/', async (_req, res) => {
    res.json({ topics: (await listTopics(ctx)).map(topicToDto) });
  });

  r.post('/', write, async (req, res) => {
    res.status(201).json({ topic: topicToDto(await createTopic(ctx, req.body)) });
  });

  // Before /:slug, so that "preview" is not read as a slug.
  r.post('/preview', write, async (req, res) => {
    const { examined, matches } = await previewRule(ctx, req.body);
    res.json({
      examined,
      matched: matches.length,
      matches: matches.map((m) => ({ item: itemToDto(m.item), terms: m.terms })),
    });
  });

  r.get('/:slug', async (req, res) => {
    res.json({ topic: topicToDto(await getTopic(ctx, String(req.params.slug))) });
  });

  r.put('/:slug', write, async (req, res) => {
    res.json({ topic: topicToDto(await updateTopic(ctx, String(req.params.slug), req.body)) });
  });

  r.delete('/:slug', write, async (req, res) => {
    await removeTopic(ctx, String(req.params.slug));
    res.status(204).end();
  });

  return r;
}
