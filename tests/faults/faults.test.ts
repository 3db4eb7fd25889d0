import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFarm, type Farm, type FarmControl } from '../../bench/farm.js';
import { QUEUE_NAMES } from '../../src/queue/job-graph.js';
import { freePort, OwnPostgres, OwnRedis } from '../helpers/services.js';
import { ServiceProcess } from './service-processes.js';

/*
 * Fault injection (`npm run test:faults`): the service as separate processes (API, scheduler, two
 * workers) on a PostgreSQL and a Redis of this test's own, ingesting a farm of a few hundred
 * feeds that keeps changing, while the test kills a worker, restarts Redis empty, restarts
 * PostgreSQL, terminates every database connection and makes the farm hang. Then: every item
 * stored once and tagged, no process crashed but the one killed, no job stuck, polling resumed
 * after Redis came back, no feed blamed for our faults, /readyz honest throughout. The figures
 * of the last run go in docs/reliability.md.
 */

const FEEDS = Number(process.env.FAULT_FEEDS ?? 300);
const TOKEN = 'faults-token';
const POLL_SECONDS = 10;
const SCHEDULER_EVERY_MS = 1000;

interface Figures {
  faults: string[];
  expected: number;
  stored: number;
  lost: number;
  doubled: number;
  untagged: number;
  feedsFailing: number;
  feedsDisabled: number;
  redisBackToFirstPollMs: number;
  redisBackToAllPolledMs: number;
  readyzWhileRedisDown: number;
  readyzWhilePostgresDown: number;
  readWhilePostgresDown: number;
  settledInMs: number;
  /** Jobs whose retries ran out during an outage, their work found again by the schedules. */
  jobsFailedForGood: number;
  /** Polls that met one of our faults (logged "for a reason of ours") and were retried. */
  pollsHitByFaults: number;
}

