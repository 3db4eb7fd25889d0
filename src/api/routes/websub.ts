import express, { Router } from 'express';
import { z } from 'zod';
import { getTopicBySlug } from '../../db/topics.repository.js';
import { addressPolicy } from '../../fetch-options.js';
import { enqueue } from '../../queue/queues.js';
import type { ApiDeps } from '../deps.js';
import { acceptUrl } from '../feed-url.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const DAY = 86_400;
const request = z.object({
  'hub.mode': z.enum(['subscribe', 'unsubscribe']),
  'hub.topic': z.string().url('an absolute URL of a topic feed of this hub').max(2000),
  'hub.callback': z.string().url('an absolute http(s) URL').max(2000),
  // WebSub §5.1: the hub chooses the lease; asked-for values are clamped to 1 hour – 30 days.
  'hub.lease_seconds': z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .transform((v) => Math.min(30 * DAY, Math.max(3600, v ?? 10 * DAY))),
  'hub.secret': z
    .string()
    .min(1)
    .refine((s) => Buffer.byteLength(s) < 200, 'under 200 bytes (WebSub §5.1)')
    .optional(),
});
const TOPIC_FEED = /\/topics\/([^/]+)\/feed\.(atom|rss|json)$/;

/**
 * POST /websub: a WebSub subscription request (form-encoded, WebSub §5.1), for one of our topic
 * feeds. Answered 202 at once; the intent is then verified with the callback (websub-verify job)
 * and only a callback that echoes the challenge is subscribed, or unsubscribed.
 */
export function websubRouter({ db, queues, config }: ApiDeps): Router {
  const r = Router();
  r.post('/', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = validate(request, req.body, 'body');
    const topicUrl = new URL(body['hub.topic']);
    const match = TOPIC_FEED.exec(topicUrl.pathname);
    if (!match)
      throw new HttpError(
        400,
        'invalid_topic',
        `hub.topic must be a topic feed of this hub (…/topics/<slug>/feed.atom|rss|json), not ${body['hub.topic']}`,
      );
    const topic = await getTopicBySlug(db, decodeURIComponent(match[1]!));
    if (!topic) throw new HttpError(404, 'not_found', `no topic "${decodeURIComponent(match[1]!)}"`);
    const callback = await acceptUrl(body['hub.callback'], addressPolicy(config));
    await enqueue(queues, 'websub-verify', {
      mode: body['hub.mode'],
      topicId: topic.id,
      topicUrl: topicUrl.href,
      format: match[2] as 'atom' | 'rss' | 'json',
      callback: callback.href,
      secret: body['hub.secret'] ?? null,
      leaseSeconds: body['hub.lease_seconds'],
    });
    res.status(202).json({
      accepted: body['hub.mode'],
      topic: topic.slug,
      callback: callback.href,
      leaseSeconds: body['hub.lease_seconds'],
    });
  });
  return r;
}
