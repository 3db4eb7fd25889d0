import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { deleteKeysUnder } from '../src/queue/redis.js';
import { benchItem, storeBenchItems, withSearchIndexBuiltAfter } from './seed.js';
import { prng, vocab, zipf } from './rules.js';
import { ADMIN_URL, ROOT } from './env.js';

const FEEDS = 1000;
const GAP_MS = 2_000;
/** Two words of the items' vocabulary: a common one and one in a few percent of the items. */
const SEARCH = `${vocab.en[11]} ${vocab.en[1500]}`;
/** The topic every page is read from: one item in five. */
export const BIG_TOPIC = 'world';

export interface ApiBenchOptions {
  items: number;
  topics: number;
  connections: number[];
  durationSeconds: number;
  /** An existing database seeded by an earlier run (API_BENCH_DB), kept afterwards. */
  database?: string;
}

/**
 * `npm run bench -- api [--items N] [--duration S]`: the read API over a store of N items (1,000,000
 * by default) in 1,000 feeds and 1,000 topics, each endpoint against a bare Express route that sends
 * the same bytes, both as separate processes, driven by autocannon at 50 and 200 connections in
 * turn. Endpoints: a topic's first page, a page 100,000 items deep by cursor, the topic's Atom feed
 * fresh and answered 304, and a two-word search.
 */
export async function benchApi(options: ApiBenchOptions): Promise<string[]> {
  const out: string[] = [];
  const say = (line: string) => {
    out.push(line);
    console.log('  ' + line);
  };
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = options.database ?? `topicwire_bench_api_${randomBytes(4).toString('hex')}`;
  const fresh = !(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
  if (fresh) await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  const db = createDb(dbUrl.href, 4);
  const dir = mkdtempSync(path.join(tmpdir(), 'topicwire-bench-api-'));
  const children: ChildProcess[] = [];
  try {
    await migrateToLatest(db);
    const stored = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM items`.execute(db)).rows[0]!.n);
    if (stored < options.items) {
      const started = performance.now();
      await seed(db, options.items, options.topics, stored);
      say(
        `seeded ${options.items.toLocaleString('en')} items in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    const counts = (
      await sql<{ items: string; topics: string; big: string; bytes: string }>`
        SELECT (SELECT count(*) FROM items) AS items, (SELECT count(*) FROM topics) AS topics,
               (SELECT count(*) FROM item_topics it JOIN topics t ON t.id = it.topic_id WHERE t.slug = ${BIG_TOPIC}) AS big,
               pg_database_size(current_database()) AS bytes`.execute(db)
    ).rows[0]!;
    say(
      `store: ${Number(counts.items).toLocaleString('en')} items, ${counts.topics} topics, "${BIG_TOPIC}" holds ${Number(counts.big).toLocaleString('en')}; database ${(Number(counts.bytes) / 2 ** 30).toFixed(1)} GiB`,
    );

    const port = 20000 + Math.floor(Math.random() * 20000);
    const api = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl.href,
        QUEUE_PREFIX: `bench-${name}`,
        ROLE: 'api',
        // The load comes from one address: the budgets (src/api/rate-limits.ts) would measure themselves.
        RATE_LIMIT_READS: '0',
        RATE_LIMIT_SEARCHES: '0',
        PORT: String(port),
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(api);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok ?? false);

    // The requests, and what each answered once: the bare route sends those bytes.
    const deep = (
      await sql<{ sort_at: Date; item_id: number }>`
        SELECT it.sort_at, it.item_id FROM item_topics it JOIN topics t ON t.id = it.topic_id
         WHERE t.slug = ${BIG_TOPIC} ORDER BY it.sort_at DESC, it.item_id DESC OFFSET 100000 LIMIT 1`.execute(db)
    ).rows[0];
    const cursor = deep
      ? Buffer.from(JSON.stringify([deep.sort_at.toISOString(), Number(deep.item_id)])).toString('base64url')
      : '';
    const atom = `/topics/${BIG_TOPIC}/feed.atom`;
    const etag = (await fetch(base + atom)).headers.get('etag') ?? '';
    const cases = [
      { label: 'topic page (50 items)', path: `/api/v1/items?topic=${BIG_TOPIC}&limit=50` },
      { label: 'page 100,000 deep (cursor)', path: `/api/v1/items?topic=${BIG_TOPIC}&limit=50&cursor=${cursor}` },
      { label: 'Atom feed', path: atom },
      { label: 'Atom feed, 304', path: atom, headers: { 'if-none-match': etag } },
      { label: `search "${SEARCH}"`, path: `/api/v1/items?q=${encodeURIComponent(SEARCH)}&limit=50` },
    ];
    const routes = [];
    for (const [i, c] of cases.entries()) {
      const res = await fetch(base + c.path, { headers: c.headers });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 && res.status !== 304) throw new Error(`${c.path}: ${res.status} ${body}`);
      const bodyFile = path.join(dir, `body-${i}`);
      writeFileSync(bodyFile, body);
      routes.push({ path: `/bare/${i}`, status: res.status, type: res.headers.get('content-type') ?? '', bodyFile });
      Object.assign(c, { bytes: body.length, status: res.status });
    }
    const routesFile = path.join(dir, 'routes.json');
    writeFileSync(routesFile, JSON.stringify(routes));
    const bare = spawn(process.execPath, [path.join(ROOT, 'dist/bench/bare-route.js'), routesFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(bare);
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port));
      bare.once('exit', () => reject(new Error('the bare route did not start')));
    });

    say(
      `autocannon, ${options.durationSeconds} s a run, bare route and ours in turn (req/s, p99 ms; ours as a share of the bare route's rate and a multiple of its p99):`,
    );
    say('| request | body | connections | bare req/s | bare p99 | ours req/s | ours p99 | rate ratio | p99 ratio |');
    say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [i, c] of cases.entries()) {
      for (const connections of options.connections) {
        const b = await load(`http://127.0.0.1:${barePort}/bare/${i}`, c.headers, connections, options.durationSeconds);
        const o = await load(base + c.path, c.headers, connections, options.durationSeconds);
        const bytes = (c as unknown as { bytes: number }).bytes;
        say(
          `| ${c.label} | ${bytes ? `${(bytes / 1024).toFixed(0)} KB` : '304, empty'} | ${connections} | ${b.rps.toFixed(0)} | ${b.p99} | ${o.rps.toFixed(0)} | ${o.p99} | ${(o.rps / b.rps).toFixed(2)} | ${(o.p99 / b.p99).toFixed(2)} |` +
            (o.errors ? ` ${o.errors} errors/non-2xx` : ''),
        );
      }
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await deleteKeysUnder(redis, `bench-${name}`).finally(() => redis.disconnect());
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (!options.database) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  return out;
}

