import { pushDeliveries } from '../metrics.js';
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { itemsInTopic } from '../db/items.repository.js';
import { getTopicById, getTopicBySlug } from '../db/topics.repository.js';
import * as subscriptions from '../db/websub.repository.js';
import { FeedError } from '../pipeline/feed-error.js';
import { callOnce } from './push-call.js';
import { jobRequest, type WebSubIntent } from '../queue/job-graph.js';
import { CONTENT_TYPES, hubUrl, renderTopicFeed, type FeedFormat } from '../render/topic-feed.js';
import type { AppContext } from './context.js';
import { mayRead, READER, seesPrivate, type Viewer } from './access.js';
import { acceptUrl, AppError } from './errors.js';
import { parseInput } from './input.js';

/*
 * WebSub (https://www.w3.org/TR/websub/): the hub side. Subscriptions count only once the
 * callback echoed our challenge; new items of a topic go from the ingestion transaction into the
 * push outbox, from there (src/app/fan-out.ts) into one delivery job per subscriber, each retried
 * with backoff.
 */

const DAY = 86400;
const TOPIC_FEED = /\/topics\/([^/]+)\/feed\.(atom|rss|json)$/;

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

/**
 * A subscription request (WebSub §5.1) for one of our topic feeds: checked, then queued for the
 * verification of intent; nothing counts until the callback confirms. A private topic is
 * subscribed with its feed key in hub.topic or by a viewer with a read token; to anyone else it
 * does not exist.
 */
export async function requestSubscription(
  ctx: AppContext,
  input: unknown,
  viewer: Viewer,
): Promise<{ intent: WebSubIntent; slug: string }> {
  const body = parseInput(request, input, 'subscription request');
  const topicUrl = new URL(body['hub.topic']);
  const match = TOPIC_FEED.exec(topicUrl.pathname);
  if (!match) {
    throw new AppError(
      'invalid_request',
      `hub.topic must be a topic feed of this hub (…/topics/<slug>/feed.atom|rss|json), not ${body['hub.topic']}`,
    );
  }
  const slug = decodeSlug(match[1]!);
  const topic = await getTopicBySlug(ctx.db, slug);
  const feedKey = topicUrl.searchParams.get('key') ?? undefined;
  if (!topic || !mayRead(topic, { ...viewer, feedKey })) throw new AppError('not_found', `no topic "${slug}"`);
  const callback = await acceptUrl(ctx.config, body['hub.callback']);
  const intent: WebSubIntent = {
    mode: body['hub.mode'],
    topicId: topic.id,
    topicUrl: topicUrl.href,
    format: match[2] as FeedFormat,
    callback,
    secret: body['hub.secret'] ?? null,
    leaseSeconds: body['hub.lease_seconds'],
    withToken: seesPrivate(viewer),
  };
  await ctx.jobs.enqueue(jobRequest('websub-verify', intent));
  return { intent, slug: topic.slug };
}

/** Verification of intent (WebSub §5.3): GET the callback with a challenge it must echo. */
export async function verifyIntent(ctx: AppContext, intent: WebSubIntent): Promise<boolean> {
  const challenge = randomBytes(18).toString('base64url');
  const url = new URL(intent.callback);
  url.searchParams.set('hub.mode', intent.mode);
  url.searchParams.set('hub.topic', intent.topicUrl);
  url.searchParams.set('hub.challenge', challenge);
  if (intent.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(intent.leaseSeconds));
  const answer = await callOnce(ctx, url.href, { method: 'GET' });
  const wlog = ctx.log.child({ callback: intent.callback, topicUrl: intent.topicUrl, mode: intent.mode });
  if (answer.status < 200 || answer.status >= 300 || answer.body.trim() !== challenge) {
    wlog.info({ status: answer.status }, 'websub intent not confirmed by the callback');
    return false;
  }
  if (intent.mode === 'subscribe') {
    await subscriptions.saveSubscription(ctx.db, {
      topicId: intent.topicId,
      callback: intent.callback,
      topicUrl: intent.topicUrl,
      format: intent.format,
      secret: intent.secret,
      leaseSeconds: intent.leaseSeconds,
      withToken: intent.withToken,
    });
  } else {
    await subscriptions.deleteSubscription(ctx.db, intent.topicId, intent.callback);
  }
  wlog.info({ leaseSeconds: intent.leaseSeconds }, 'websub intent verified');
  return true;
}

/** Content distribution (WebSub §7): POST the new items as the subscribed feed's format, signed when a secret was given. */
export async function deliver(
  ctx: AppContext,
  { subscriptionId, itemIds }: { subscriptionId: number; itemIds: number[] },
): Promise<void> {
  const { db, log } = ctx;
  const sub = await subscriptions.liveSubscription(db, subscriptionId);
  if (!sub) return;
  const topic = await getTopicById(db, sub.topic_id);
  const items = topic ? await itemsInTopic(db, topic.id, itemIds) : [];
  if (!topic || items.length === 0) return;
  const topicUrl = new URL(sub.topic_url);
  const feedKey = topicUrl.searchParams.get('key') ?? undefined;
  if (!mayRead(topic, { principal: sub.with_token ? READER : null, feedKey })) {
    // The topic turned private, or its key was replaced, since this subscription was made.
    await subscriptions.deleteSubscriptionById(db, sub.id);
    log.info({ subscriptionId, topic: topic.slug }, 'websub subscription ended: the topic is private to it now');
    return;
  }
  // Served URLs (entry ids, self, hub) are those of the address the subscriber used.
  const base = `${topicUrl.origin}${topicUrl.pathname.replace(/\/topics\/[^/]+\/feed\.[a-z]+$/, '')}`;
  const body = renderTopicFeed(sub.format, topic, items, base, topic.visibility === 'private' ? feedKey : undefined);
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[sub.format],
    link: `<${hubUrl(base)}>; rel="hub", <${sub.topic_url}>; rel="self"`,
  };
  if (sub.secret) {
    headers['x-hub-signature'] = `sha256=${createHmac('sha256', sub.secret).update(body).digest('hex')}`;
  }
  const answer = await callOnce(ctx, sub.callback, { method: 'POST', headers, body }).catch((err: unknown) => {
    pushDeliveries.inc({ channel: 'websub', result: 'refused' });
    throw err;
  });
  const dlog = log.child({ subscriptionId, callback: sub.callback, topic: topic.slug, items: items.length });
  pushDeliveries.inc({
    channel: 'websub',
    result: answer.status === 410 ? 'gone' : answer.status >= 200 && answer.status < 300 ? 'delivered' : 'refused',
  });
  if (answer.status === 410) {
    await subscriptions.deleteSubscriptionById(db, sub.id);
    dlog.info('websub subscriber gone (410): subscription removed');
    return;
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new FeedError('callback_error', `callback answered HTTP ${answer.status}`, { status: answer.status });
  }
  dlog.debug('websub delivery accepted');
}

/** A topic slug as it appears, percent-encoded, in a topic feed URL; malformed encoding is the caller's error. */
function decodeSlug(encoded: string): string {
  let slug: string;
  try {
    slug = decodeURIComponent(encoded);
  } catch {
    throw new AppError('invalid_request', `hub.topic: malformed percent-encoding in the topic slug "${encoded}"`);
  }
  if (slug.includes('\0')) throw new AppError('invalid_request', 'hub.topic: NUL characters are not accepted');
  return slug;
}
