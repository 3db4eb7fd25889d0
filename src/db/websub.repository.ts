import { sql } from 'kysely';
import { idsByTopic, type Db } from './database.js';
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

/** The live (unexpired) subscriptions of each of these topics, by topic. */
export async function liveSubscriptionIds(db: Db, topicIds: number[]): Promise<Map<number, number[]>> {
  if (topicIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('websub_subscriptions')
    .select(['id', 'topic_id'])
    .where('topic_id', 'in', [...new Set(topicIds)])
    .where('expires_at', '>', sql<Date>`now()`)
    .orderBy('id')
    .execute();
  return idsByTopic(rows);
}

/** Removes subscriptions whose lease ran out without a renewal; returns how many. */
export async function deleteExpiredSubscriptions(db: Db): Promise<number> {
  const res = await db
    .deleteFrom('websub_subscriptions')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
