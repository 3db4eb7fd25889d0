import { Router } from 'express';
import {
  createTopic,
  getTopic,
  listTopics,
  previewRule,
  removeTopic,
  replaceFeedKey,
  updateTopic,
} from '../../app/topics.js';
import { requireScope, viewerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { itemToDto, topicToDto } from '../dto.js';

/** /api/v1/topics: topics and their rules. Each handler calls one use case and maps its result. */
export function topicsRouter(ctx: ApiDeps): Router {
  const write = requireScope(ctx, 'write');
  const r = Router();

  // Without a read token: the public topics only.
  r.get('/', async (req, res) => {
    const viewer = await viewerOf(ctx, req);
    res.json({ topics: (await listTopics(ctx, viewer)).map((t) => topicToDto(t, viewer)) });
  });

  r.post('/', write, async (req, res) => {
    res.status(201).json({ topic: topicToDto(await createTopic(ctx, req.body), await viewerOf(ctx, req)) });
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
    const viewer = await viewerOf(ctx, req);
    res.json({ topic: topicToDto(await getTopic(ctx, String(req.params.slug), viewer), viewer) });
  });

  r.put('/:slug', write, async (req, res) => {
    const topic = await updateTopic(ctx, String(req.params.slug), req.body);
    res.json({ topic: topicToDto(topic, await viewerOf(ctx, req)) });
  });

  r.delete('/:slug', write, async (req, res) => {
    await removeTopic(ctx, String(req.params.slug));
    res.status(204).end();
  });

  // Revokes the feed key (addresses that carry it stop working) and answers the topic with the new one.
  r.post('/:slug/feed-key', write, async (req, res) => {
    res.json({ topic: topicToDto(await replaceFeedKey(ctx, String(req.params.slug)), await viewerOf(ctx, req)) });
  });

  return r;
}
