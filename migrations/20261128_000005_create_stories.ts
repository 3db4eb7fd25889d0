import { sql, type Kysely } from 'kysely';

// Stories (docs/dedupe.md): items of different feeds that are one article share a story_id.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('items')
    // The id of the story's first item; null until the item has been grouped.
    .addColumn('story_id', 'bigint')
    // Split off by a user: never grouped again, never joined by others.
    .addColumn('story_pinned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('simhash', 'bigint')
    // Canonical URLs of the articles this item credits as its source.
    .addColumn('credited_urls', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  // A story is shown as its item from a preferred feed, if it has one.
  await db.schema
    .alterTable('feeds')
    .addColumn('preferred', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`CREATE INDEX items_story_idx ON items (story_id, sort_at, id)`.execute(db);
  await sql`CREATE INDEX items_ungrouped_idx ON items (feed_id, id) WHERE story_id IS NULL`.execute(db);
  // Without fastupdate: GIN's pending list is scanned whole by every lookup (~1.3 ms at 50k items, measured).
  await sql`CREATE INDEX items_credited_urls_idx ON items USING gin (credited_urls) WITH (fastupdate = off)`.execute(
    db,
  );

  // One row per band of an item's SimHash: near-duplicates are found by equal bands in a time range.
  await db.schema
    .createTable('item_bands')
    .addColumn('band_key', 'integer', (c) => c.notNull())
    .addColumn('sort_at', 'timestamptz', (c) => c.notNull())
    .addColumn('item_id', 'bigint', (c) => c.notNull().references('items.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('item_bands_pkey', ['band_key', 'sort_at', 'item_id'])
    .execute();
  await sql`CREATE INDEX item_bands_item_idx ON item_bands (item_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('item_bands').execute();
  await db.schema.alterTable('feeds').dropColumn('preferred').execute();
  await db.schema
    .alterTable('items')
    .dropColumn('story_id')
    .dropColumn('story_pinned')
    .dropColumn('simhash')
    .dropColumn('credited_urls')
    .execute();
}
