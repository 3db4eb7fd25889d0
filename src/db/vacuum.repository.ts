import { sql } from 'kysely';
import type { Db } from './database.js';

/** The tables that ingestion churns, which the service keeps vacuumed itself (see maintenance). */
export type BusyTable = 'item_bands' | 'ungrouped_items' | 'items';

export interface TableChurn {
  table: BusyTable;
  /** Rows inserted, and rows updated or deleted (dead), since the table was last vacuumed. */
  insertedSinceVacuum: number;
  dead: number;
  modifiedSinceAnalyze: number;
  live: number;
}

/** How much each busy table changed since it was last vacuumed and analyzed (PostgreSQL's counters). */
export async function tableChurn(db: Db): Promise<TableChurn[]> {
  const { rows } = await sql<{ table: BusyTable; ins: string; dead: string; mod: string; live: string }>`
    SELECT relname AS table, n_ins_since_vacuum AS ins, n_dead_tup AS dead, n_mod_since_analyze AS mod, n_live_tup AS live
      FROM pg_stat_user_tables
     WHERE schemaname = current_schema() AND relname IN ('item_bands', 'ungrouped_items', 'items')`.execute(db);
  return rows.map((r) => ({
    table: r.table,
    insertedSinceVacuum: Number(r.ins),
    dead: Number(r.dead),
    modifiedSinceAnalyze: Number(r.mod),
    live: Number(r.live),
  }));
}

/** VACUUM (ANALYZE) one of the busy tables: its visibility map current, its dead rows gone. */
export async function vacuumTable(db: Db, table: BusyTable): Promise<void> {
  await sql`VACUUM (ANALYZE) ${sql.table(table)}`.execute(db);
}

/** ANALYZE one of the busy tables: the planner's row counts and value statistics current. */
export async function analyzeTable(db: Db, table: BusyTable): Promise<void> {
  await sql`ANALYZE ${sql.table(table)}`.execute(db);
}
