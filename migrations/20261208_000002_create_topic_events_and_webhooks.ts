import { sql, type Kysely } from 'kysely';

/**
 * Pushes beyond WebSub (issue 18): each topic's new stories as a numbered log, read by the live
 * stream (GET /topics/:slug/stream, resumed from Last-Event-ID in any API process, after any
 * restart), and plain webhooks. The fan-out appends to the log under one lock, so that ids are
 * in commit order: a reader that has seen event n has seen every event before it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('topic_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('topic_id', 'bigint', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('item_id', 'bigint', (c) => c.notNull().references('items.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX topic_events_topic_idx ON topic_events (topic_id, id)`.execute(db);
  await sql`CREATE INDEX topic_events_item_idx ON topic_events (item_id)`.execute(db);
  await sql`CREATE INDEX topic_events_created_idx ON topic_events (created_at)`.execute(db);

  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('topic_id', 'bigint', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('disabled_reason', 'text')
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('webhooks_topic_url_key', ['topic_id', 'url'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhooks').execute();
  await db.schema.dropTable('topic_events').execute();
}
