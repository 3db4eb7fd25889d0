import { sql, type Kysely } from 'kysely';

/**
 * The search keys' GIN index takes ~380 keys an item (docs/benchmarks.md, "Ingest"); with a
 * pending list of 4 MB (the default) its merge into the index ran every ~2,700 items and was most
 * of what an item's insert cost PostgreSQL. A list four times longer is merged four times less
 * often, in longer sorted runs (10,000 farm rows: 4.5 s with 4 MB, 3.2 s with 32 MB); a search
 * reads the list as well, and autovacuum empties it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER INDEX items_search_keys_idx SET (gin_pending_list_limit = 16384)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER INDEX items_search_keys_idx RESET (gin_pending_list_limit)`.execute(db);
}
