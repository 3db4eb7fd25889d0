import { sql, type Kysely } from 'kysely';

/**
 * An OPML import answers once its feeds are added, long before they are polled: this row lets a
 * client follow the polling of the feeds it added (GET /api/v1/opml/imports/:id). Deleting a feed
 * leaves its id here; progress counts only the feeds still present.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('opml_imports')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('feed_ids', sql`bigint[]`, (c) => c.notNull())
    .addColumn('skipped', 'integer', (c) => c.notNull())
    .addColumn('refused', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('opml_imports').execute();
}
