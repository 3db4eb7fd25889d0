import { sql, type Kysely } from 'kysely';

/**
 * Story grouping reads item_bands through a covering index, which answers from the index alone
 * only for pages the visibility map marks all-visible, that is pages vacuumed since they were
 * written. By default autovacuum visits an insert-only table after inserts of 20% of its size:
 * at 2,000,000 band rows, every 400,000, so each grouping lookup in between read ~500 heap rows
 * an item (10,000 feeds, docs/benchmarks.md). ungrouped_items is a queue (a row in, a row out per
 * item): its dead rows must go as fast. Both are vacuumed after a fixed number of changes instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE item_bands SET (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 50000,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50000)`.execute(db);
  await sql`ALTER TABLE ungrouped_items SET (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['item_bands', 'ungrouped_items']) {
    await sql`ALTER TABLE ${sql.table(table)} RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold,
      autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)`.execute(db);
  }
}
