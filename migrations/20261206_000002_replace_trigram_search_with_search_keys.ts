import { sql, type Kysely } from 'kysely';

/**
 * The items search moves from PostgreSQL's trigram indexes to keys the service computes (the
 * folded words of title and text as 32-bit hashes, and character pairs in scripts written
 * without spaces) in an int4[] with a GIN index. The trigram indexes made storing an item cost
 * ~1.5 ms of PostgreSQL CPU (~600 items/s at most on two cores); these keys cost ~0.15 ms
 * (docs/benchmarks.md, "Ingest").
 *
 * search_keys is NULL for items stored before: the service fills it in the background, in
 * batches (the index-search job), and until then a search does not find them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE items ADD COLUMN search_keys int4[]`.execute(db);
  await sql`CREATE INDEX items_search_keys_idx ON items USING gin (search_keys) WITH (fastupdate = on)`.execute(db);
  await sql`CREATE INDEX items_unindexed_idx ON items (id) WHERE search_keys IS NULL`.execute(db);
  await sql`DROP INDEX IF EXISTS items_title_trgm`.execute(db);
  await sql`DROP INDEX IF EXISTS items_content_text_trgm`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`SET LOCAL maintenance_work_mem = '256MB'`.execute(db);
  await sql`CREATE INDEX items_title_trgm ON items USING gin (title gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX items_content_text_trgm ON items USING gin (content_text gin_trgm_ops)`.execute(db);
  await sql`DROP INDEX items_unindexed_idx`.execute(db);
  await sql`DROP INDEX items_search_keys_idx`.execute(db);
  await sql`ALTER TABLE items DROP COLUMN search_keys`.execute(db);
}
