import { sql, type Kysely } from 'kysely';

/**
 * The search index keys an item's summary and categories too (besides its title and text): the
 * fields a rule's unscoped terms read, so that a search in the rule language finds what a topic
 * would. Items stored before are keyed again in the background (the index-search job, newest
 * first), from below `below_id` down; the row goes when it is done. Nothing is rewritten here, so
 * the upgrade starts at once however many items there are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('search_rekey')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('below_id', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO search_rekey (id, below_id) SELECT 1, max(id) + 1 FROM items HAVING count(*) > 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('search_rekey').execute();
}
