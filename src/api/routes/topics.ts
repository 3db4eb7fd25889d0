import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../validate.js';
import {
  createTopic,
  getTopic,
  listTopics,
  listTopicsWithStats,
  previewRule,
  removeTopic,
  replaceFeedKey,
  updateTopic,
} from '../../app/topics.js';
import { requireScope, viewerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { createWebhook, enableWebhook, listWebhooks, removeWebhook } from '../../app/webhooks.js';
import { itemToDto, topicToDto, webhookToDto } from '../dto.js';

const listQuery = z
  .object({
    stats: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

/** /api/v1/topics: topics and their rules. Each handler calls one use case and maps its result. */
export function topicsRouter(ctx: ApiDeps): Router {
  const write = requireScope(ctx, 'write');
  const r = Router();

  // Without a read token: the public topics only.
  // ?stats=true: each with its counts of the last day and week and its newest item.
  r.get('/', async (req, res) => {
    const viewer = await viewerOf(ctx, req);
    const { stats } = validate(listQuery, req.query, 'query');
    if (!stats) {
      res.json({ topics: (await listTopics(ctx, viewer)).map((t) => topicToDto(t, viewer)) });
      return;
    }
    const rows = await listTopicsWithStats(ctx, viewer);
    res.json({
      topics: rows.map(({ topic, stats: s }) => ({
        ...topicToDto(topic, viewer),
        stats: { ...s, latest: s.latest && { ...s.latest, at: s.latest.at.toISOString() } },
      })),
    });
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

  // Webhooks: the topic's new stories POSTed as signed JSON (docs/api.md, "Webhooks"). Their URLs
  // often hold a secret of the receiver (Slack's, Discord's): writers only.
  r.get('/:slug/webhooks', write, async (req, res) => {
    res.json({ webhooks: (await listWebhooks(ctx, String(req.params.slug))).map(webhookToDto) });
  });

  r.post('/:slug/webhooks', write, async (req, res) => {
    const { webhook, secret } = await createWebhook(ctx, String(req.params.slug), req.body);
    res.status(201).json({ webhook: webhookToDto(webhook), secret });
  });

  r.delete('/:slug/webhooks/:id', write, async (req, res) => {
    await removeWebhook(ctx, String(req.params.slug), req.params.id);
    res.status(204).end();
  });

  r.post('/:slug/webhooks/:id/enable', write, async (req, res) => {
    res.json({ webhook: webhookToDto(await enableWebhook(ctx, String(req.params.slug), req.params.id)) });
  });

  return r;
}
