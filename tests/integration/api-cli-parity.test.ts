import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import type { Db } from '../../src/db/database.js';
import { FeedServer } from '../helpers/feed-server.js';
import { dropRedisPrefix, startHarness, type Harness } from '../helpers/harness.js';
import { seedFeed } from '../helpers/paths.js';
import { freePort } from '../helpers/services.js';
import { createTestDb } from '../helpers/test-db.js';

/** What an entry point made of an input: done, or refused with a code. */
type Outcome = { ok: true; created?: boolean } | { ok: false; code: string };

/**
 * The same inputs through the API and through the CLI, each on its own database: both must
 * accept and refuse alike (the same codes) and leave the same state behind, because both are
 * adapters over the same use cases.
 */
describe('the API and the CLI give the same outcome for the same input', () => {
  const feeds = new FeedServer();
  let h: Harness;
  let cliDb: { db: Db; url: string; drop: () => Promise<void> };
  const prefix = `parity-${randomBytes(4).toString('hex')}`;
  const written: string[] = [];
  const opmlFile = (name: string, text: string) => {
    const file = path.join(tmpdir(), `topicwire-${prefix}-${name}.opml`);
    writeFileSync(file, text);
    written.push(file);
    return file;
  };

  beforeAll(async () => {
    await feeds.start();
    feeds.set('/wire.rss', { body: readFileSync(seedFeed('english-wire.rss')), contentType: 'application/rss+xml' });
    feeds.set('/latin1.rss', { body: readFileSync(seedFeed('french-latin1.rss')), contentType: 'application/rss+xml' });
    feeds.set('/page.html', {
      contentType: 'text/html',
      body: '<!doctype html><html><head><title>A blog</title></head><body>No feed here.</body></html>',
    });
    feeds.set('/site/', {
      contentType: 'text/html',
      body: '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/latin1.rss"></head></html>',
    });
    feeds.set('/notes.txt', { contentType: 'text/plain', body: 'just some text, not a feed' });
    refusedUrl = `http://127.0.0.1:${await freePort()}/feed.xml`;
    h = await startHarness({ QUEUE_PREFIX: `${prefix}-api` });
    cliDb = await createTestDb();
  });
  afterAll(async () => {
    // The CLI's follow-up jobs went to a prefix of their own.
    await dropRedisPrefix(h.config.REDIS_URL, `${prefix}-cli`);
    await h?.stop();
    await cliDb?.drop();
    await feeds.stop();
    for (const file of written) rmSync(file, { force: true });
  });

  const viaApi = async (method: string, route: string, body: unknown, type?: string): Promise<Outcome> => {
    const res = await h.api(method, route, body, type ? { 'content-type': type } : {});
    if (res.status >= 200 && res.status < 300)
      return { ok: true, ...(res.body?.created !== undefined ? { created: res.body.created } : {}) };
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    return { ok: false, code: res.body.error.code };
  };
  const viaCli = async (...argv: string[]): Promise<Outcome> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: {
        DATABASE_URL: cliDb.url,
        REDIS_URL: h.config.REDIS_URL,
        QUEUE_PREFIX: `${prefix}-cli`,
        FETCH_ALLOW_PRIVATE: 'true',
        FETCH_TIMEOUT_MS: '1500',
        LOG_LEVEL: 'silent',
      },
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
    });
    if (code === 0)
      return {
        ok: true,
        ...(/already subscribed/.test(stdout)
          ? { created: false }
          : /^added feed/.test(stdout)
            ? { created: true }
            : {}),
      };
    expect(code, stderr).toBe(1);
    return { ok: false, code: /^(\w+): /.exec(stderr)?.[1] ?? stderr };
  };

  // A port nothing listens on: the connection is refused (chosen in beforeAll).
  let refusedUrl = '';

  const cases: { name: string; api: () => Promise<Outcome>; cli: () => Promise<Outcome>; expected: Outcome }[] = [
    {
      name: 'a feed',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/wire.rss')),
      expected: { ok: true, created: true },
    },
    {
      name: 'the same feed again',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/wire.rss')),
      expected: { ok: true, created: false },
    },
    {
      name: 'a site page that advertises its feed',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/site/') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/site/')),
      expected: { ok: true, created: true },
    },
    {
      name: 'a page without a feed',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/page.html') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/page.html')),
      expected: { ok: false, code: 'no_feed_found' },
    },
    {
      name: 'a dead URL (404)',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/missing.rss') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/missing.rss')),
      expected: { ok: false, code: 'http_not_found' },
    },
    {
      name: 'a host that does not exist',
      api: () => viaApi('POST', '/api/v1/feeds', { url: 'http://feeds.does-not-exist.invalid/rss' }),
      cli: () => viaCli('feeds', 'add', 'http://feeds.does-not-exist.invalid/rss'),
      expected: { ok: false, code: 'dns_error' },
    },
    {
      name: 'a server that refuses the connection',
      api: () => viaApi('POST', '/api/v1/feeds', { url: refusedUrl }),
      cli: () => viaCli('feeds', 'add', refusedUrl),
      expected: { ok: false, code: 'network_error' },
    },
    {
      name: 'a document that is not a feed',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/notes.txt') }),
      cli: () => viaCli('feeds', 'add', feeds.url('/notes.txt')),
      expected: { ok: false, code: 'not_a_feed' },
    },
    {
      name: 'a dead URL subscribed anyway (force)',
      api: () => viaApi('POST', '/api/v1/feeds', { url: feeds.url('/down-today.rss'), force: true }),
      cli: () => viaCli('feeds', 'add', feeds.url('/down-today.rss'), '--force'),
      expected: { ok: true, created: true },
    },
    {
      name: 'not a URL',
      api: () => viaApi('POST', '/api/v1/feeds', { url: 'feed.xml' }),
      cli: () => viaCli('feeds', 'add', 'feed.xml'),
      expected: { ok: false, code: 'invalid_url' },
    },
    {
      name: 'a truncated OPML file',
      api: () => viaApi('POST', '/api/v1/opml', TRUNCATED_OPML, 'text/x-opml'),
      cli: () => viaCli('opml', 'import', opmlFile('truncated', TRUNCATED_OPML)),
      expected: { ok: false, code: 'not_opml' },
    },
    {
      name: 'an OPML file',
      api: () => viaApi('POST', '/api/v1/opml', WHOLE_OPML, 'text/x-opml'),
      cli: () => viaCli('opml', 'import', opmlFile('whole', WHOLE_OPML)),
      expected: { ok: true },
    },
    {
      name: 'a topic',
      api: () => viaApi('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea*' }),
      cli: () => viaCli('topics', 'add', 'korea', 'Korea', 'korea*'),
      expected: { ok: true },
    },
    {
      name: 'a duplicate topic',
      api: () => viaApi('POST', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea*' }),
      cli: () => viaCli('topics', 'add', 'korea', 'Korea', 'korea*'),
      expected: { ok: false, code: 'conflict' },
    },
    {
      name: 'an invalid rule',
      api: () => viaApi('POST', '/api/v1/topics', { slug: 'broken', name: 'Broken', rule: '(korea OR' }),
      cli: () => viaCli('topics', 'add', 'broken', 'Broken', '(korea OR'),
      expected: { ok: false, code: 'invalid_rule' },
    },
    {
      name: 'an invalid slug',
      api: () => viaApi('POST', '/api/v1/topics', { slug: 'Not A Slug', name: 'x', rule: 'korea' }),
      cli: () => viaCli('topics', 'add', 'Not A Slug', 'x', 'korea'),
      expected: { ok: false, code: 'invalid_request' },
    },
    {
      name: 'removing a topic that does not exist',
      api: () => viaApi('DELETE', '/api/v1/topics/nothing-here', undefined),
      cli: () => viaCli('topics', 'remove', 'nothing-here'),
      expected: { ok: false, code: 'not_found' },
    },
  ];

  it('when each input goes through both, then both give the expected outcome', async () => {
    const got: Record<string, { api: Outcome; cli: Outcome }> = {};
    for (const c of cases) got[c.name] = { api: await c.api(), cli: await c.cli() };
    expect(got).toEqual(Object.fromEntries(cases.map((c) => [c.name, { api: c.expected, cli: c.expected }])));
  });

  it('when both are done, then both databases hold the same feeds, states, items and topics', async () => {
    // The OPML's feed is polled by the API's scheduler (the CLI has none running): its name and
    // folder are compared, not its polls.
    const state = async (db: Db) => ({
      feeds: (
        await db.selectFrom('feeds').select(['url', 'status', 'last_error_code', 'tags']).orderBy('url').execute()
      ).map((f) => (f.url.startsWith('https://wire.example/') ? { url: f.url, tags: f.tags } : f)),
      items: Number(
        (
          await db
            .selectFrom('items')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      topics: await db.selectFrom('topics').select(['slug', 'rule']).orderBy('slug').execute(),
    });
    const api = await state(h.db);
    const cli = await state(cliDb.db);
    expect(cli).toEqual(api);
    // And what that state is: the first polls stored the items; the forced feed carries its cause.
    expect(api.items).toBe(4);
    expect(api.feeds.find((f) => f.url.endsWith('/down-today.rss'))).toMatchObject({
      status: 'failing',
      last_error_code: 'http_not_found',
    });
    expect(api.feeds.map((f) => f.url)).not.toContain(feeds.url('/missing.rss'));
  });

  it('when a feed is added, then its URL is fetched once, and that fetch is its first poll', async () => {
    const requests = (p: string) => feeds.requests.filter((r) => r.path === p).length;
    // One add through each entry point; the scheduler has not polled them again (not due for 15 min).
    expect(requests('/wire.rss')).toBe(2);
  });
});

const WHOLE_OPML = `<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
<outline text="World"><outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"/></outline>
</body></opml>`;
const TRUNCATED_OPML = WHOLE_OPML.slice(0, WHOLE_OPML.indexOf('</outline>') + 4);
