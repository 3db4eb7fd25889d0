import { sql } from 'kysely';
import type { Db } from './database.js';
import type { FeedFormatName, WebSubSubscriptionRow } from './schema.js';

export interface VerifiedSubscription {
  topicId: number;
  callback: string;
  topicUrl: string;
  format: FeedFormatName;
  secret: string | null;
  leaseSeconds: number;
  withToken: boolean;
}

/** Stores a subscription whose intent was verified, or renews it (new lease, secret, format). */
export async function saveSubscription(db: Db, s: VerifiedSubscription): Promise<WebSubSubscriptionRow> {
  const expiresAt = sql<Date>`now() + make_interval(secs => ${s.leaseSeconds})`;
  return db
    .insertInto('websub_subscriptions')
    .values({
      topic_id: s.topicId,
      callback: s.callback,
      topic_url: s.topicUrl,
      format: s.format,
      secret: s.secret,
      lease_seconds: s.leaseSeconds,
      with_token: s.withToken,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc.columns(['topic_id', 'callback']).doUpdateSet({
        topic_url: s.topicUrl,
        format: s.format,
        secret: s.secret,
        lease_seconds: s.leaseSeconds,
        with_token: s.withToken,
        expires_at: expiresAt,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSubscription(db: Db, topicId: number, callback: string): Promise<void> {
  await db
    .deleteFrom('websub_subscriptions')
    .where('topic_id', '=', topicId)
    .where('callback', '=', callback)
    .execute();
}

export async function deleteSubscriptionById(db: Db, id: number): Promise<void> {
  await db.deleteFrom('websub_subscriptions').where('id', '=', id).execute();
}

/** A subscription that has not run out; undefined otherwise. */
export async function liveSubscription(db: Db, id: number): Promise<WebSubSubscriptionRow | undefined> {
  return db
    .selectFrom('websub_subscriptions')
    .selectAll()
    .where('id', '=', id)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
}

export async function liveSubscriptionIds(db: Db, topicId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('websub_subscriptions')
    .select('id')
    .where('topic_id', '=', topicId)
    .where('expires_at', '>', sql<Date>`now()`)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Records, in the caller's transaction, that these items are new in these topics: for the
 * topics that have a live subscriber (the others have nobody to push to). Returns how many.
 */
export async function addToOutbox(trx: Db, newItemsByTopic: Map<number, number[]>): Promise<number> {
  const topics = [...newItemsByTopic].filter(([, ids]) => ids.length).map(([topicId]) => topicId);
  if (topics.length === 0) return 0;
  const subscribed = await trx
    .selectFrom('websub_subscriptions')
    .select('topic_id')
    .distinct()
    .where('topic_id', 'in', topics)
    .where('expires_at', '>', sql<Date>`now()`)
    .execute();
  const rows = subscribed.map((s) => ({ topic_id: s.topic_id, item_ids: newItemsByTopic.get(s.topic_id)! }));
  if (rows.length) await trx.insertInto('websub_outbox').values(rows).execute();
  return rows.length;
}

/** Removes subscriptions whose lease ran out without a renewal; returns how many. */
export async function deleteExpiredSubscriptions(db: Db): Promise<number> {
  const res = await db
    .deleteFrom('websub_subscriptions')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export interface OutboxEntry {
  id: number;
  topicId: number;
  itemIds: number[];
}

/**
 * Hands the oldest outbox entries to `send` and deletes them once it returned, in one
 * transaction that holds them (SKIP LOCKED), so two fan-outs never take the same entry and a
 * crash leaves them for the next one. Returns how many were taken.
 */
export async function drainOutbox(
  db: Db,
  limit: number,
  send: (entries: OutboxEntry[]) => Promise<void>,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await sql<{ id: number; topic_id: number; item_ids: string[] }>`
      SELECT id, topic_id, item_ids FROM websub_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx);
    if (rows.rows.length === 0) return 0;
    await send(rows.rows.map((r) => ({ id: r.id, topicId: r.topic_id, itemIds: r.item_ids.map(Number) })));
    await trx
      .deleteFrom('websub_outbox')
      .where(
        'id',
        'in',
        rows.rows.map((r) => r.id),
      )
      .execute();
    return rows.rows.length;
  });
}
