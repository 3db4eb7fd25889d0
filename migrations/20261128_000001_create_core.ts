import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit once landed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('feeds')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull().unique())
    .addColumn('site_url', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('language', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('new'))
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('next_poll_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_polled_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX feeds_due_idx ON feeds (next_poll_at) WHERE disabled_reason IS NULL`.execute(db);

  await db.schema
    .createTable('items')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('feed_id', 'bigint', (c) => c.notNull().references('feeds.id').onDelete('cascade'))
    .addColumn('identity_hash', 'text', (c) => c.notNull())
    .addColumn('guid', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('canonical_url', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('content_html', 'text', (c) => c.notNull())
    .addColumn('content_text', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('categories', sql`text[]`, (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('enclosures', 'jsonb', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz')
    .addColumn('sort_at', 'timestamptz', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addUniqueConstraint('items_feed_identity_key', ['feed_id', 'identity_hash'])
    .execute();
  // lz4 roughly doubles batched insert throughput of ~5 KB items over the default pglz (docs/benchmarks.md).
  for (const column of ['content_html', 'content_text', 'summary']) {
    await sql`ALTER TABLE items ALTER COLUMN ${sql.ref(column)} SET COMPRESSION lz4`.execute(db);
  }
  await sql`CREATE INDEX items_sort_idx ON items (sort_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX items_feed_sort_idx ON items (feed_id, sort_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX items_canonical_url_idx ON items (canonical_url) WHERE canonical_url <> ''`.execute(db);

  await db.schema
    .createTable('topics')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('retag_status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('retagged_items', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('item_topics')
    .addColumn('topic_id', 'bigint', (c) => c.notNull().references('topics.id').onDelete('cascade'))
    .addColumn('item_id', 'bigint', (c) => c.notNull().references('items.id').onDelete('cascade'))
    .addColumn('sort_at', 'timestamptz', (c) => c.notNull())
    .addColumn('matched_terms', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('item_topics_pkey', ['topic_id', 'item_id'])
    .execute();
  await sql`CREATE INDEX item_topics_timeline_idx ON item_topics (topic_id, sort_at DESC, item_id DESC)`.execute(db);
  await sql`CREATE INDEX item_topics_item_idx ON item_topics (item_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('item_topics').execute();
  await db.schema.dropTable('topics').execute();
  await db.schema.dropTable('items').execute();
  await db.schema.dropTable('feeds').execute();
}
