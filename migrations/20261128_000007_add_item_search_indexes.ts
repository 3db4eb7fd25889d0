import { sql, type Kysely } from 'kysely';

/**
 * Trigram indexes for the items API's `q` (a case-insensitive substring of title or text, ILIKE):
 * without them every search reads every stored text (1.5–1.8 s at 100,000 items), with them a
 * rare word takes milliseconds (docs/benchmarks.md, "Text search"). pg_trgm ships with PostgreSQL
 * and is a trusted extension (the database's owner may create it).
 *
 * Building them on an existing install takes ~0.9 s per 1,000 stored items (a one-time cost at
 * the upgrade's first start); more memory for the build than the default 64 MB makes it ~1.5×
 * faster. They take about as much disk as the items' own table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`SET LOCAL maintenance_work_mem = '256MB'`.execute(db);
  await sql`CREATE INDEX items_title_trgm ON items USING gin (title gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX items_content_text_trgm ON items USING gin (content_text gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX items_content_text_trgm`.execute(db);
  await sql`DROP INDEX items_title_trgm`.execute(db);
}
