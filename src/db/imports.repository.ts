import { sql } from 'kysely';
import type { Db } from './database.js';

/** Remembers which feeds an OPML import added, so that their polling can be followed. */
export async function insertImport(
  db: Db,
  feedIds: number[],
  counts: { skipped: number; refused: number },
): Promise<{ id: number; created_at: Date }> {
  return db
    .insertInto('opml_imports')
    .values({ feed_ids: feedIds, skipped: counts.skipped, refused: counts.refused })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

export interface ImportProgressRow {
  id: number;
  created_at: Date;
  added: number;
  skipped: number;
  refused: number;
  /** Feeds of the import still subscribed. */
  present: number;
  polled: number;
  failing: number;
  disabled: number;
  items: number;
  ungrouped: number;
  last_polled_at: Date | null;
}

/** How far the polling of an import's feeds has come (null: no such import). */
export async function importProgress(db: Db, id: number): Promise<ImportProgressRow | null> {
  const { rows } = await sql<ImportProgressRow>`
    SELECT i.id, i.created_at, cardinality(i.feed_ids)::int AS added, i.skipped, i.refused,
           count(f.id)::int AS present,
           count(f.id) FILTER (WHERE f.last_polled_at IS NOT NULL)::int AS polled,
           count(f.id) FILTER (WHERE f.status = 'failing')::int AS failing,
           count(f.id) FILTER (WHERE f.status = 'disabled')::int AS disabled,
           (SELECT count(*)::int FROM items WHERE feed_id = ANY(i.feed_ids)) AS items,
           (SELECT count(*)::int FROM ungrouped_items WHERE feed_id = ANY(i.feed_ids)) AS ungrouped,
           max(f.last_polled_at) AS last_polled_at
      FROM opml_imports i
      LEFT JOIN feeds f ON f.id = ANY(i.feed_ids)
     WHERE i.id = ${id}
     GROUP BY i.id`.execute(db);
  return rows[0] ?? null;
}
