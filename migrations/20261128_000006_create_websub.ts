import { sql, type Kysely } from 'kysely';

// WebSub (docs/api.md): verified subscriptions to topic feeds, and an outbox of new items to push.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('websub_subscriptions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('topic_id', 'bigint', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('callback', 'text', (c) => c.notNull())
    // The topic URL as the subscriber gave it (hub.topic): the self link of what is pushed.
    .addColumn('topic_url', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('lease_seconds', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('websub_subscriptions_topic_callback_key', ['topic_id', 'callback'])
    .execute();

  // Written in the ingestion transaction, drained by the fan-out job: a crash loses no push.
  await db.schema
    .createTable('websub_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('topic_id', 'bigint', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('item_ids', sql`bigint[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('websub_outbox').execute();
  await db.schema.dropTable('websub_subscriptions').execute();
}
