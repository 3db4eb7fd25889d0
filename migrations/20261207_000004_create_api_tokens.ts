import { sql, type Kysely } from 'kysely';

/**
 * API tokens: each with a name, scopes (read, write, admin), an optional expiry and its last use.
 * Only a SHA-256 of the secret is stored (the secret is 32 random bytes: a slow hash would add
 * nothing), so a copy of the database gives no working token. Revoked tokens stay, marked, so
 * that a listing shows what existed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_tokens').execute();
}
