import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { deleteKeysUnder } from '../src/queue/redis.js';
import { BIG_TOPIC, seed, waitUntil } from './api.js';
import { benchDatabase, storedItems } from './seed.js';
import { ROOT } from './env.js';
import { quantile } from './quantile.js';

const ADMIN_TOKEN = `bench-${randomBytes(8).toString('hex')}`;

/**
 * `npm run bench -- web [--items N] [--runs R]` (issue 19): the web app's budget. The JavaScript
 * a first load sends (gzip and brotli sizes of dist/web's scripts; the budget is 100 KB
 * compressed), and how long the first page of a topic takes to become visible in Debian's
 * Chromium with N items stored (1,000,000 by default; API_BENCH_DB reuses the read API
 * benchmark's database): from navigation to the first story drawn, with a cold browser cache
 * (a new context each run) and warm (the same context again), beside the topic's JSON page
 * alone fetched by the same browser.
 */
export async function benchWeb(options: { items: number; runs: number; database?: string }): Promise<void> {
  const dist = path.join(ROOT, 'dist/web/assets');
  const scripts = readdirSync(dist).filter((f) => f.endsWith('.js'));
  const bytes = scripts.map((f) => readFileSync(path.join(dist, f)));
  const sum = (f: (b: Buffer) => number) => bytes.reduce((n, b) => n + f(b), 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `  JavaScript of the first load (${scripts.length} file(s)): ${kb(sum((b) => b.length))} raw, ${kb(sum((b) => gzipSync(b, { level: 9 }).length))} gzip, ${kb(sum((b) => brotliCompressSync(b).length))} brotli (budget: 100 KB compressed)`,
  );

  const { db, url: dbUrl, name, close } = await benchDatabase('topicwire_bench_web', options.database);
  const children: ChildProcess[] = [];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const stored = await storedItems(db);
    if (stored < options.items) {
      const started = performance.now();
      await seed(db, options.items, 1000, stored);
      console.log(
        `  seeded ${options.items.toLocaleString('en')} items in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    children.push(
      spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
        env: {
          ...process.env,
          API_TOKEN: ADMIN_TOKEN,
          DATABASE_URL: dbUrl,
          QUEUE_PREFIX: `bench-${name}`,
          ROLE: 'api',
          PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok ?? false);
    const page = `${base}/topic/${BIG_TOPIC}`;

    const visible = async (context: Awaited<ReturnType<typeof browser.newContext>>) => {
      const tab = await context.newPage();
      const started = performance.now();
      await tab.goto(page, { waitUntil: 'commit' });
      await tab.locator('article.story').first().waitFor({ state: 'visible' });
      const ms = performance.now() - started;
      await tab.close();
      return ms;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    const json: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      const context = await browser.newContext();
      cold.push(await visible(context));
      warm.push(await visible(context));
      const tab = await context.newPage();
      const started = performance.now();
      await tab.goto(`${base}/api/v1/items?topic=${BIG_TOPIC}&limit=30`);
      json.push(performance.now() - started);
      await context.close();
    }
    // The editor's live preview: from the last keystroke of a rule to its count drawn.
    const preview: number[] = [];
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${base}/sign-in`);
    await tab.getByLabel('API token').fill(ADMIN_TOKEN);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByText('Signed in').waitFor();
    await tab.goto(`${base}/new-topic`);
    const rule = tab.getByLabel('Rule', { exact: true });
    for (let r = 0; r < options.runs; r++) {
      const text = r % 2 ? `word${r} OR world` : `"world" -word${r}`;
      await rule.fill(text.slice(0, -1));
      // Whatever the partial rule asked has been answered before the last keystroke.
      await tab.waitForTimeout(1000);
      const answered = tab.waitForResponse(
        (res) =>
          res.url().endsWith('/api/v1/topics/preview') &&
          res.request().postData() === JSON.stringify({ rule: text, limit: 1000 }),
      );
      const started = performance.now();
      await rule.press(text.slice(-1));
      await answered;
      // Drawn: the next frame after the answer.
      await tab.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      preview.push(performance.now() - started);
    }
    await context.close();

    const f = (v: number[]) => `p50 ${quantile(v, 0.5).toFixed(0)} ms, p95 ${quantile(v, 0.95).toFixed(0)} ms`;
    console.log(
      `  ${options.items.toLocaleString('en')} items; /topic/${BIG_TOPIC} until its first story is drawn, ${options.runs} runs:`,
    );
    console.log(`    cold browser cache: ${f(cold)}`);
    console.log(`    warm (same browser, page and script cached): ${f(warm)}`);
    console.log(
      `    the editor's preview, last keystroke to its count drawn (150 ms of it waiting for a pause): ${f(preview)}`,
    );
    console.log(`    the page's JSON alone (GET /api/v1/items?topic=${BIG_TOPIC}&limit=30): ${f(json)}`);
  } finally {
    await browser.close();
    for (const child of children) child.kill('SIGTERM');
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await deleteKeysUnder(redis, `bench-${name}`).finally(() => redis.disconnect());
    await close();
  }
}
