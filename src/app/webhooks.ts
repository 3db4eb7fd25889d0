import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { itemsInTopic } from '../db/items.repository.js';
import type { TopicRow, WebhookRow } from '../db/schema.js';
import { getTopicById } from '../db/topics.repository.js';
import * as webhooks from '../db/webhooks.repository.js';
import { pushDeliveries } from '../metrics.js';
import { FeedError, isFeedError } from '../pipeline/feed-error.js';
import { itemToDto } from '../render/item-json.js';
import { OPERATOR } from './access.js';
import type { AppContext } from './context.js';
import { acceptUrl, AppError } from './errors.js';
import { parseInput, rowId } from './input.js';
import { callOnce, FinalDeliveryError } from './push-call.js';
import { getTopic } from './topics.js';

/*
 * Plain webhooks of a topic (besides WebSub): its new stories POSTed as JSON, signed with
 * HMAC-SHA256 over "<timestamp>.<body>", retried with backoff, disabled after WEBHOOK_MAX_FAILURES
 * failed attempts in a row (or at once on 410 Gone or a refused address), with the reason kept
 * on the webhook. docs/api.md, "Webhooks".
 */

const SECRET_PREFIX = 'whsec_';
const webhookInput = z.object({
  url: z.string().max(2000),
  secret: z.string().min(16, 'at least 16 characters').max(200).optional(),
});

/** A new webhook; its secret (given, or made here) is in the answer this once. */
export async function createWebhook(
  ctx: AppContext,
  slug: string,
  input: unknown,
): Promise<{ webhook: WebhookRow; secret: string }> {
  const fields = parseInput(webhookInput, input, 'webhook');
  const topic = await getTopic(ctx, slug, OPERATOR);
  const url = await acceptUrl(ctx.config, fields.url);
  const secret = fields.secret ?? SECRET_PREFIX + randomBytes(24).toString('base64url');
  const webhook = await webhooks.insertWebhook(ctx.db, { topicId: topic.id, url, secret });
  if (!webhook) throw new AppError('conflict', `topic "${topic.slug}" has a webhook to ${url} already`);
  ctx.log.info({ topic: topic.slug, webhookId: webhook.id }, 'webhook added');
  return { webhook, secret };
}

export async function listWebhooks(ctx: AppContext, slug: string): Promise<WebhookRow[]> {
  return webhooks.listWebhooks(ctx.db, (await getTopic(ctx, slug, OPERATOR)).id);
}

export async function removeWebhook(ctx: AppContext, slug: string, idText: unknown): Promise<void> {
  const topic = await getTopic(ctx, slug, OPERATOR);
  const id = parseInput(rowId, idText, 'id');
  if (!(await webhooks.deleteWebhook(ctx.db, topic.id, id))) throw new AppError('not_found', `no webhook ${id}`);
}

/** Enables a disabled webhook again (its failures forgotten); later stories go to it. */
export async function enableWebhook(ctx: AppContext, slug: string, idText: unknown): Promise<WebhookRow> {
  const topic = await getTopic(ctx, slug, OPERATOR);
  const id = parseInput(rowId, idText, 'id');
  const webhook = await webhooks.enableWebhook(ctx.db, topic.id, id);
  if (!webhook) throw new AppError('not_found', `no webhook ${id}`);
  return webhook;
}

/** The JSON a webhook receives; `text` (Slack) and `content` (Discord) say it in a line per story. */
export function webhookBody(topic: TopicRow, stories: ReturnType<typeof itemToDto>[]): string {
  const lines = stories.map((s) => `• ${s.title || s.url}${s.url ? ` ${s.url}` : ''}`);
  const text = `${stories.length === 1 ? 'A new story' : `${stories.length} new stories`} in ${topic.name}:\n${lines.join('\n')}`;
  return JSON.stringify({
    topic: { slug: topic.slug, name: topic.name },
    stories,
    text,
    // Discord takes at most 2,000 characters.
    content: text.length > 2000 ? `${text.slice(0, 1999)}…` : text,
  });
}

/** The signature header's value: HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * One delivery (the webhook-deliver job): the new stories POSTed, signed. A 2xx counts; anything
 * else is a failed attempt, recorded, and retried by the job unless the webhook got disabled.
 */
export async function deliverWebhook(
  ctx: AppContext,
  { webhookId, entryId, itemIds }: { webhookId: number; entryId: number; itemIds: number[] },
): Promise<void> {
  const { db, log, config } = ctx;
  const hook = await webhooks.getWebhook(db, webhookId);
  if (!hook?.enabled) return;
  const topic = await getTopicById(db, hook.topic_id);
  // Oldest first, as they were stored; items removed since are left out.
  const stories = topic ? (await itemsInTopic(db, topic.id, itemIds)).reverse() : [];
  if (!topic || stories.length === 0) return;
  const body = webhookBody(topic, stories.map(itemToDto));
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers = {
    'content-type': 'application/json',
    'x-topicwire-event': 'stories',
    // The same delivery retried carries the same id: receivers can drop repeats.
    'x-topicwire-delivery': `${entryId}-${webhookId}`,
    'x-topicwire-timestamp': timestamp,
    'x-topicwire-signature': webhookSignature(hook.secret, timestamp, body),
  };
  const hlog = log.child({ webhookId, topic: topic.slug, stories: stories.length });
  let status: number | null = null;
  let error: string;
  let final = false;
  try {
    const answer = await callOnce(ctx, hook.url, { method: 'POST', headers, body });
    status = answer.status;
    if (status >= 200 && status < 300) {
      await webhooks.recordWebhookSuccess(db, webhookId, status);
      pushDeliveries.inc({ channel: 'webhook', result: 'delivered' });
      hlog.debug('webhook delivery accepted');
      return;
    }
    final = status === 410;
    error = final ? 'the receiver answered 410 Gone' : `the receiver answered HTTP ${status}`;
  } catch (err) {
    final = err instanceof FinalDeliveryError;
    if (!final && !isFeedError(err)) throw err; // our own trouble: retried, not counted against the webhook
    error = (err as Error).message;
  }
  pushDeliveries.inc({ channel: 'webhook', result: final && status === 410 ? 'gone' : 'refused' });
  const after = await webhooks.recordWebhookFailure(db, webhookId, {
    status,
    error,
    maxFailures: config.WEBHOOK_MAX_FAILURES,
    final,
  });
  if (!after?.enabled) {
    hlog.warn({ reason: after?.disabled_reason }, 'webhook disabled');
    return;
  }
  hlog.info({ status, err: error, failures: after.failures }, 'webhook delivery failed; it will be retried');
  throw new FeedError('callback_error', error, status === null ? {} : { status });
}
