import { sql, type Kysely } from 'kysely';

// Identities of items removed by retention, so that a feed still listing them does not bring them back.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pruned_identities')
    .addColumn('feed_id', 'bigint', (c) => c.notNull().references('feeds.id').onDelete('cascade'))
    .addColumn('identity_hash', 'text', (c) => c.notNull())
    .addColumn('pruned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('pruned_identities_pkey', ['feed_id', 'identity_hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pruned_identities').execute();
}
