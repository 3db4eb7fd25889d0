import { type Kysely } from 'kysely';

/**
 * The last item a topic's re-tag has to read: the highest item id when its rule was set, taken
 * under the topics lock. Items stored after it were tagged by the new rule as they were stored, so
 * a re-tag reads only the items before it (null: every item of the window, as before).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('topics').addColumn('retag_through_id', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('topics').dropColumn('retag_through_id').execute();
}
