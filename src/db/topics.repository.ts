import { sql } from 'kysely';
import type { Db } from './database.js';
import type { MatchedTerm, RetagStatus, TopicRow, TopicVisibility } from './schema.js';

// Topic writes take this advisory lock exclusively, item ingestion shares it: an ingestion either
// commits before a topic change (and the re-tag job that follows sees its items) or starts after
// it (and tags with the new rules). Without it, items stored during a topic change could miss it.
// Exported for tests, which hold it to pause ingestion at a known point.
export const TOPICS_LOCK = 0x7470_6963; // "tpic"

/** Held until the transaction ends; taken by every transaction that writes items with their tags. */
export async function lockTopicsShared(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${TOPICS_LOCK})`.execute(trx);
}

/**
 * The highest item id stored, read under the topics lock when a rule is set: every item above it
 * is written by an ingestion that started after the change, and tagged by the new rule then.
 */
const LAST_ITEM_ID = sql<number>`(SELECT coalesce(max(id), 0) FROM items)`;

function withTopicsLocked<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${TOPICS_LOCK})`.execute(trx);
    return fn(trx);
  });
}

export async function createTopic(
  db: Db,
  topic: { slug: string; name: string; rule: string; visibility: TopicVisibility; feed_key: string },
): Promise<TopicRow | undefined> {
  return withTopicsLocked(db, (trx) =>
    trx
      .insertInto('topics')
      .values({ ...topic, retag_status: 'pending', retag_through_id: LAST_ITEM_ID })
      .onConflict((oc) => oc.column('slug').doNothing())
      .returningAll()
      .executeTakeFirst(),
  );
}

/** Topics whose rule has not been applied to the stored items yet (no re-tag started). */
export async function pendingRetags(db: Db): Promise<{ id: number; version: number }[]> {
  return db.selectFrom('topics').select(['id', 'version']).where('retag_status', '=', 'pending').execute();
}

/** Every topic, or with `publicOnly` the public ones. */
export async function listTopics(db: Db, { publicOnly = false } = {}): Promise<TopicRow[]> {
  let query = db.selectFrom('topics').selectAll();
  if (publicOnly) query = query.where('visibility', '=', 'public');
  return query.orderBy('slug').execute();
}

export interface TopicStats {
  /** Items of the topic from the last 24 hours and the last 7 days (by their time). */
  today: number;
  week: number;
  latest: { title: string; url: string; at: Date } | null;
}

/** Each topic's recent counts and newest item, read from item_topics' (topic_id, sort_at) index. */
export async function topicStats(db: Db, topicIds: number[]): Promise<Map<number, TopicStats>> {
  if (topicIds.length === 0) return new Map();
  const { rows } = await sql<{
    id: string;
    today: string;
    week: string;
    title: string | null;
    url: string | null;
    at: Date | null;
  }>`
    SELECT t.id,
      (SELECT count(*) FROM item_topics it WHERE it.topic_id = t.id AND it.sort_at >= now() - interval '1 day') AS today,
      (SELECT count(*) FROM item_topics it WHERE it.topic_id = t.id AND it.sort_at >= now() - interval '7 days') AS week,
      latest.title, latest.url, latest.sort_at AS at
    FROM topics t
    LEFT JOIN LATERAL (
      SELECT i.title, i.url, it.sort_at FROM item_topics it JOIN items i ON i.id = it.item_id
      WHERE it.topic_id = t.id ORDER BY it.sort_at DESC, it.item_id DESC LIMIT 1) latest ON true
    WHERE t.id = ANY(${topicIds}::bigint[])`.execute(db);
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        today: Number(r.today),
        week: Number(r.week),
        latest: r.at ? { title: r.title ?? '', url: r.url ?? '', at: r.at } : null,
      },
    ]),
  );
}

/** A new feed key for a topic (the old one stops working at once). */
export async function replaceFeedKey(db: Db, slug: string, feedKey: string): Promise<TopicRow | undefined> {
  return db
    .updateTable('topics')
    .set({ feed_key: feedKey, updated_at: sql<Date>`now()` })
    .where('slug', '=', slug)
    .returningAll()
    .executeTakeFirst();
}

