import type { Kysely } from 'kysely';

// The polling hints a feed carries in its body (RSS ttl, sy:updatePeriod/Frequency), kept so that
// a 304, which has no body, still schedules by them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('feeds')
    .addColumn('ttl_minutes', 'integer')
    .addColumn('syndication_seconds', 'integer')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').dropColumn('ttl_minutes').dropColumn('syndication_seconds').execute();
}
