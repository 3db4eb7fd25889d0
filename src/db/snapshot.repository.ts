import { sql } from 'kysely';
import type { Db } from './database.js';

/**
 * PostgreSQL's current snapshot (xmin:xmax:in-progress xids) as text. It changes when any
 * transaction that wrote commits or starts, and only then: two reads under the same snapshot see
 * the same rows, so it versions everything stored without a counter bumped by each writer.
 */
export async function currentSnapshot(db: Db): Promise<string> {
  const { rows } = await sql<{ s: string }>`SELECT pg_current_snapshot()::text AS s`.execute(db);
  return rows[0]!.s;
}
