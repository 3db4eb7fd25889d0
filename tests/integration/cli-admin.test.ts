import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import {
  feedsCommand,
  opmlCommand,
  retagCommand,
  topicsCommand,
  UsageError,
  type CliContext,
} from '../../src/cli/admin-commands.js';
import { loadConfig } from '../../src/config.js';
import { upsertItems } from '../../src/db/items.repository.js';
import { appContext } from '../helpers/app-context.js';
import { FeedServer } from '../helpers/feed-server.js';
import { dropRedisPrefix } from '../helpers/harness.js';
import { itemRow } from '../helpers/item-rows.js';
import { REPO_ROOT, seedFeed } from '../helpers/paths.js';
import { createTestDb } from '../helpers/test-db.js';

const run = promisify(execFile);

describe('the admin commands of the CLI (docs/cli.md)', () => {
  let ctx: CliContext;
  let strict: CliContext;
  let url: string;
  let drop: () => Promise<void>;
  const feeds = new FeedServer();
  const lines: string[] = [];

  beforeAll(async () => {
    await feeds.start();
    feeds.set('/wire.rss', { body: readFileSync(seedFeed('english-wire.rss')), contentType: 'application/rss+xml' });
    feeds.set('/other.rss', { body: readFileSync(seedFeed('french-latin1.rss')), contentType: 'application/rss+xml' });
    const created = await createTestDb();
    ({ url, drop } = created);
    const out = (l: string) => void lines.push(l);
    ctx = { ...appContext(created.db, loadConfig({ DATABASE_URL: url, FETCH_ALLOW_PRIVATE: 'true' })), out };
    strict = { ...appContext(created.db, loadConfig({ DATABASE_URL: url, FETCH_ALLOW_PRIVATE: 'false' })), out };
  });
  afterAll(async () => {
    await drop?.();
    await feeds.stop();
    // What the CLI program made in Redis (its queues' metadata).
    await dropRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', `cli-program-${process.pid}`);
  });
  const said = () => lines.splice(0).join('\n');
  const refused = (code: string) => expect.objectContaining({ constructor: AppError, code });

  it('when feeds are added, listed and removed, then each step says what it did, and a private address is refused', async () => {
    expect(await feedsCommand(['add', feeds.url('/wire.rss')], ctx)).toBe(0);
    expect(said()).toMatch(/^added feed (\d+): http:\/\/127\.0\.0\.1:\d+\/wire\.rss; first poll stored 3 items/);
    expect(await feedsCommand(['add', feeds.url('/wire.rss#x')], ctx)).toBe(0);
    expect(said()).toMatch(/already subscribed as feed/);
    await expect(feedsCommand(['add', 'http://127.0.0.1/feed'], strict)).rejects.toEqual(refused('blocked_address'));
    await expect(feedsCommand(['add', 'feed.xml'], ctx)).rejects.toEqual(refused('invalid_url'));
    await expect(feedsCommand(['add'], ctx)).rejects.toThrow(UsageError);
    expect(await feedsCommand([], ctx)).toBe(0);
    const [row] = said().split('\n');
    expect(row!.split('\t').slice(1, 4)).toEqual(['ok', feeds.url('/wire.rss'), 'World Wire']);
    expect(await feedsCommand(['remove', row!.split('\t')[0]!], ctx)).toBe(0);
    await expect(feedsCommand(['remove', '999999'], ctx)).rejects.toThrow(/no feed 999999/);
    said();
  });

  it('when a topic is added, then its rule is checked and its re-tag is queued; retag applies it now, with progress', async () => {
    await expect(topicsCommand(['add', 'korea', 'Korea', '(korea'], ctx)).rejects.toEqual(refused('invalid_rule'));
    await expect(topicsCommand(['add', 'Bad Slug', 'x', 'korea'], ctx)).rejects.toEqual(refused('invalid_request'));
    await feedsCommand(['add', feeds.url('/other.rss')], ctx);
    const feedId = Number(/feed (\d+)/.exec(said())![1]);
    await ctx.db.deleteFrom('items').execute();
    const item = (n: number, title: string) => itemRow(feedId, n, { title, language: 'en' });
    await upsertItems(ctx.db, [item(1, 'Korea festival'), item(2, 'Chip prices'), item(3, 'North Korea treaty')]);
    const queued = (ctx as unknown as { queued: { name: string }[] }).queued;
    queued.splice(0);
    expect(await topicsCommand(['add', 'korea', 'Korea', 'korea'], ctx)).toBe(0);
    expect(said()).toMatch(/added public topic korea/);
    expect(queued).toEqual([expect.objectContaining({ name: 'retag-topic' })]);
    await expect(topicsCommand(['add', 'korea', 'Korea', 'korea'], ctx)).rejects.toEqual(refused('conflict'));
    expect(await retagCommand(['korea'], ctx)).toBe(0);
    expect(said()).toMatch(/3 items examined[\s\S]*re-tagged korea: 3 items/);
    const tagged = await ctx.db.selectFrom('item_topics').select('item_id').execute();
    expect(tagged).toHaveLength(2);
    expect(await topicsCommand(['list'], ctx)).toBe(0);
    expect(said()).toBe('korea\tKorea\tkorea\tpublic\tretag done (3 items)');
    expect(await topicsCommand(['remove', 'korea'], ctx)).toBe(0);
    said();
    // A private topic: its feed key is printed for the addresses of readers without tokens.
    expect(await topicsCommand(['add', 'deals', 'Deals', 'merger', '--private'], ctx)).toBe(0);
    const key = (
      await ctx.db.selectFrom('topics').select('feed_key').where('slug', '=', 'deals').executeTakeFirstOrThrow()
    ).feed_key;
    expect(said()).toMatch(new RegExp(`added private topic deals[\\s\\S]*feed key .*: ${key}$`));
    expect(await topicsCommand(['remove', 'deals'], ctx)).toBe(0);
    said();
  });

  it('when an OPML file is imported and exported, then the same feeds come back with their folders', async () => {
    const file = path.join(tmpdir(), `topicwire-cli-${process.pid}.opml`);
    writeFileSync(
      file,
      `<opml version="2.0"><body><outline text="News"><outline type="rss" text="A" xmlUrl="https://93.184.215.14/a.xml"/></outline>
       <outline type="rss" text="Local" xmlUrl="http://192.168.1.5/feed"/></body></opml>`,
    );
    expect(await opmlCommand(['import', file], strict)).toBe(0);
    expect(said()).toMatch(
      /^added\t\d+\thttps:\/\/93\.184\.215\.14\/a\.xml\nrefused\thttp:\/\/192\.168\.1\.5\/feed\t.*private[\s\S]*1 added, 0 skipped, 1 refused$/,
    );
    expect(await opmlCommand(['export', `${file}.out`], ctx)).toBe(0);
    expect(readFileSync(`${file}.out`, 'utf8')).toMatch(
      /<outline text="News"[^>]*>\s*<outline[^>]*xmlUrl="https:\/\/93\.184\.215\.14\/a\.xml"/,
    );
    await expect(opmlCommand(['import', '/nonexistent.opml'], ctx)).rejects.toThrow(/nonexistent/);
    said();
    rmSync(file, { force: true });
    rmSync(`${file}.out`, { force: true });
  });

  it('when run as a program with a mistake, then it prints "<code>: <message>" and exits 1; an unknown command gets the usage and exit 2', async () => {
    const cli = (...args: string[]) =>
      run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
        env: { ...process.env, DATABASE_URL: url, QUEUE_PREFIX: `cli-program-${process.pid}` },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const bad = await cli('topics', 'add', 'x', 'X', 'NOT');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^invalid_rule: rule: /);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/feeds \[list\][\s\S]*topics[\s\S]*opml import[\s\S]*retag/);
  });
});