export async function getTopicById(db: Db, id: number): Promise<TopicRow | undefined> {
  return db.selectFrom('topics').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getTopicBySlug(db: Db, slug: string): Promise<TopicRow | undefined> {
  return db.selectFrom('topics').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** Changes a topic; a changed rule bumps its version, so a re-tag in progress for the old rule can tell it is stale. */
export async function updateTopic(
  db: Db,
  slug: string,
  changes: { name: string; rule: string; visibility?: TopicVisibility },
): Promise<TopicRow | undefined> {
  // A new name with the same rule changes no tag: it needs no lock (which waits for every
  // ingestion transaction running); when the rule did change meanwhile, the locked path runs.
  const renamed = await db
    .updateTable('topics')
    .set({ name: changes.name, visibility: changes.visibility, updated_at: sql<Date>`now()` })
    .where('slug', '=', slug)
    .where('rule', '=', changes.rule)
    .returningAll()
    .executeTakeFirst();
  if (renamed) return renamed;
  return withTopicsLocked(db, (trx) =>
    trx
      .updateTable('topics')
      .set({
        name: changes.name,
        visibility: changes.visibility,
        rule: changes.rule,
        version: sql<number>`CASE WHEN rule = ${changes.rule} THEN version ELSE version + 1 END`,
        retag_status: sql<RetagStatus>`CASE WHEN rule = ${changes.rule} THEN retag_status ELSE 'pending' END`,
        retagged_items: sql<number>`CASE WHEN rule = ${changes.rule} THEN retagged_items ELSE 0 END`,
        retag_total: sql<number | null>`CASE WHEN rule = ${changes.rule} THEN retag_total ELSE NULL END`,
        retag_through_id: sql<
          number | null
        >`CASE WHEN rule = ${changes.rule} THEN retag_through_id ELSE ${LAST_ITEM_ID} END`,
        updated_at: sql<Date>`now()`,
      })
      .where('slug', '=', slug)
      .returningAll()
      .executeTakeFirst(),
  );
}

export async function deleteTopic(db: Db, slug: string): Promise<boolean> {
  const res = await withTopicsLocked(db, (trx) => trx.deleteFrom('topics').where('slug', '=', slug).executeTakeFirst());
  return Number(res.numDeletedRows) > 0;
}

/** Every topic's rule, for compiling the matcher; the version sum tells a cached matcher that it is stale. */
export async function listTopicRules(db: Db): Promise<{ id: number; slug: string; rule: string; version: number }[]> {
  return db.selectFrom('topics').select(['id', 'slug', 'rule', 'version']).orderBy('id').execute();
}

/** One topic's rule and version, by id. */
export async function getTopicRule(
  db: Db,
  id: number,
): Promise<{ id: number; slug: string; rule: string; version: number; retag_through_id: number | null } | undefined> {
  return db
    .selectFrom('topics')
    .select(['id', 'slug', 'rule', 'version', 'retag_through_id'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * A cheap fingerprint of all rules: changes whenever a topic is added, removed or given a new
 * rule, and only then. Ids only grow, so a topic removed and another added change the sum of ids;
 * a new rule bumps its topic's version. A new name or visibility changes no tag and leaves it as
 * it was: with the time of the last change in it, every rename made each worker compile every
 * topic again (3% of the ingest benchmark's worker, whose API probe renames a topic every few
 * hundred milliseconds).
 */
export async function topicsFingerprint(db: Db): Promise<string> {
  const row = await sql<{
    f: string;
  }>`SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(sum(id), 0) AS f FROM topics`.execute(db);
  return row.rows[0]?.f ?? '';
}

export interface TagRow {
  itemId: number;
  topicId: number;
  sortAt: Date;
  terms: readonly MatchedTerm[];
}

/** Replaces the tags of the given items with `tags` (an item that no longer matches loses its tag). */
export async function replaceItemTags(db: Db, itemIds: number[], tags: TagRow[], onlyTopicId?: number): Promise<void> {
  if (itemIds.length === 0) return;
  let del = db.deleteFrom('item_topics').where('item_id', 'in', itemIds);
  if (onlyTopicId !== undefined) del = del.where('topic_id', '=', onlyTopicId);
  await del.execute();
  if (tags.length === 0) return;
  // Re-tagging reads items before it tags them: one deleted since (its feed removed) failed the
  // whole job on the foreign key. The items still there are locked until the tags are in; the
  // others are not tagged.
  const live = await db
    .selectFrom('items')
    .select('id')
    .where('id', 'in', [...new Set(tags.map((t) => t.itemId))])
    .forKeyShare()
    .execute();
  const kept = new Set(live.map((r) => r.id));
  const rows = tags.filter((t) => kept.has(t.itemId));
  if (rows.length === 0) return;
  await db
    .insertInto('item_topics')
    .values(
      rows.map((t) => ({
        item_id: t.itemId,
        topic_id: t.topicId,
        sort_at: t.sortAt,
        matched_terms: JSON.stringify(t.terms),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['topic_id', 'item_id']).doUpdateSet((eb) => ({ matched_terms: eb.ref('excluded.matched_terms') })),
    )
    .execute();
}

export async function setRetagProgress(
  db: Db,
  topicId: number,
  version: number,
  status: RetagStatus,
  items: number,
  total?: number,
): Promise<void> {
  await db
    .updateTable('topics')
    .set({ retag_status: status, retagged_items: items, ...(total === undefined ? {} : { retag_total: total }) })
    .where('id', '=', topicId)
    .where('version', '=', version)
    .execute();
}
