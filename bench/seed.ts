import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { ADMIN_URL } from './env.js';
import type { Db } from '../src/db/database.js';
import { upsertItems } from '../src/db/items.repository.js';
import type { NewItem } from '../src/db/schema.js';

/** One generated item: its text and language, the rest of the row made alike for every benchmark. */
export function benchItem(
  n: number,
  {
    feeds,
    at,
    title,
    text,
    summary = '',
    language = 'en',
    author = '',
    categories = [] as string[],
  }: {
    feeds: number;
    at: Date;
    title: string;
    text: string[];
    summary?: string;
    language?: string;
    author?: string;
    categories?: string[];
  },
): NewItem {
  const link = `https://site${1 + (n % feeds)}.example/news/${n}`;
  return {
    feed_id: 1 + (n % feeds),
    identity_hash: `bench-${n}`,
    guid: link,
    url: link,
    canonical_url: link,
    title,
    summary,
    content_html: text.map((p) => `<p>${p}</p>`).join('\n'),
    content_text: text.join('\n\n'),
    author,
    categories,
    language,
    enclosures: '[]',
    published_at: at,
    sort_at: at,
    fetched_at: at,
    content_hash: `bench-${n}`,
  };
}

/** Items `from` to `size` − 1 stored as polls store them (search keys included), 2,000 a statement, with progress. */
export async function storeBenchItems(db: Db, from: number, size: number, item: (n: number) => NewItem): Promise<void> {
  let lastPrint = Date.now();
  for (let lo = from; lo < size; lo += 2000) {
    const rows = Array.from({ length: Math.min(2000, size - lo) }, (_, k) => item(lo + k));
    await upsertItems(db, rows);
    if (Date.now() - lastPrint > 15_000) {
      lastPrint = Date.now();
      console.log(`    … ${(lo + rows.length).toLocaleString('en')} items stored`);
    }
  }
}

/**
 * Runs a bulk load with the search index dropped, then builds it once (as migration
 * 20261207_000003 leaves it): kept up row by row it is most of an insert's cost.
 */
export async function withSearchIndexBuiltAfter(db: Db, load: () => Promise<void>): Promise<void> {
  await sql`DROP INDEX IF EXISTS items_search_keys_idx`.execute(db);
  await load();
  console.log('    … building the search index');
  await sql`SET maintenance_work_mem = '512MB'`.execute(db);
  await sql`CREATE INDEX items_search_keys_idx ON items USING gin (search_keys) WITH (fastupdate = on, gin_pending_list_limit = 16384)`.execute(
    db,
  );
}

/** A benchmark's database: `keep` (an existing one's name) is reused and left; else a new one, dropped by close(). */
export async function benchDatabase(
  prefix: string,
  keep: string | undefined,
): Promise<{ db: Db; url: string; name: string; close: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = keep ?? `${prefix}_${randomBytes(4).toString('hex')}`;
  if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) {
    await admin.query(`CREATE DATABASE ${name}`);
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDb(url.href, 4);
  await migrateToLatest(db);
  return {
    db,
    url: url.href,
    name,
    close: async () => {
      await db.destroy();
      if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** How many items a benchmark's database holds. */
export async function storedItems(db: Db): Promise<number> {
  return Number((await sql<{ n: string }>`SELECT count(*) AS n FROM items`.execute(db)).rows[0]!.n);
}
