import { sql, type Kysely } from 'kysely';

/**
 * item_bands holds the near-duplicate index keys of each grouped item's SimHash. It held 7 bands
 * of 9 bits (a key matched one item in 512: ~700 candidates a lookup at 50,000 items in the story
 * window); it now holds 4 blocks of 16 bits (block << 16 | value), looked up with each block's
 * one-bit neighbours (docs/dedupe.md). Each row also carries the whole fingerprint, in an index
 * that covers the lookup, so that candidates too far away are dropped without reading items.
 * Rebuilt from items.simhash.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM item_bands`.execute(db);
  await sql`ALTER TABLE item_bands ADD COLUMN simhash bigint NOT NULL`.execute(db);
  await sql`
    INSERT INTO item_bands (band_key, sort_at, item_id, simhash)
    SELECT (((i.simhash >> (b * 16)) & 65535) | (b << 16))::int, i.sort_at, i.id, i.simhash
    FROM items i CROSS JOIN generate_series(0, 3) b
    WHERE i.simhash IS NOT NULL
    ON CONFLICT DO NOTHING`.execute(db);
  await sql`CREATE INDEX item_bands_lookup_idx ON item_bands (band_key, sort_at) INCLUDE (item_id, simhash)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX item_bands_lookup_idx`.execute(db);
  await sql`DELETE FROM item_bands`.execute(db);
  await sql`ALTER TABLE item_bands DROP COLUMN simhash`.execute(db);
  await sql`
    INSERT INTO item_bands (band_key, sort_at, item_id)
    SELECT (((i.simhash >> (b * 9)) & 511) | (b << 9))::int, i.sort_at, i.id
    FROM items i CROSS JOIN generate_series(0, 6) b
    WHERE i.simhash IS NOT NULL
    ON CONFLICT DO NOTHING`.execute(db);
}
