import { sql } from 'kysely';
import type { Db } from './database.js';

/*
 * The push outbox and the topics' story log. Ingestion records in its own transaction which items
 * are new in which topics (the outbox: nothing pushed is lost to a crash); the fan-out takes the
 * entries once their items are grouped into stories, appends each new story to its topic's log
 * (topic_events, which the live stream reads) and queues the WebSub and webhook deliveries.
 */

export interface OutboxEntry {
  id: number;
  topicId: number;
  itemIds: number[];
}

/** Records, in the caller's transaction, that these items are new in these topics; returns how many entries. */
export async function addToOutbox(trx: Db, newItemsByTopic: Map<number, number[]>): Promise<number> {
  const rows = [...newItemsByTopic]
    .filter(([, ids]) => ids.length)
    .map(([topicId, ids]) => ({ topic_id: topicId, item_ids: ids }));
  if (rows.length) await trx.insertInto('websub_outbox').values(rows).execute();
  return rows.length;
}

// Fan-outs append to the story log one at a time, so that its ids are in commit order.
const FAN_OUT_LOCK = 0x66_61_6e_6f; // "fano"

// An entry whose items are still waiting for story grouping waits too (a new story is told once,
// as one story), but not longer than this: grouping that is lost or slow delays no push for good.
const GROUPING_WAIT = '2 minutes';

/**
 * Hands the oldest outbox entries whose items are grouped (or that waited long enough) to `send`,
 * with the transaction, and deletes them once it returned; one fan-out at a time holds the lock,
 * so a crash leaves them for the next one and the story log's ids follow commits. Returns how
 * many were taken.
 */
export async function drainOutbox(
  db: Db,
  limit: number,
  send: (trx: Db, entries: OutboxEntry[]) => Promise<void>,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${FAN_OUT_LOCK})`.execute(trx);
    const rows = await sql<{ id: number; topic_id: number; item_ids: string[] }>`
      SELECT o.id, o.topic_id, o.item_ids FROM websub_outbox o
      WHERE o.created_at < now() - ${GROUPING_WAIT}::interval
         OR NOT EXISTS (SELECT 1 FROM ungrouped_items u WHERE u.item_id = ANY(o.item_ids))
      ORDER BY o.id LIMIT ${limit}`.execute(trx);
    if (rows.rows.length === 0) return 0;
    await send(
      trx,
      rows.rows.map((r) => ({ id: Number(r.id), topicId: Number(r.topic_id), itemIds: r.item_ids.map(Number) })),
    );
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

/** Whether entries wait in the outbox (for a fan-out to come back for them). */
export async function outboxWaiting(db: Db): Promise<boolean> {
  return (await db.selectFrom('websub_outbox').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Appends to each entry's topic's story log those of its items that begin a story in the topic
 * (no earlier item of their story is in it; an item not grouped is a story of its own) and are
 * still in it: entry by entry, each oldest first, in one statement for all of them. Returns each
 * entry's new events, in the order given. Call inside drainOutbox's transaction.
 */
export async function appendStoryEvents(
  trx: Db,
  entries: { topicId: number; itemIds: number[] }[],
): Promise<{ id: number; itemId: number }[][]> {
  const n: number[] = [];
  const topics: number[] = [];
  const items: number[] = [];
  entries.forEach((e, k) => {
    for (const item of e.itemIds) {
      n.push(k);
      topics.push(e.topicId);
      items.push(item);
    }
  });
  const events = entries.map((): { id: number; itemId: number }[] => []);
  if (items.length === 0) return events;
  const { rows } = await sql<{ id: string; topic_id: string; item_id: string }>`
    INSERT INTO topic_events (topic_id, item_id)
    SELECT e.topic_id, i.id
    FROM unnest(${n}::int[], ${topics}::bigint[], ${items}::bigint[]) AS e(n, topic_id, item_id)
    JOIN items i ON i.id = e.item_id
    JOIN item_topics it ON it.item_id = i.id AND it.topic_id = e.topic_id
    WHERE i.story_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM items o JOIN item_topics ot ON ot.item_id = o.id AND ot.topic_id = e.topic_id
      WHERE o.story_id = i.story_id AND o.id < i.id)
    ORDER BY e.n, i.sort_at, i.id
    RETURNING id, topic_id, item_id`.execute(trx);
  // An item is new once, so a topic's item belongs to one entry (the first, were it in two).
  const entryOf = new Map<string, number>();
  for (let j = n.length - 1; j >= 0; j--) entryOf.set(`${topics[j]}:${items[j]}`, n[j]!);
  for (const r of rows) {
    events[entryOf.get(`${r.topic_id}:${r.item_id}`)!]!.push({ id: Number(r.id), itemId: Number(r.item_id) });
  }
  for (const list of events) list.sort((a, b) => a.id - b.id);
  return events;
}

export interface StoryEvent {
  id: number;
  topicId: number;
  itemId: number;
}

/** Story events after `afterId` (of one topic, up to `untilId` when given), in order. */
export async function storyEventsAfter(
  db: Db,
  afterId: number,
  limit: number,
  { topicId, untilId }: { topicId?: number; untilId?: number } = {},
): Promise<StoryEvent[]> {
  let query = db.selectFrom('topic_events').select(['id', 'topic_id', 'item_id']).where('id', '>', afterId);
  if (topicId !== undefined) query = query.where('topic_id', '=', topicId);
  if (untilId !== undefined) query = query.where('id', '<=', untilId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: Number(r.id), topicId: Number(r.topic_id), itemId: Number(r.item_id) }));
}

/** The newest story event's id (0 when there is none). */
export async function lastStoryEventId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('topic_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

/** Removes story events older than `before` (a stream resumed from before then starts at the oldest kept). */
export async function pruneStoryEvents(db: Db, before: Date): Promise<number> {
  const res = await db.deleteFrom('topic_events').where('created_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
