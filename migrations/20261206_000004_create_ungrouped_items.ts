import { sql, type Kysely } from 'kysely';

/**
 * Items waiting for story grouping get a row here (written with them) instead of being known by
 * items.story_id IS NULL: grouping then writes `items` only for an item that joins a story of
 * several. Each update of `items` is a new row version with new entries in all of its indexes
 * (the search keys' GIN index among them), which cost ~3 ms of PostgreSQL CPU per item grouped.
 * A story of one item now keeps story_id NULL (it is its own story, as before grouping).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ungrouped_items')
    .addColumn('item_id', 'bigint', (c) => c.primaryKey().references('items.id').onDelete('cascade'))
    .addColumn('feed_id', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX ungrouped_items_feed_idx ON ungrouped_items (feed_id, item_id)`.execute(db);
  await sql`INSERT INTO ungrouped_items (item_id, feed_id) SELECT id, feed_id FROM items WHERE story_id IS NULL`.execute(
    db,
  );
  await sql`DROP INDEX IF EXISTS items_ungrouped_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX items_ungrouped_idx ON items (feed_id, id) WHERE story_id IS NULL`.execute(db);
  // Stories of one item were left NULL: give them their own id again, then mark the waiting ones.
  await sql`UPDATE items SET story_id = id WHERE story_id IS NULL AND id NOT IN (SELECT item_id FROM ungrouped_items)`.execute(
    db,
  );
  await db.schema.dropTable('ungrouped_items').execute();
}
