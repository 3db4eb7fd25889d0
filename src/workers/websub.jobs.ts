import { createHmac, randomBytes } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { CONTENT_TYPES, hubUrl, renderTopicFeed } from '../api/render-topic-feed.js';
import { itemsInTopic } from '../db/items.repository.js';
import { getTopicById } from '../db/topics.repository.js';
import {
  deleteSubscription,
  deleteSubscriptionById,
  drainOutbox,
  liveSubscription,
  liveSubscriptionIds,
  saveSubscription,
} from '../db/websub.repository.js';
import { fetchOptions } from '../fetch-options.js';
import { FetchError } from '../pipeline/fetch-feed.js';
import { enqueue, type WebSubIntent } from '../queue/queues.js';
import { callCallback } from '../websub/callback.js';
import type { WorkerDeps } from './deps.js';

/*
 * WebSub (https://www.w3.org/TR/websub/): the hub side. Subscriptions count only once the
 * callback echoed our challenge; new items of a topic go from the ingestion transaction into an
 * outbox, from there into one delivery job per subscriber, each retried with backoff.
 */

// Delivery retries: 8 attempts, WEBSUB_RETRY_MS doubling (by default the last ~1 h after the first).
const DELIVERY_ATTEMPTS = 8;
const FANOUT_BATCH = 100;

/** A callback request whose failure BullMQ retries only when trying again can help (not a refused address). */
async function callOnce(url: string, request: Parameters<typeof callCallback>[1], config: WorkerDeps['config']) {
  try {
    return await callCallback(url, request, fetchOptions(config));
  } catch (err) {
    if (err instanceof FetchError && !err.retryable) throw new UnrecoverableError(err.message);
    throw err;
  }
}

/** Verification of intent (WebSub §5.3): GET the callback with a challenge it must echo. */
export async function verifyIntent(intent: WebSubIntent, { db, config, log }: WorkerDeps): Promise<void> {
  const challenge = randomBytes(18).toString('base64url');
  const url = new URL(intent.callback);
  url.searchParams.set('hub.mode', intent.mode);
  url.searchParams.set('hub.topic', intent.topicUrl);
  url.searchParams.set('hub.challenge', challenge);
  if (intent.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(intent.leaseSeconds));
  const answer = await callOnce(url.href, { method: 'GET' }, config);
  const wlog = log.child({ callback: intent.callback, topicUrl: intent.topicUrl, mode: intent.mode });
  if (answer.status < 200 || answer.status >= 300 || answer.body.trim() !== challenge) {
    wlog.info({ status: answer.status }, 'websub intent not confirmed by the callback');
    return;
  }
  if (intent.mode === 'subscribe') {
    await saveSubscription(db, {
      topicId: intent.topicId,
      callback: intent.callback,
      topicUrl: intent.topicUrl,
      format: intent.format,
      secret: intent.secret,
      leaseSeconds: intent.leaseSeconds,
    });
  } else {
    await deleteSubscription(db, intent.topicId, intent.callback);
  }
  wlog.info({ leaseSeconds: intent.leaseSeconds }, 'websub intent verified');
}

/**
 * Turns outbox entries into delivery jobs, one per live subscriber. The job id names the entry
 * and the subscriber, so an entry handed out twice (a crash before its deletion) is queued once.
 */
export async function fanOut(_data: Record<string, never>, { db, queues, config }: WorkerDeps): Promise<void> {
  const retries = { attempts: DELIVERY_ATTEMPTS, backoff: { type: 'exponential', delay: config.WEBSUB_RETRY_MS } };
  for (;;) {
    const taken = await drainOutbox(db, FANOUT_BATCH, async (entries) => {
      for (const entry of entries) {
        for (const subscriptionId of await liveSubscriptionIds(db, entry.topicId)) {
          await enqueue(queues, 'websub-deliver', { subscriptionId, itemIds: entry.itemIds }, undefined, 0, {
            jobId: `deliver-${entry.id}-${subscriptionId}`,
            ...retries,
          });
        }
      }
    });
    if (taken < FANOUT_BATCH) return;
  }
}

/** Content distribution (WebSub §7): POST the new items as the subscribed feed's format, signed when a secret was given. */
export async function deliver(
  { subscriptionId, itemIds }: { subscriptionId: number; itemIds: number[] },
  { db, config, log }: WorkerDeps,
): Promise<void> {
  const sub = await liveSubscription(db, subscriptionId);
  if (!sub) return;
  const topic = await getTopicById(db, sub.topic_id);
  const items = topic ? await itemsInTopic(db, topic.id, itemIds) : [];
  if (!topic || items.length === 0) return;
  // Served URLs (entry ids, self, hub) are those of the address the subscriber used.
  const base = sub.topic_url.replace(/\/topics\/[^/]+\/feed\.[a-z]+$/, '');
  const body = renderTopicFeed(sub.format, topic, items, base);
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[sub.format],
    link: `<${hubUrl(base)}>; rel="hub", <${sub.topic_url}>; rel="self"`,
  };
  if (sub.secret) headers['x-hub-signature'] = `sha256=${createHmac('sha256', sub.secret).update(body).digest('hex')}`;
  const answer = await callOnce(sub.callback, { method: 'POST', headers, body }, config);
  const dlog = log.child({ subscriptionId, callback: sub.callback, topic: topic.slug, items: items.length });
  if (answer.status === 410) {
    await deleteSubscriptionById(db, sub.id);
    dlog.info('websub subscriber gone (410): subscription removed');
    return;
  }
  if (answer.status < 200 || answer.status >= 300)
    throw new FetchError(`callback answered HTTP ${answer.status}`, 'callback_error', true, null, answer.status);
  dlog.debug('websub delivery accepted');
}