/** One autocannon run after a short warm-up: requests per second, p99 latency, failures. */
async function load(
  url: string,
  headers: Record<string, string> | undefined,
  connections: number,
  seconds: number,
): Promise<{ rps: number; p99: number; errors: number }> {
  await autocannon({ url, headers, connections, duration: 2 });
  const result = await autocannon({ url, headers, connections, duration: seconds });
  const expected = headers?.['if-none-match'] ? result['3xx'] : result['2xx'];
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.requests.total - expected > connections ? result.non2xx : 0),
  };
}

/**
 * 1,000 feeds, `topics` topics (one of them, "world", holding one item in five; each other item
 * in one small topic) and `size` items of ~2.5 KB of English text, as upsertItems stores them
 * (search keys included), then tagged in SQL. Stories of one item, as most are.
 */
export async function seed(db: Db, size: number, topicCount: number, from: number): Promise<void> {
  if (from === 0) {
    await sql`INSERT INTO feeds (url, title, interval_seconds, next_poll_at)
      SELECT 'https://site' || n || '.example/feed.xml', 'Site ' || n, 900, now() + interval '1 year'
        FROM generate_series(1, ${FEEDS}) n`.execute(db);
    await sql`INSERT INTO topics (slug, name, rule, retag_status, feed_key) VALUES (${BIG_TOPIC}, 'World', 'world', 'done', md5(random()::text))`.execute(
      db,
    );
    await sql`INSERT INTO topics (slug, name, rule, retag_status, feed_key)
      SELECT 't' || n, 'Topic ' || n, 'word' || n, 'done', md5(random()::text || n) FROM generate_series(1, ${topicCount - 1}) n`.execute(
      db,
    );
  }
  const rand = prng(2026);
  const words = (n: number) => Array.from({ length: n }, () => zipf(vocab.en, rand)).join(' ');
  const start = Date.now() - size * GAP_MS;
  await withSearchIndexBuiltAfter(db, () =>
    storeBenchItems(db, from, size, (n) => {
      const paragraphs = Array.from({ length: 4 }, () => words(50));
      return benchItem(n, {
        feeds: FEEDS,
        at: new Date(start + n * GAP_MS),
        title: words(9),
        text: paragraphs,
        summary: paragraphs[0]!.slice(0, 280),
        author: 'A. Writer',
        categories: ['news'],
      });
    }),
  );
  // Nothing will group them (no workers run): they are stories of one.
  await sql`TRUNCATE ungrouped_items`.execute(db);
  await sql`DELETE FROM item_topics`.execute(db);
  await sql`INSERT INTO item_topics (topic_id, item_id, sort_at, matched_terms)
    SELECT t.id, i.id, i.sort_at, '[{"term":"world","fields":["content"]}]'::jsonb
      FROM items i, topics t WHERE t.slug = ${BIG_TOPIC} AND i.id % 5 = 0`.execute(db);
  await sql`INSERT INTO item_topics (topic_id, item_id, sort_at, matched_terms)
    SELECT t.id, i.id, i.sort_at, '[]'::jsonb
      FROM items i JOIN topics t ON t.slug = 't' || (1 + i.id % ${topicCount - 1})`.execute(db);
  await sql`VACUUM ANALYZE`.execute(db);
}

export async function waitUntil(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the API did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}
