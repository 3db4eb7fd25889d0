import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createDb, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { BLOCK_BITS, BLOCK_COUNT } from '../src/stories/simhash.js';
import { groupStories } from '../src/app/stories.js';
import { quantile } from './quantile.js';

const FEEDS = 1000;
// One stored item every 31.5 s: a year of a busy install is 1M items, and the 72 h window holds ~8,200.
const GAP_SECONDS = 31.5;
const START = Date.parse('2025-01-01T00:00:00Z');

/**
 * Cost of grouping a poll's new items into stories, with 10k, 100k and 1M items already stored
 * (grouped, with SimHash bands): it must not grow with what is stored. Each round stores a batch
 * of new items in a new feed (~250-word texts; one in ten a copy, by URL, of a stored item) and
 * times groupStories over them. Own database, dropped afterwards.
 */
export async function benchStoryGrouping(
  sizes = [10_000, 100_000, 1_000_000],
  batch = 500,
  rounds = 3,
): Promise<string[]> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = `topicwire_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const config = loadConfig({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`, LOG_LEVEL: 'silent' });
  const db = createDb(config.DATABASE_URL);
  const lines: string[] = [];
  try {
    await migrateToLatest(db);
    await sql`INSERT INTO feeds (url, interval_seconds) SELECT 'https://site' || f || '.example/feed', 900 FROM generate_series(1, ${FEEDS + 1}) f`.execute(
      db,
    );
    let stored = 0;
    let base: number | null = null;
    for (const size of sizes) {
      const fillStarted = performance.now();
      await fillTo(db, stored, size);
      stored = size;
      const fillSeconds = ((performance.now() - fillStarted) / 1000).toFixed(0);
      const perItem: number[] = [];
      for (let round = 0; round < rounds; round++) {
        await storeNewBatch(db, FEEDS + 1, batch, size, round);
        const started = performance.now();
        const grouped = await groupStories({ db, config, log: createLogger('silent') });
        perItem.push((performance.now() - started) / grouped);
        await db
          .deleteFrom('items')
          .where('feed_id', '=', FEEDS + 1)
          .execute();
        // Untimed: the next round must not pay for this one's dead rows (autovacuum would, at random).
        await sql`VACUUM ANALYZE items, item_bands`.execute(db);
      }
      const median = quantile(perItem, 0.5);
      base ??= median;
      lines.push(
        `${size.toLocaleString('en')} stored: ${median.toFixed(2)} ms per item (${(1000 / median).toFixed(0)} items/s; rounds ${perItem.map((v) => v.toFixed(2)).join(', ')} ms), ` +
          `${(median / base).toFixed(2)}× the first size; filled in ${fillSeconds} s`,
      );
    }
  } finally {
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  return lines;
}

/** Stored, grouped items from..to-1, each its own story with a pseudo-random SimHash and its bands. */
async function fillTo(db: Db, from: number, to: number): Promise<void> {
  for (let lo = from; lo < to; lo += 100_000) {
    const hi = Math.min(to, lo + 100_000);
    await sql`
      INSERT INTO items (id, feed_id, identity_hash, guid, url, canonical_url, title, summary, content_html, content_text, author,
                         categories, language, enclosures, sort_at, fetched_at, content_hash, story_id, simhash)
      SELECT v.id, 1 + v.g % ${FEEDS}, md5(v.g::text), '', v.url, v.url, 'Stored story ' || v.g, '', '', 'Text of stored story ' || v.g, '',
             '{}', 'en', '[]', v.at, v.at, md5(v.g::text), v.id, ('x' || md5(v.g::text))::bit(64)::bigint
      FROM (SELECT nextval('items_id_seq') AS id, g, 'https://site' || (1 + g % ${FEEDS}) || '.example/story/' || g AS url,
                   to_timestamp(${START / 1000}::float8 + g * ${GAP_SECONDS}::float8) AS at
            FROM generate_series(${lo}::bigint, ${hi - 1}::bigint) g) v`.execute(db);
    await sql`
      INSERT INTO item_bands (band_key, sort_at, item_id, simhash)
      SELECT (((i.simhash >> (b * ${BLOCK_BITS})) & ${(1 << BLOCK_BITS) - 1}) | (b << ${BLOCK_BITS}))::int, i.sort_at, i.id, i.simhash
      FROM items i CROSS JOIN generate_series(0, ${BLOCK_COUNT - 1}) b
      WHERE i.content_hash IN (SELECT md5(g::text) FROM generate_series(${lo}::bigint, ${hi - 1}::bigint) g)`.execute(
      db,
    );
  }
  await sql`VACUUM ANALYZE items, item_bands`.execute(db);
}

const WORDS = Array.from({ length: 5000 }, (_, i) => `w${(i * 7919) % 100_003}`);

/** A poll's new items, ungrouped, dated after everything stored; one in ten shares a stored item's URL and title. */
async function storeNewBatch(db: Db, feedId: number, batch: number, stored: number, round: number): Promise<void> {
  const at = new Date(START + stored * GAP_SECONDS * 1000);
  const rows = Array.from({ length: batch }, (_, i) => {
    const copyOf = i % 10 === 0 ? Math.floor(Math.random() * stored) : -1;
    const url =
      copyOf >= 0 ? `https://site${1 + (copyOf % FEEDS)}.example/story/${copyOf}` : `https://new.example/${round}/${i}`;
    const text = Array.from({ length: 250 }, () => WORDS[Math.floor(Math.random() ** 2 * WORDS.length)]).join(' ');
    return {
      feed_id: feedId,
      identity_hash: `new-${round}-${i}`,
      guid: '',
      url,
      canonical_url: url,
      title: copyOf >= 0 ? `Stored story ${copyOf}` : `New story ${i}`,
      summary: '',
      content_html: '',
      content_text: text,
      author: '',
      categories: [],
      language: 'en',
      enclosures: '[]',
      sort_at: at,
      fetched_at: at,
      content_hash: `new-${round}-${i}`,
    };
  });
  await db.insertInto('items').values(rows).execute();
}
