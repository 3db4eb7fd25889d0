import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../src/db/database.js';
import { INSERT_WORK_MEM } from '../src/db/items.repository.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { deleteKeysUnder } from '../src/queue/redis.js';
import { buildOpml } from '../src/pipeline/parse/opml.js';
import { serveFarm, type Farm } from './farm.js';
import { cpuSeconds, peakMemoryMiB, postgresCpuSeconds, redisCpuSeconds } from './procs.js';
import { quantile } from './quantile.js';
import { makeRules, prng } from './rules.js';
import { ADMIN_URL, ROOT } from './env.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'bench';
const TOPICS = 100;

export interface IngestOptions {
  feeds: number;
  workers: number;
  feedsPerHost: number;
  /** Items already stored (in one disabled feed of their own) before the farm is ingested: the store's size. */
  stored: number;
  /** Settings for the service's processes beyond the defaults (none by default: the issue's runs use the defaults). */
  env: Record<string, string>;
  timeoutSeconds: number;
}

interface Role {
  kind: 'api' | 'scheduler' | 'worker';
  child: ChildProcess;
}

/**
 * `npm run bench -- ingest --feeds N [--workers K] [--feeds-per-host H]`: a farm of N feeds
 * ingested from empty by the service as separate processes (API, scheduler, K workers) at their
 * default settings, 100 topics, story grouping and search indexes on; then the steady passes.
 * Prints the rate, CPU per process kind (PostgreSQL and Redis included), memory, flatness, the
 * raw-insert baseline beside it, the API's latency meanwhile, and how right the stories are.
 */
