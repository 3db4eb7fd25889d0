import { type Kysely } from 'kysely';

/** How many items a re-tag has to go through (set when it starts), for a progress bar: done of total. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('topics').addColumn('retag_total', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('topics').dropColumn('retag_total').execute();
}
