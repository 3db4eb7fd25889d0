import { type Kysely } from 'kysely';

/**
 * The median gap between a feed's newest items, as last computed when it stored items: a poll
 * answered 304 (most polls) schedules the next one with it instead of reading the items again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').addColumn('item_gap_seconds', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').dropColumn('item_gap_seconds').execute();
}
