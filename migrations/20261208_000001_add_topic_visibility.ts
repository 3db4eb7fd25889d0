import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Private topics: a topic is public (anyone reads it) or private (a `read` token, or its feed key
 * in the address for feed readers that cannot send headers). Every topic has a key, so that one
 * turned private has one; it is replaced when revoked. Kept as is, not hashed: readers with a
 * token are shown the addresses that carry it. Made here in Node (PostgreSQL's random() is not
 * meant for secrets, and pgcrypto may not be installed). A WebSub subscription to a private topic
 * is made with the key in its topic URL or with a read token (`with_token`); deliveries stop when
 * the key it carries is replaced, or when its topic turns private under a subscription made with
 * neither.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('topics')
    .addColumn('visibility', 'text', (c) =>
      c
        .notNull()
        .defaultTo('public')
        .check(sql`visibility IN ('public', 'private')`),
    )
    .addColumn('feed_key', 'text')
    .execute();
  const topics = await db.selectFrom('topics').select('id').execute();
  for (const { id } of topics) {
    await db
      .updateTable('topics')
      .set({ feed_key: randomBytes(24).toString('base64url') })
      .where('id', '=', id)
      .execute();
  }
  await db.schema
    .alterTable('topics')
    .alterColumn('feed_key', (c) => c.setNotNull())
    .execute();
  await db.schema
    .alterTable('websub_subscriptions')
    .addColumn('with_token', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('websub_subscriptions').dropColumn('with_token').execute();
  await db.schema.alterTable('topics').dropColumn('visibility').dropColumn('feed_key').execute();
}