describe('fault injection under ingestion', () => {
  const postgres = new OwnPostgres();
  const redis = new OwnRedis();
  let logDir: string;
  let farm: Farm;
  let control: FarmControl;
  let farmServer: http.Server;
  let apiPort: number;
  let env: Record<string, string>;
  const processes: ServiceProcess[] = [];
  const figures: Partial<Figures> = { faults: [] };
  let changing: NodeJS.Timeout | undefined;

  const start = async (name: string, role: string) => {
    const p = new ServiceProcess(name, { ...env, ROLE: role }, logDir);
    processes.push(p);
    await p.waitForLog('topicwire started', 60_000);
    return p;
  };
  const api = async (method: string, route: string, body?: string, type = 'application/json') => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': type } : {}) },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: postgres.url('topicwire') });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const readyz = async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status;
  const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const fault = (what: string) => figures.faults!.push(what);

  beforeAll(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), 'topicwire-faults-'));
    await postgres.start();
    await redis.start();
    ({ farm, control, server: farmServer } = await serveFarm({ feeds: FEEDS, items: 30, seed: 17 }));
    apiPort = await freePort();
    env = {
      DATABASE_URL: postgres.url('topicwire'),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'faults',
      API_TOKEN: TOKEN,
      PORT: String(apiPort),
      FETCH_ALLOW_PRIVATE: 'true',
      POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
      POLL_MIN_SECONDS: String(POLL_SECONDS),
      POLL_MAX_SECONDS: String(POLL_SECONDS),
      SCHEDULER_EVERY_MS: String(SCHEDULER_EVERY_MS),
      JOB_RETRY_MS: '500',
      FETCH_TIMEOUT_MS: '15000',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
    };
    // The API first: it creates the database and migrates it; the others find it ready.
    await start('api', 'api');
    await start('scheduler', 'scheduler');
    await start('worker-1', 'worker');
    await start('worker-2', 'worker');
  }, 180_000);

  afterAll(async () => {
    clearInterval(changing);
    for (const p of processes) await p.stop().catch(() => {});
    farmServer?.closeAllConnections();
    farmServer?.close();
    await redis.stop();
    await postgres.destroy();
    if (logDir && !process.env.KEEP_FAULT_LOGS) await rm(logDir, { recursive: true, force: true });
  });

  it('when processes, Redis and PostgreSQL fail during an ingest, then nothing is lost, doubled or blamed on a feed, and nothing crashes', async () => {
    const failures: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) failures.push(what);
    };

    // Topics: one holds every farm item (by feed title), one the Hindi ones.
    expect(
      (await api('POST', '/api/v1/topics', JSON.stringify({ slug: 'farm', name: 'Farm', rule: 'feed:farm' }))).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/v1/topics', JSON.stringify({ slug: 'hindi', name: 'Hindi', rule: 'lang:hi' }))).status,
    ).toBe(201);
    const opml = `<?xml version="1.0"?><opml version="2.0"><head><title>farm</title></head><body>${farm.feeds
      .map((f) => `<outline type="rss" text="${f.title}" xmlUrl="${farm.url(f)}"/>`)
      .join('')}</body></opml>`;
    const imported = await api('POST', '/api/v1/opml', opml, 'text/x-opml');
    expect(imported.status).toBe(201);
    expect(imported.body.added).toHaveLength(FEEDS);
    // The farm keeps changing: a quarter of the feeds get new items every 2 s until the faults are over.
    changing = setInterval(() => farm.change(0.25), 2000);
    await new Promise((r) => setTimeout(r, 3000));

    // 1. A worker killed in the middle of its jobs; a new one takes its place.
    const victim = processes.find((p) => p.name === 'worker-1')!;
    victim.kill9();
    fault('worker SIGKILL (and a new worker started)');
    await start('worker-3', 'worker');
    await new Promise((r) => setTimeout(r, 3000));

    // 2. Redis restarted empty: every queue, schedule and host lease gone.
    await redis.stop();
    fault('Redis killed and restarted empty');
    await waitUntil(async () => (await readyz()) === 503, 10_000, '/readyz to say Redis is away');
    figures.readyzWhileRedisDown = await readyz();
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    const redisBack = Date.now();
    await waitUntil(
      async () => [...control.lastRequestAt.values()].some((t) => t > redisBack),
      30_000,
      'a poll after Redis came back',
    );
    figures.redisBackToFirstPollMs =
      Math.min(...[...control.lastRequestAt.values()].filter((t) => t > redisBack)) - redisBack;
    await waitUntil(
      async () => farm.feeds.every((f) => (control.lastRequestAt.get(f.index) ?? 0) > redisBack),
      60_000,
      'every feed polled again after Redis came back',
    );
    figures.redisBackToAllPolledMs =
      Math.max(...farm.feeds.map((f) => control.lastRequestAt.get(f.index)!)) - redisBack;
    // The first poll within about one scheduler tick; every feed by its next due time, with
    // room for a machine whose other core is busy (13-20 s seen there, 8-9 s when idle).
    check(
      figures.redisBackToFirstPollMs <= 3 * SCHEDULER_EVERY_MS,
      `a feed polled within a few scheduler ticks of Redis coming back (took ${figures.redisBackToFirstPollMs} ms)`,
    );
    check(
      figures.redisBackToAllPolledMs <= (2 * POLL_SECONDS + 5) * 1000,
      `every feed polled again within two poll intervals of Redis coming back (took ${figures.redisBackToAllPolledMs} ms)`,
    );
    await waitUntil(async () => (await readyz()) === 200, 15_000, '/readyz ready after Redis');

    // 3. PostgreSQL restarted (a fast shutdown: every session ended, then back).
    await postgres.stop('fast');
    fault('PostgreSQL stopped and restarted');
    await waitUntil(async () => (await readyz()) === 503, 15_000, '/readyz to say PostgreSQL is away');
    figures.readyzWhilePostgresDown = await readyz();
    // A read meanwhile is told the truth: unavailable for now (503, Retry-After), not a 500.
    const during = await fetch(`http://127.0.0.1:${apiPort}/api/v1/items?limit=1`);
    figures.readWhilePostgresDown = during.status;
    check(
      during.status === 503 && during.headers.get('retry-after') !== null,
      `a read while PostgreSQL was away got ${during.status}`,
    );
    await new Promise((r) => setTimeout(r, 3000));
    await postgres.start();
    await waitUntil(async () => (await readyz()) === 200, 30_000, '/readyz ready after PostgreSQL');
    await new Promise((r) => setTimeout(r, 3000));

    // 4. Every database connection terminated at once.
    const terminated = await query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = 'topicwire' AND pid <> pg_backend_pid()`,
    );
    fault(`every database connection terminated (${terminated[0]!.n})`);
    await new Promise((r) => setTimeout(r, 3000));

    // 5. PostgreSQL crashes (an immediate shutdown: no checkpoint, recovery at the next start).
    await postgres.restart('immediate');
    fault('PostgreSQL crashed (immediate shutdown) and restarted');
    await waitUntil(async () => (await readyz()) === 200, 30_000, '/readyz ready after the crash');
    await new Promise((r) => setTimeout(r, 3000));

    // 6. The farm hangs for 6 s (less than the fetch deadline: slow feeds, not dead ones).
    control.hangUntil = Date.now() + 6000;
    fault('the farm hung for 6 s');
    await new Promise((r) => setTimeout(r, 8000));

    // The faults are over: the farm stops changing, and the service must settle by itself.
    clearInterval(changing);
    const settleFrom = Date.now();
    const expected = new Map(farm.feeds.map((f) => [farm.url(f), new Set(f.items.map((i) => i.guid))]));
    figures.expected = [...expected.values()].reduce((n, s) => n + s.size, 0);
    const storedNow = async () => (await query<{ n: number }>('SELECT count(*)::int AS n FROM items'))[0]!.n;
    await waitUntil(
      async () =>
        (await storedNow()) >= figures.expected! &&
        (await query<{ n: number }>('SELECT count(*)::int AS n FROM ungrouped_items'))[0]!.n === 0,
      // Jobs that met an outage wait up to a minute between retries; a busy machine adds its share.
      240_000,
      'every item stored and grouped',
    ).catch((err: Error) => failures.push(err.message));
    figures.settledInMs = Date.now() - settleFrom;

    // Every item of the farm stored exactly once, and tagged.
    const rows = await query<{ url: string; guid: string; n: number }>(
      'SELECT f.url, i.guid, count(*)::int AS n FROM items i JOIN feeds f ON f.id = i.feed_id GROUP BY f.url, i.guid',
    );
    const found = new Map<string, Set<string>>();
    let doubled = 0;
    for (const r of rows) {
      if (!found.has(r.url)) found.set(r.url, new Set());
      found.get(r.url)!.add(r.guid);
      doubled += r.n - 1;
    }
    let lost = 0;
    for (const [url, guids] of expected) for (const g of guids) if (!found.get(url)?.has(g)) lost++;
    figures.stored = rows.length;
    figures.lost = lost;
    figures.doubled = doubled;
    figures.untagged = (
      await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM items i WHERE NOT EXISTS (
           SELECT 1 FROM item_topics t JOIN topics tp ON tp.id = t.topic_id WHERE t.item_id = i.id AND tp.slug = 'farm')`,
      )
    )[0]!.n;
    check(lost === 0, `items lost: ${lost}`);
    check(doubled === 0, `items stored twice: ${doubled}`);
    check(figures.untagged === 0, `items without their topic: ${figures.untagged}`);

    // No feed blamed for our faults (the farm itself never failed: its hang was shorter than the deadline).
    const feeds = await query<{
      url: string;
      error_count: number;
      last_error: string | null;
      disabled_reason: string | null;
    }>('SELECT url, error_count, last_error, disabled_reason FROM feeds');
    figures.feedsFailing = feeds.filter((f) => f.error_count > 0 || f.last_error !== null).length;
    figures.feedsDisabled = feeds.filter((f) => f.disabled_reason !== null).length;
    check(
      figures.feedsFailing === 0,
      `feeds marked failing: ${JSON.stringify(feeds.filter((f) => f.last_error).slice(0, 3))}`,
    );
    check(figures.feedsDisabled === 0, `feeds disabled: ${figures.feedsDisabled}`);

    // No job stuck: nothing left active once the work is done.
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: { url: redis.url }, prefix: 'faults' });
      try {
        await waitUntil(
          async () => (await queue.getJobCounts('active'))['active'] === 0,
          60_000,
          `queue ${name} idle`,
        ).catch((err: Error) => failures.push(err.message));
        // A job whose retries ran out while PostgreSQL was away (a scheduler tick, a grouping) fails
        // for good by design: the schedules find its work again (the next tick, group-left-overs),
        // which the checks above prove. Counted for the report; what is not allowed is work lost.
        figures.jobsFailedForGood = (figures.jobsFailedForGood ?? 0) + (await queue.getFailedCount());
      } finally {
        await queue.close();
      }
    }

    // No process crashed but the one killed; each of the others stops cleanly when asked.
    for (const p of processes) {
      if (p.killedOnPurpose) continue;
      check(p.alive, `${p.name} died: ${JSON.stringify(p.exit)}\n${p.tail()}`);
      check(p.crashLines().length === 0, `${p.name} logged a crash: ${p.crashLines().slice(0, 3).join('\n')}`);
    }
    for (const p of processes) {
      if (p.killedOnPurpose) continue;
      const exit = await p.stop();
      check(exit.code === 0, `${p.name} did not stop cleanly: ${JSON.stringify(exit)}\n${p.tail()}`);
    }
    check(figures.readyzWhileRedisDown === 503, 'readyz while Redis was away');
    check(figures.readyzWhilePostgresDown === 503, 'readyz while PostgreSQL was away');

    figures.pollsHitByFaults = processes.reduce((n, p) => n + (p.log().match(/for a reason of ours/g)?.length ?? 0), 0);
    // The figures for docs/reliability.md.
    console.log(`fault injection: ${JSON.stringify(figures, null, 2)}`);
    expect(failures).toEqual([]);
  }, 600_000);
});
