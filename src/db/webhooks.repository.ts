import { sql } from 'kysely';
import { idsByTopic, type Db } from './database.js';
import type { WebhookRow } from './schema.js';

export async function insertWebhook(
  db: Db,
  hook: { topicId: number; url: string; secret: string },
): Promise<WebhookRow | undefined> {
  return db
    .insertInto('webhooks')
    .values({ topic_id: hook.topicId, url: hook.url, secret: hook.secret })
    .onConflict((oc) => oc.columns(['topic_id', 'url']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function listWebhooks(db: Db, topicId: number): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('topic_id', '=', topicId).orderBy('id').execute();
}

export async function getWebhook(db: Db, id: number): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteWebhook(db: Db, topicId: number, id: number): Promise<boolean> {
  const res = await db.deleteFrom('webhooks').where('topic_id', '=', topicId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Enables a webhook again, its failures forgotten. */
export async function enableWebhook(db: Db, topicId: number, id: number): Promise<WebhookRow | undefined> {
  return db
    .updateTable('webhooks')
    .set({ enabled: true, disabled_reason: null, failures: 0 })
    .where('topic_id', '=', topicId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** The enabled webhooks of each of these topics, by topic. */
export async function enabledWebhookIds(db: Db, topicIds: number[]): Promise<Map<number, number[]>> {
  if (topicIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('webhooks')
    .select(['id', 'topic_id'])
    .where('topic_id', 'in', [...new Set(topicIds)])
    .where('enabled', '=', true)
    .orderBy('id')
    .execute();
  return idsByTopic(rows);
}

export async function recordWebhookSuccess(db: Db, id: number, status: number): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({
      failures: 0,
      last_status: status,
      last_error: null,
      last_attempt_at: sql`now()`,
      last_success_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Counts a failed attempt; at `maxFailures` in a row (or at once when `final`), the webhook is
 * disabled with the reason. Returns the webhook as it is now.
 */
export async function recordWebhookFailure(
  db: Db,
  id: number,
  failure: { status: number | null; error: string; maxFailures: number; final: boolean },
): Promise<WebhookRow | undefined> {
  const disable = sql<boolean>`(failures + 1 >= ${failure.maxFailures} OR ${failure.final})`;
  return db
    .updateTable('webhooks')
    .set({
      failures: sql`failures + 1`,
      last_status: failure.status,
      last_error: failure.error,
      last_attempt_at: sql`now()`,
      enabled: sql`enabled AND NOT ${disable}`,
      disabled_reason: sql`CASE WHEN enabled AND ${disable} THEN ${`${failure.error}`} || ' (' || (failures + 1) || ' failed attempts in a row)' ELSE disabled_reason END`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
