import { sql, type Kysely } from 'kysely';

/*
 * item_bands had two indexes of the same order: its primary key (band_key, sort_at, item_id),
 * which only kept rows unique, and a covering index (band_key, sort_at) INCLUDE (item_id,
 * simhash) for the lookups. The primary key now covers the lookups itself: one index fewer to
 * write for every band row (four an item stored).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE item_bands DROP CONSTRAINT item_bands_pkey`.execute(db);
  await sql`ALTER TABLE item_bands ADD CONSTRAINT item_bands_pkey PRIMARY KEY (band_key, sort_at, item_id) INCLUDE (simhash)`.execute(
    db,
  );
  await sql`DROP INDEX item_bands_lookup_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX item_bands_lookup_idx ON item_bands (band_key, sort_at) INCLUDE (item_id, simhash)`.execute(
    db,
  );
  await sql`ALTER TABLE item_bands DROP CONSTRAINT item_bands_pkey`.execute(db);
  await sql`ALTER TABLE item_bands ADD CONSTRAINT item_bands_pkey PRIMARY KEY (band_key, sort_at, item_id)`.execute(db);
}