export async function benchIngest(options: IngestOptions): Promise<string[]> {
  const out: string[] = [];
  const say = (line: string) => {
    out.push(line);
    console.log('  ' + line);
  };
  const name = `topicwire_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  const db = createDb(dbUrl.href, 4);
  const redis = new Redis(REDIS_URL);
  // Generating a large farm holds the event loop for a minute: a connect timeout then is retried.
  redis.on('error', () => {});
  const prefix = `bench-${name}`;
  const roles: Role[] = [];
  const started = performance.now();
  const { farm, server, politeness } = await serveFarm({ feeds: options.feeds, feedsPerHost: options.feedsPerHost });
  say(
    `farm: ${farm.feeds.length} feeds, ${farm.itemCount} items, ${(farm.feeds.reduce((n, f) => n + f.body.length, 0) / 1e6).toFixed(1)} MB, ` +
      `${options.feedsPerHost} feed(s) per host; generated in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  let answered304 = 0;
  server.on('request', (_req, res) => res.on('finish', () => void (res.statusCode === 304 && answered304++)));
  try {
    await migrateToLatest(db);
    const filler = options.stored > 0 ? await fillStore(db, options.stored, say) : null;
    // The farm's own rows, stored after the filler: every count and score below leaves the filler
    // out, by id (an index range; filtering by feed read the million rows at every count).
    const farmItems = filler === null ? sql`TRUE` : sql`id > ${filler.lastId}`;
    const apiPort = 20000 + Math.floor(Math.random() * 20000);
    const env = {
      ...process.env,
      DATABASE_URL: dbUrl.href,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      API_TOKEN: TOKEN,
      FETCH_ALLOW_PRIVATE: 'true',
      PORT: String(apiPort),
      LOG_FORMAT: 'json',
      ...options.env,
    };
    const start = (kind: Role['kind']) => {
      // BENCH_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service's processes.
      const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const child = spawn(
        process.execPath,
        [...nodeArgs, '--enable-source-maps', path.join(ROOT, 'dist/src/main.js')],
        {
          env: { ...env, ROLE: kind },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      roles.push({ kind, child });
    };
    start('api');
    await waitFor(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => null))?.ok, 60_000);
    start('scheduler');
    for (let w = 0; w < options.workers; w++) start('worker');
    const api = (method: string, route: string, body?: unknown, type = 'application/json') =>
      fetch(`http://127.0.0.1:${apiPort}${route}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    const rand = prng(1600);
    for (const [i, rule] of makeRules(TOPICS, rand).entries()) {
      const res = await api('POST', '/api/v1/topics', { slug: `t${i}`, name: `Topic ${i}`, rule });
      if (res.status !== 201) throw new Error(`topic ${i}: ${res.status} ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 2000)); // the workers start and compile the topics

    // From here on the clock runs: the OPML import, then polls until every item is stored.
    const cpu0 = cpuByKind(roles);
    const pg0 = postgresCpuSeconds();
    const redis0 = await redisCpuSeconds(redis);
    const t0 = Date.now();
    const opml = buildOpml(
      farm.feeds.map((f) => ({ url: farm.url(f), title: f.title, siteUrl: '', tags: [] })),
      'farm',
    );
    const imported = await api('POST', '/api/v1/opml', opml, 'text/x-opml');
    const opmlMs = Date.now() - t0;
    if (!imported.ok) throw new Error(`OPML import: ${imported.status} ${await imported.text()}`);
    say(`OPML import of ${farm.feeds.length} feeds answered in ${opmlMs} ms`);

    const latencies = { read: [] as number[], write: [] as number[] };
    const probe = probeApi(api, latencies);
    let lastPrint = Date.now();
    // Progress from PostgreSQL's statistics (a counter, no scan: counting the items every 250 ms
    // cost PostgreSQL ~0.1 CPU-ms an item); the count is exact once it says done, and the time
    // storing ended is the last item's.
    const inserted = async () =>
      Number(
        (await sql<{ n: string }>`SELECT n_tup_ins AS n FROM pg_stat_user_tables WHERE relname = 'items'`.execute(db))
          .rows[0]?.n ?? 0,
      ) - options.stored;
    const storedCount = async () =>
      Number(
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items WHERE ${farmItems}`.execute(db)).rows[0]!.n,
      );
    let lastExact = Date.now();
    const done = await waitFor(async () => {
      const n = await inserted();
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        console.log(`    … ${n} of ${farm.itemCount} items after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
      // The counters can lag (a backend reports its counts when it goes idle): the exact count
      // every 5 s settles it.
      if (n < farm.itemCount && Date.now() - lastExact < 5000) return null;
      lastExact = Date.now();
      if ((await storedCount()) < farm.itemCount) return null;
      const last = await sql<{ at: Date }>`SELECT max(fetched_at) AS at FROM items WHERE ${farmItems}`.execute(db);
      return last.rows[0]!.at.getTime();
    }, options.timeoutSeconds * 1000).catch(() => null);
    const stored = await storedCount();
    const t1 = done ?? Date.now();
    if (!done) say(`TIMED OUT after ${options.timeoutSeconds} s with ${stored} of ${farm.itemCount} items stored`);
    // Grouping into stories follows storing (its own jobs): the ingest is done when both are.
    const grouped = await waitFor(
      async () =>
        Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ungrouped_items`.execute(db)).rows[0]!.n) === 0
          ? Date.now()
          : null,
      options.timeoutSeconds * 1000,
    ).catch(() => null);
    probe.stop();
    const t2 = grouped ?? Date.now();
    const seconds = (t2 - t0) / 1000;
    const cpu1 = cpuByKind(roles);
    const pgCpu = postgresCpuSeconds() - pg0;
    const redisCpu = (await redisCpuSeconds(redis)) - redis0;
    const rate = stored / seconds;
    const perK = (s: number) => ((s / stored) * 1000).toFixed(2);
    const node = Object.keys(cpu1).reduce((n, k) => n + (cpu1[k]! - (cpu0[k] ?? 0)), 0);
    const total = node + pgCpu + redisCpu;
    say(
      `${stored} items stored in ${((t1 - t0) / 1000).toFixed(1)} s (${(stored / ((t1 - t0) / 1000)).toFixed(0)} items/s), ` +
        `and grouped into stories ${grouped ? `${((t2 - t1) / 1000).toFixed(1)} s later` : 'not in time'}: ${rate.toFixed(0)} items/s stored and grouped`,
    );
    say(
      `CPU-s per 1,000 items: ${Object.keys(cpu1)
        .map((k) => `${k} ${perK(cpu1[k]! - (cpu0[k] ?? 0))}`)
        .join(', ')}, PostgreSQL ${perK(pgCpu)}, Redis ${perK(redisCpu)}; all ${perK(total)}`,
    );
    say(
      `peak memory (MiB): ${roles.map((r) => `${r.kind} ${peakMemoryMiB(r.child.pid!)?.toFixed(0) ?? '?'}`).join(', ')}`,
    );
    const flat = await flatness(db, t0, farmItems);
    say(
      `storing: over the first 10% of feeds ${flat.first.toFixed(0)} items/s, the last 10% ${flat.last.toFixed(0)} items/s: flatness ${flat.ratio.toFixed(2)}`,
    );
    say(
      `API during the ingest: reads p50 ${quantile(latencies.read, 0.5).toFixed(0)} ms, p99 ${quantile(latencies.read, 0.99).toFixed(0)} ms; ` +
        `writes p50 ${quantile(latencies.write, 0.5).toFixed(0)} ms, p99 ${quantile(latencies.write, 0.99).toFixed(0)} ms (${latencies.read.length} + ${latencies.write.length} requests)`,
    );
    say(await storyScore(db, farm, farmItems));
    say(
      `politeness seen by the farm: at most ${politeness.maxConcurrent} request(s) at once to one host` +
        (options.feedsPerHost > 1 ? `, at least ${politeness.minGapMs.toFixed(0)} ms between two to one host` : ''),
    );

    const raw = await rawInsertRate(dbUrl.href, filler?.lastId ?? 0);
    const q = rate / raw;
    say(
      `raw batched INSERT of the same rows into a copy of items (same indexes): ${raw.toFixed(0)} rows/s; ours ${(q * 100).toFixed(0)}% of it`,
    );

    // Three passes over unchanged feeds (one pass moves by a fifth between runs on this machine),
    // then one where 5% of the feeds changed.
    for (const fraction of [0, 0, 0, 0.05]) {
      const changed = fraction ? farm.change(fraction) : { feeds: 0, items: 0 };
      // A feed is polled again minutes later, on a new connection: none left open by the last pass
      // (the farm keeps idle ones for 30 s, which a pass seconds later would reuse).
      server.closeIdleConnections();
      const before = answered304;
      const itemsBefore = Number(
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items WHERE ${farmItems}`.execute(db)).rows[0]!.n,
      );
      const p0 = postgresCpuSeconds();
      const c0 = cpuByKind(roles);
      const from = new Date();
      await sql`UPDATE feeds SET next_poll_at = now() WHERE status <> 'disabled'`.execute(db);
      const passed = await waitFor(async () => {
        const { n } = (
          await sql<{ n: number }>`SELECT count(*)::int AS n FROM feeds WHERE last_polled_at >= ${from}`.execute(db)
        ).rows[0]!;
        return n >= farm.feeds.length ? Date.now() : null;
      }, 600_000).catch(() => null);
      const c1 = cpuByKind(roles);
      const nodeCpu = Object.keys(c1).reduce((n, k) => n + (c1[k]! - (c0[k] ?? 0)), 0);
      const itemsAfter = Number(
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items WHERE ${farmItems}`.execute(db)).rows[0]!.n,
      );
      say(
        `re-poll of ${farm.feeds.length} feeds (${changed.feeds} changed, ${changed.items} new items): ` +
          `${passed ? ((passed - from.getTime()) / 1000).toFixed(1) + ' s' : 'not finished in 10 min'}, ` +
          `${answered304 - before} answered 304, ${itemsAfter - itemsBefore} items stored; ` +
          `CPU ${nodeCpu.toFixed(1)} s Node + ${(postgresCpuSeconds() - p0).toFixed(1)} s PostgreSQL`,
      );
    }
    say(
      `ingest: ${rate.toFixed(0)} items/s, ${perK(total)} CPU-s per 1,000 items, flatness ${flat.ratio.toFixed(2)}, ${q.toFixed(2)} of raw inserts`,
    );
    return out;
  } finally {
    for (const r of roles) r.child.kill('SIGTERM');
    await Promise.all(
      roles.map(
        (r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve))),
      ),
    );
    server.close();
    await db.destroy();
    // KEEP_DB=1 leaves the database for a look at what was stored (its name is printed).
    if (process.env.KEEP_DB) console.log(`  kept the database ${name}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  }
}

