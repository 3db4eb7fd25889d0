import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listItems, listItemsQuery, upsertItems } from '../src/db/items.repository.js';
import type { NewItem } from '../src/db/schema.js';
import { quantile } from './quantile.js';
import { prng } from './rules.js';

const VOCABULARY = 20_000;
const WORDS_PER_ITEM = 350; // ~2.2 KB of text
const LETTERS = 'abcdefghijklmnoprstuvwy'; // no q, x or z: "zqxzq" is in no item
const GAP_MS = 30_000;

/**
 * The items API's text search (`q`: items holding every word of it) over `size` stored items,
 * without and with the search index (migration 20261206_000002): the first page (50 items,
 * one per story, as the API asks by default) for a short and a long word in most items, long
 * words in ~3%, ~1% and ~0.3% of them, the rarest word and one in no item; building the indexes on what is stored (an upgrade's cost); and what they add to storing
 * a poll's new items. Own database, dropped afterwards.
 */
export async function benchSearch(size = 100_000, batch = 500, runs = 5): Promise<string[]> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = `topicwire_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const db = createDb(`postgres://postgres@127.0.0.1:5432/${name}`);
  const lines: string[] = [];
  try {
    await migrateToLatest(db);
    await dropIndexes(db);
    await sql`INSERT INTO feeds (id, url, interval_seconds) VALUES (1, 'https://site.example/feed', 900)`.execute(db);
    const rand = prng(11);
    const vocab = Array.from({ length: VOCABULARY }, (_, i) =>
      Array.from({ length: 3 + (i % 6) }, () => LETTERS[Math.floor(rand() * LETTERS.length)]).join(''),
    );
    const text = () => Array.from({ length: WORDS_PER_ITEM }, () => Math.floor(VOCABULARY * rand() ** 4));
    const start = Date.now() - size * GAP_MS;
    const item = (key: string, words: number[], at: number): NewItem => ({
      feed_id: 1,
      identity_hash: key,
      guid: '',
      url: `https://site.example/${key}`,
      canonical_url: `https://site.example/${key}`,
      title: `Story ${key}`,
      summary: '',
      content_html: '',
      content_text: words.map((w) => vocab[w]).join(' '),
      author: '',
      categories: [],
      language: 'en',
      enclosures: '[]',
      sort_at: new Date(at),
      fetched_at: new Date(at),
      content_hash: key,
    });

    // Stored items, counting in how many items each word occurs to choose the searched words.
    const itemsWith = new Int32Array(VOCABULARY);
    for (let lo = 0; lo < size; lo += 2000) {
      const rows = Array.from({ length: Math.min(2000, size - lo) }, (_, k) => {
        const words = text();
        for (const w of new Set(words)) itemsWith[w]!++;
        return item(String(lo + k), words, start + (lo + k) * GAP_MS);
      });
      await upsertItems(db, rows);
    }
    await sql`VACUUM ANALYZE items`.execute(db);
    // The word in about n items (of at least `letters` letters): short common words are where a
    // planner walks the newest items, long ones where it trusts the index.
    const closest = (n: number, letters = 3) =>
      vocab[
        itemsWith.reduce(
          (best, c, w) => (vocab[w]!.length >= letters && Math.abs(c - n) < Math.abs(itemsWith[best]! - n) ? w : best),
          VOCABULARY - 1,
        )
      ]!;
    const searches = [
      closest(size),
      closest(size, 8),
      closest(size * 0.03, 8),
      closest(size / 100, 8),
      closest(size * 0.003, 8),
      closest(0),
      'zqxzq',
    ];
    const label = (q: string) => `"${q}" (in ${itemsWith[vocab.indexOf(q)] ?? 0} items)`;

    // The listing's one query (all there was before the first passes), or listItems with them.
    const oneQuery = (q: string) => listItemsQuery(db, { q, stories: true }, 50, null).execute();
    const withPasses = (q: string) => listItems(db, { q, stories: true }, 50, null);
    const timeSearches = async (search: (q: string) => Promise<unknown>) => {
      const out: string[] = [];
      for (const q of searches) {
        const ms: number[] = [];
        for (let r = 0; r < runs; r++) {
          const started = performance.now();
          await search(q);
          ms.push(performance.now() - started);
        }
        out.push(`${label(q)} ${quantile(ms, 0.5).toFixed(1)} ms`);
      }
      return out.join(', ');
    };
    let round = 0;
    const timeStoring = async () => {
      const perItem: number[] = [];
      for (let r = 0; r < 3; r++, round++) {
        const rows = Array.from({ length: batch }, (_, k) => item(`new-${round}-${k}`, text(), Date.now()));
        const started = performance.now();
        await upsertItems(db, rows);
        perItem.push((performance.now() - started) / batch);
        await db.deleteFrom('items').where('identity_hash', 'like', 'new-%').execute();
        await sql`VACUUM ANALYZE items`.execute(db);
      }
      return `${quantile(perItem, 0.5).toFixed(2)} ms per item`;
    };

    lines.push(
      `${size.toLocaleString('en')} items stored (~2.2 KB of text each), first page of 50 (median of ${runs}):`,
    );
    lines.push(
      `  without the search index, one query: ${await timeSearches(oneQuery)}; storing ${batch} new items ${await timeStoring()}`,
    );
    const built = performance.now();
    await migrateIndexes(db);
    const { rows } = await sql<{ items: string; indexes: string }>`
      SELECT pg_total_relation_size('items') - pg_relation_size('items_search_keys_idx') AS items,
             pg_relation_size('items_search_keys_idx') AS indexes`.execute(db);
    const mib = (bytes: string) => `${(Number(bytes) / 2 ** 20).toFixed(0)} MiB`;
    lines.push(
      `  building the index: ${((performance.now() - built) / 1000).toFixed(0)} s; ${mib(rows[0]!.indexes)} beside the items' ${mib(rows[0]!.items)}`,
    );
    await sql`VACUUM ANALYZE items`.execute(db);
    lines.push(`  with the search index, one query: ${await timeSearches(oneQuery)}`);
    lines.push(
      `  with the search index, listItems (newest first, a walk if cheaper, then the index): ${await timeSearches(withPasses)}; storing ${batch} new items ${await timeStoring()}`,
    );
  } finally {
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  return lines;
}

async function dropIndexes(db: Db): Promise<void> {
  await sql`DROP INDEX items_search_keys_idx`.execute(db);
}

/** The index as migration 20261206_000002 creates it. */
async function migrateIndexes(db: Db): Promise<void> {
  await sql`CREATE INDEX items_search_keys_idx ON items USING gin (search_keys) WITH (fastupdate = on)`.execute(db);
}
