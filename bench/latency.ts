import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/service.js';
import { quantile } from './quantile.js';

/**
 * Time from "feed added" (POST /api/v1/feeds) to "all its items visible in a topic feed"
 * (GET /topics/:slug/feed.json), for a local feed of N items, with the whole service in one
 * process at its default scheduler tick. Its own database and Redis prefix; dropped afterwards.
 */
export async function feedToTopicLatency(
  items = 100,
  runs = 5,
): Promise<{ items: number; runsMs: number[]; medianMs: number }> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = `topicwire_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const config = loadConfig({
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`,
    QUEUE_PREFIX: `bench-${name}`,
    API_TOKEN: 'bench',
    FETCH_ALLOW_PRIVATE: 'true',
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const db = createDb(config.DATABASE_URL);
  await migrateToLatest(db);
  const service = await startService(config, db, createLogger('silent'));
  const api = `http://127.0.0.1:${service.port}`;
  const feedServer = http.createServer((req, res) => {
    const run = req.url!.slice(1);
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.end(
      `<rss version="2.0"><channel><title>Bench ${run}</title>${Array.from(
        { length: items },
        (_, i) =>
          `<item><guid>${run}-${i}</guid><title>Story ${i} about the benchmark</title><link>https://bench.example/${run}/${i}</link>` +
          `<description>${'Some words about the news of the day. '.repeat(40)}</description></item>`,
      ).join('')}</channel></rss>`,
    );
  });
  await new Promise<void>((r) => feedServer.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;
  const post = (path: string, body: unknown) =>
    fetch(api + path, {
      method: 'POST',
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const runsMs: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      await post('/api/v1/topics', { slug: `bench-${run}`, name: 'Bench', rule: `feed:"bench ${run}" AND benchmark` });
      const started = performance.now();
      await post('/api/v1/feeds', { url: `${origin}/${run}` });
      // Every item tagged (the API lists them all), and the topic feed serving its newest page.
      for (;;) {
        const listed = (await (await fetch(`${api}/api/v1/items?topic=bench-${run}&limit=200`)).json()) as {
          items: unknown[];
        };
        const doc = (await (await fetch(`${api}/topics/bench-${run}/feed.json`)).json()) as { items: unknown[] };
        if (listed.items.length === items && doc.items.length === Math.min(items, 50)) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      runsMs.push(Math.round(performance.now() - started));
    }
  } finally {
    await service.close();
    await db.destroy();
    feedServer.close();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
  return { items, runsMs, medianMs: quantile(runsMs, 0.5) };
}