/**
 * Fills the store with `count` items of one disabled feed before the ingest (--stored N), written
 * by PostgreSQL itself (~1.5 KB of text each, dated before the farm's, search keys empty, no
 * fingerprint: they take part in no search, story or topic), so that the ingest and the re-polls
 * run against a large store. Returns the feed's id and the last filler item's id.
 */
async function fillStore(
  db: Db,
  count: number,
  say: (line: string) => void,
): Promise<{ feedId: number; lastId: number }> {
  const started = performance.now();
  const feed = await sql<{ id: number }>`
    INSERT INTO feeds (url, status, disabled_reason, interval_seconds, next_poll_at)
    VALUES ('http://filler.invalid/feed', 'disabled', 'benchmark filler', 86400, 'infinity')
    RETURNING id`.execute(db);
  const id = Number(feed.rows[0]!.id);
  for (let lo = 1; lo <= count; lo += 100_000) {
    const hi = Math.min(count, lo + 99_999);
    await sql`
      INSERT INTO items (feed_id, identity_hash, guid, url, canonical_url, title, summary, content_html,
                         content_text, author, categories, language, enclosures, published_at, sort_at,
                         fetched_at, content_hash, search_keys)
      SELECT ${id}, md5('filler' || g), 'filler-' || g, 'http://filler.invalid/' || g, 'http://filler.invalid/' || g,
             'Filler ' || g, '', '<p>' || t || '</p>', t, '', '{}', 'en', '[]', ts, ts, ts, md5(g::text), '{}'
      FROM generate_series(${lo}::int, ${hi}::int) AS g,
           LATERAL (SELECT repeat(md5(g::text) || ' ' || md5((g + 1)::text) || ' ', 23) AS t,
                           timestamptz '2026-09-01' + g * interval '5 seconds' AS ts) AS x`.execute(db);
  }
  await sql`VACUUM ANALYZE items`.execute(db);
  const last = await sql<{ id: number }>`SELECT max(id) AS id FROM items`.execute(db);
  say(`store filled with ${count} items beforehand in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { feedId: id, lastId: Number(last.rows[0]!.id) };
}

function cpuByKind(roles: Role[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const r of roles) sums[r.kind] = (sums[r.kind] ?? 0) + (cpuSeconds(r.child.pid!) ?? 0);
  return sums;
}

async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A read and a write to the API every 200 ms while the ingest runs, each timed. */
function probeApi(
  api: (method: string, route: string, body?: unknown) => Promise<Response>,
  into: { read: number[]; write: number[] },
): { stop(): void } {
  let running = true;
  void (async () => {
    let flip = false;
    while (running) {
      let t = performance.now();
      await (await api('GET', '/api/v1/items?limit=20')).arrayBuffer();
      into.read.push(performance.now() - t);
      t = performance.now();
      await (
        await api('PUT', '/api/v1/topics/t0', { name: flip ? 'Topic 0' : 'Topic zero', rule: await topicRule(api) })
      ).arrayBuffer();
      into.write.push(performance.now() - t);
      flip = !flip;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: () => void (running = false) };
}

let rule0: string | null = null;
async function topicRule(api: (method: string, route: string) => Promise<Response>): Promise<string> {
  rule0 ??= ((await (await api('GET', '/api/v1/topics/t0')).json()) as { topic: { rule: string } }).topic.rule;
  return rule0;
}

/** Items per second over the first and the last tenth of the feeds, by when each feed's first poll was stored. */
async function flatness(
  db: Db,
  t0: number,
  farmItems: RawBuilder<unknown>,
): Promise<{ first: number; last: number; ratio: number }> {
  // When each feed's first poll was stored (its oldest items' fetch time): a feed's last success
  // moves on with its later polls, which begin within minutes (POLL_MIN_SECONDS) of a long run.
  const { rows } = await sql<{ done: Date; items: number }>`
    SELECT min(fetched_at) AS done, count(*)::int AS items FROM items WHERE ${farmItems} GROUP BY feed_id ORDER BY 1`.execute(
    db,
  );
  const tenth = Math.max(1, Math.floor(rows.length / 10));
  const first = rows.slice(0, tenth);
  const last = rows.slice(rows.length - tenth);
  const sum = (r: typeof rows) => r.reduce((n, x) => n + x.items, 0);
  const firstRate = sum(first) / Math.max(0.001, (first[first.length - 1]!.done.getTime() - t0) / 1000);
  const lastStart = rows[rows.length - tenth - 1]?.done.getTime() ?? t0;
  const lastRate = sum(last) / Math.max(0.001, (last[last.length - 1]!.done.getTime() - lastStart) / 1000);
  return { first: firstRate, last: lastRate, ratio: lastRate / firstRate };
}

/** Precision and recall of the merges against the stories the farm planted. */
async function storyScore(db: Db, farm: Farm, farmItems: RawBuilder<unknown>): Promise<string> {
  const planted = new Map<string, number>();
  for (const f of farm.feeds) for (const i of f.items) if (i.story !== null) planted.set(i.guid, i.story);
  const rows = (
    await sql<{
      guid: string;
      story: number;
    }>`SELECT guid, coalesce(story_id, id)::int AS story FROM items WHERE ${farmItems}`.execute(db)
  ).rows;
  const storyOf = new Map(rows.map((r) => [r.guid, r.story]));
  const merged = pairsAgreeing(storyOf, planted);
  const plantedPairs = pairsAgreeing(planted, storyOf);
  return (
    `stories: ${merged.pairs} merged pairs, ${merged.agreeing} of them planted (precision ${(merged.agreeing / Math.max(1, merged.pairs)).toFixed(3)}); ` +
    `${plantedPairs.agreeing} of ${plantedPairs.pairs} planted pairs merged (recall ${(plantedPairs.agreeing / Math.max(1, plantedPairs.pairs)).toFixed(3)})`
  );
}

/** The pairs of items that share a label in `by`, and how many of them share one in `other` too. */
function pairsAgreeing(by: Map<string, number>, other: Map<string, number>): { pairs: number; agreeing: number } {
  const groups = new Map<number, string[]>();
  for (const [guid, label] of by) {
    const group = groups.get(label);
    if (group) group.push(guid);
    else groups.set(label, [guid]);
  }
  let pairs = 0;
  let agreeing = 0;
  for (const guids of groups.values()) {
    for (let a = 0; a < guids.length; a++) {
      for (let b = a + 1; b < guids.length; b++) {
        pairs++;
        const label = other.get(guids[a]!);
        if (label !== undefined && label === other.get(guids[b]!)) agreeing++;
      }
    }
  }
  return { pairs, agreeing };
}

/** The stored rows, inserted again in batches of 500 into a copy of items with the same indexes. */
async function rawInsertRate(url: string, afterFiller: number): Promise<number> {
  const columns = [
    'feed_id',
    'identity_hash',
    'guid',
    'url',
    'canonical_url',
    'credited_urls',
    'title',
    'summary',
    'content_html',
    'content_text',
    'author',
    'categories',
    'language',
    'enclosures',
    'published_at',
    'updated_at',
    'sort_at',
    'fetched_at',
    'content_hash',
    'search_keys',
    'simhash',
  ];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE raw_items (LIKE items INCLUDING ALL)');
    // The settings the service's own inserts run with (the search index's merges sort in it).
    await client.query(`SET work_mem = '${INSERT_WORK_MEM}'`);
    // Read in slices (a 10,000-feed farm stores ~3 GB of text); only the inserts are timed.
    let inserting = 0;
    let count = 0;
    for (let afterId = 0; ;) {
      const rows = (
        await client.query(`SELECT id, ${columns.join(', ')} FROM items WHERE id > $1 ORDER BY id LIMIT 5000`, [
          Math.max(afterId, afterFiller),
        ])
      ).rows as Record<string, unknown>[];
      if (rows.length === 0) break;
      afterId = Number(rows[rows.length - 1]!.id);
      const started = performance.now();
      for (let at = 0; at < rows.length; at += 500) {
        const params: unknown[] = [];
        const tuples = rows
          .slice(at, at + 500)
          .map(
            (row) =>
              `(${columns.map((c) => `$${params.push(c === 'enclosures' ? JSON.stringify(row[c]) : row[c])}`).join(', ')})`,
          );
        await client.query(`INSERT INTO raw_items (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
      }
      inserting += performance.now() - started;
      count += rows.length;
    }
    await client.query('DROP TABLE raw_items');
    return count / (inserting / 1000);
  } finally {
    await client.end();
  }
}
