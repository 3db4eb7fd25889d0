import { sql } from 'kysely';
import { OPERATOR } from '../src/app/access.js';
import { findItems } from '../src/app/items.js';
import { loadConfig } from '../src/config.js';
import { type Db } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { searchQueryKeys } from '../src/rules/search-keys.js';
import { TopicMatcherCache } from '../src/app/topic-matcher-cache.js';
import { quantile } from './quantile.js';
import { prng, vocab, zipf } from './rules.js';
import { benchDatabase, benchItem, storeBenchItems, storedItems, withSearchIndexBuiltAfter } from './seed.js';

const FEEDS = 100;
const GAP_MS = 2_000;
const WORDS = 120; // ~0.8 KB of text an item
const KANA = [...'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん'];
const KANJI = [...'日本人大年中出本一国会事生上分地間同時行方自社前後者業市経長円'];

/** Plants: a token and the share of items (of its language) that carry it. */
const PLANTS = {
  en: [
    ['korea', 0.03],
    ['north korea', 0.01],
    ['heron', 0.01],
    ['zebrafish', 0.0005],
  ],
  hi: [
    ['उत्तर कोरिया', 0.01],
    ['रूस', 0.03],
  ],
  ja: [
    ['東京', 0.02],
    ['北朝鮮', 0.01],
  ],
} as const;

/**
 * `npm run bench -- search-rules [--items N]` (issue 18, part 6): searches in the rule language
 * through the application layer (`findItems`, as `GET /api/v1/items?q=` runs them: the index for
 * candidates, the rule's matcher to decide, one item per story, first page of 50) over N stored
 * items (1,000,000 by default: 70% English, 15% Hindi, 15% Japanese, ~0.8 KB each), beside the
 * bare indexed query on the same keys in PostgreSQL. p50 and p95 of 20 runs each. Its own
 * database (SEARCH_BENCH_DB keeps one between runs).
 */
export async function benchSearchRules(size = 1_000_000, runs = 20): Promise<string[]> {
  const out: string[] = [];
  const say = (line: string) => {
    out.push(line);
    console.log('  ' + line);
  };
  const { db, url, close } = await benchDatabase('topicwire_bench_search', process.env.SEARCH_BENCH_DB);
  try {
    const stored = await storedItems(db);
    if (stored < size) {
      const started = performance.now();
      await seed(db, size, stored);
      say(`seeded ${size.toLocaleString('en')} items in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const ctx = {
      db,
      config,
      log: createLogger('silent'),
      jobs: { enqueue: async () => {}, pending: async () => false },
      topics: new TopicMatcherCache(),
    };
    const common = vocab.en[3]!;
    const commonHi = vocab.hi[2]!;
    const searches = [
      ['common word', common],
      ['rare word (0.05%)', 'zebrafish'],
      ['word in 1%', 'heron'],
      ['phrase (1%)', '"north korea"'],
      ['NOT', 'korea -north'],
      ['OR of two', 'heron OR zebrafish'],
      ['AND with a common word', `heron ${common}`],
      ['Hindi word', 'रूस'],
      ['Hindi common word', commonHi],
      ['Hindi phrase', '"उत्तर कोरिया"'],
      ['Japanese', '東京'],
      ['Japanese, two terms', '北朝鮮 OR 東京'],
      ['in no item', 'zqxzqx'],
      ['Latin prefix alone (the index cannot narrow)', 'zebra*'],
    ] as const;
    say(
      `${size.toLocaleString('en')} items; first page of 50, one per story, ${runs} runs each (ms); beside it the bare GIN query for the same keys (newest 50 holding all of them):`,
    );
    say('| search | q | found on page | p50 | p95 | bare query p50 | bare p95 |');
    say('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [label, q] of searches) {
      const ms: number[] = [];
      let found = 0;
      for (let r = 0; r < runs; r++) {
        const started = performance.now();
        const page = await findItems(ctx, { q, stories: true }, 50, null, OPERATOR);
        ms.push(performance.now() - started);
        found = page.items.length;
      }
      const keys = searchQueryKeys(q.replace(/[()"*-]|\bOR\b/g, ' '));
      const bare: number[] = [];
      for (let r = 0; r < runs; r++) {
        const started = performance.now();
        await sql`SELECT id FROM items WHERE search_keys @> ${sql.lit(`{${keys.join(',')}}`)}::int4[]
          ORDER BY sort_at DESC, id DESC LIMIT 50`.execute(db);
        bare.push(performance.now() - started);
      }
      const f = (v: number) => v.toFixed(1);
      say(
        `| ${label} | \`${q}\` | ${found} | ${f(quantile(ms, 0.5))} | ${f(quantile(ms, 0.95))} | ${f(quantile(bare, 0.5))} | ${f(quantile(bare, 0.95))} |`,
      );
    }
  } finally {
    await close();
  }
  return out;
}

/** Items with planted terms; the search index is built after loading (faster than kept up row by row). */
async function seed(db: Db, size: number, from: number): Promise<void> {
  if (from === 0) {
    await sql`INSERT INTO feeds (url, title, interval_seconds, next_poll_at)
      SELECT 'https://site' || n || '.example/feed.xml', 'Site ' || n, 900, now() + interval '1 year'
        FROM generate_series(1, ${FEEDS}) n`.execute(db);
  }
  const rand = prng(2026 + from);
  const start = Date.now() - size * GAP_MS;
  const japanese = () =>
    Array.from({ length: 60 }, () =>
      Array.from({ length: 2 + Math.floor(rand() * 4) }, () =>
        rand() < 0.4 ? KANJI[Math.floor(rand() * KANJI.length)] : KANA[Math.floor(rand() * KANA.length)],
      ).join(''),
    ).join('、');
  await withSearchIndexBuiltAfter(db, async () => {
    await storeBenchItems(db, from, size, (n) => {
      const lang = n % 20 < 14 ? 'en' : n % 20 < 17 ? 'hi' : 'ja';
      let text =
        lang === 'ja'
          ? japanese()
          : Array.from({ length: WORDS }, () => zipf(lang === 'en' ? vocab.en : vocab.hi, rand)).join(' ');
      for (const [token, share] of PLANTS[lang]) if (rand() < share) text += ` ${token} ${text.slice(0, 40)}`;
      return benchItem(n, {
        feeds: FEEDS,
        at: new Date(start + n * GAP_MS),
        title: text.slice(0, 60),
        text: [text],
        language: lang,
      });
    });
    // Stories of one, set before the index exists (an update writes every index again).
    await sql`TRUNCATE ungrouped_items`.execute(db);
    await sql`UPDATE items SET story_id = id WHERE story_id IS NULL`.execute(db);
  });
  await sql`VACUUM ANALYZE items`.execute(db);
}
