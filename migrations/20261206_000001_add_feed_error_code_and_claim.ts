import type { Kysely } from 'kysely';

/**
 * last_error_code: the feed error's code beside its message (http_not_found, not_a_feed, …), for
 * readers and tools that act on the cause. claimed_until: the lease a scheduler takes when it
 * queues a feed's poll, kept apart from next_poll_at so that the leases of jobs lost with Redis
 * can be released at once instead of waiting for them to run out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').addColumn('last_error_code', 'text').execute();
  await db.schema.alterTable('feeds').addColumn('claimed_until', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').dropColumn('claimed_until').execute();
  await db.schema.alterTable('feeds').dropColumn('last_error_code').execute();
}
