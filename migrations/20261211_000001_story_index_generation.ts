import { sql, type Kysely } from 'kysely';

/*
 * Workers keep the near-duplicate index of item_bands in memory (src/stories/near-index.ts) and
 * must learn what other workers grouped since they last read it. Every grouping batch takes the
 * next generation number (under the grouping lock, so numbers follow commit order) and writes its
 * bands with it; a worker reads the bands of the generations it missed. BRIN: the numbers only
 * grow with the table, and the index costs next to nothing to keep.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE story_index_state (id smallint PRIMARY KEY CHECK (id = 1), generation bigint NOT NULL)`.execute(
    db,
  );
  await sql`INSERT INTO story_index_state (id, generation) VALUES (1, 0)`.execute(db);
  await sql`ALTER TABLE item_bands ADD COLUMN generation bigint NOT NULL DEFAULT 0`.execute(db);
  await sql`CREATE INDEX item_bands_generation_idx ON item_bands USING brin (generation)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX item_bands_generation_idx`.execute(db);
  await sql`ALTER TABLE item_bands DROP COLUMN generation`.execute(db);
  await sql`DROP TABLE story_index_state`.execute(db);
}
