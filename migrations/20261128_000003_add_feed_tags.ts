import { sql, type Kysely } from 'kysely';

// Tags on feeds: the OPML categories (folders) a feed was imported under.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('feeds')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').dropColumn('tags').execute();
}
