import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Ajv2020 } from 'ajv/dist/2020.js';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { appContext } from '../helpers/app-context.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { dropRedisPrefix, eventually, startHarness, TOKEN, type Harness } from '../helpers/harness.js';
import { BOARD_PATH } from '../../src/api/queue-board.js';
import { createQueues } from '../../src/queue/queues.js';
import { createLogger } from '../../src/logger.js';
import { FeedServer } from '../helpers/feed-server.js';
import { createTestDb } from '../helpers/test-db.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every route of the app as "METHOD /path/{param}", read from Express's own route table. */
function routesOf(app: ReturnType<typeof createApp>): string[] {
  const out: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => METHODS.includes(m))) {
          const route = (prefix + (layer.route.path === '/' && prefix ? '' : layer.route.path)).replace(
            /:(\w+)/g,
            '{$1}',
          );
          out.push(`${method.toUpperCase()} ${route}`);
        }
      } else if (layer.rawPath === BOARD_PATH) {
        // The queue dashboard: bull-board's own pages and API behind one documented entry.
        out.push(`GET ${BOARD_PATH}`);
      } else if (layer.handle?.stack) {
        walk(
          layer.handle.stack,
          prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''),
        );
      }
    }
  };
  walk((app as any).router.stack, '');
  return [...new Set(out)].sort();
}

function documented(): string[] {
  const doc = yaml.load(readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8')) as any;
  return Object.entries<any>(doc.paths)
    .flatMap(([route, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${route}`))
    .sort();
}

describe('the OpenAPI document is the contract', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let redis: Redis;
  let h: Harness;
  beforeAll(async () => {
    ({ db, drop } = await createTestDb());
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    h = await startHarness();
  });
  afterAll(async () => {
    redis?.disconnect();
    await drop?.();
    await h?.stop();
  });

  it('when a route is added or removed, then docs/openapi.yaml must say so: the two lists are equal', async () => {
    const prefix = `test-openapi-${process.pid}`;
    const queues = createQueues(redis, prefix, createLogger('silent'));
    try {
      const app = createApp({
        ...appContext(db, loadConfig({ DATABASE_URL: 'postgres://unused/db' })),
        redis,
        queues,
      });
      const routes = routesOf(app);
      expect(routes.length).toBeGreaterThan(20);
      expect(routes).toEqual(documented());
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await dropRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
    }
  });

  it('when a client asks for the document, then /api/v1/openapi.json serves it as JSON', async () => {
    const res = await fetch(`${h.baseUrl}/api/v1/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/tokens');
  });

  it('when any answer is sent, then it carries the security headers', async () => {
    const res = await fetch(`${h.baseUrl}/api/v1/items`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    // No inline script (the web app's items are untrusted HTML); no upgrade that breaks plain-HTTP LANs.
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS for the origins the operator names', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ CORS_ORIGINS: 'https://reader.example' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('when a named origin asks, then it is allowed; another origin is not', async () => {
    const ok = await fetch(`${h.baseUrl}/api/v1/items`, { headers: { origin: 'https://reader.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://reader.example');
    const other = await fetch(`${h.baseUrl}/api/v1/items`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/*
 * Every answer the API gives to a table of requests (each route, good and bad input) must be a
 * status its operation documents, and a JSON body that validates against the schema documented
 * for that status: a field added, renamed or left out without the document saying so fails here.
 */
describe('answers match the documented response schemas', () => {
  let h: Harness;
  let feeds: FeedServer;
  const doc = yaml.load(readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8')) as any;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const inDoc = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
  const checked: string[] = [];

  /** Sends the request and checks its answer against the document; returns the body. */
  const call = async (
    method: string,
    template: string,
    concrete: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any }> => {
    const res = await h.api(method, concrete, body, headers);
    const op = doc.paths[template]?.[method.toLowerCase()];
    expect(op, `${method} ${template} is documented`).toBeDefined();
    let response = op.responses[String(res.status)];
    expect(response, `${method} ${template} documents ${res.status}: ${JSON.stringify(res.body)}`).toBeDefined();
    if (response.$ref) response = doc.components.responses[response.$ref.split('/').pop()];
    if ((res.headers.get('content-type') ?? '').includes('application/json')) {
      const schema = response.content?.['application/json']?.schema;
      expect(schema, `${method} ${template} ${res.status} has a JSON schema`).toBeDefined();
      const validate = ajv.compile(inDoc(schema));
      expect(validate(res.body) ? null : validate.errors, `${method} ${template} ${res.status}`).toBeNull();
    }
    checked.push(`${method} ${template} ${res.status}`);
    return res;
  };

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    feeds.set('/a.rss', {
      body: `<?xml version="1.0"?><rss version="2.0"><channel><title>A</title><link>http://a.test/</link>
<item><guid>a1</guid><title>Korea talks resume</title><link>http://a.test/1</link><category>World</category></item>
<item><guid>a2</guid><title>North Korea summit</title><link>http://a.test/2</link></item></channel></rss>`,
    });
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  it('when every route is called with good and bad input, then each answer is documented and matches its schema', async () => {
    await call('GET', '/healthz', '/healthz');
    await call('GET', '/readyz', '/readyz');

    const topic = await call('POST', '/api/v1/topics', '/api/v1/topics', {
      slug: 'korea',
      name: 'Korea',
      rule: 'korea',
      visibility: 'private',
    });
    expect(topic.status).toBe(201);
    await call('POST', '/api/v1/topics', '/api/v1/topics', { slug: 'korea', name: 'Korea', rule: 'korea' });
    await call('POST', '/api/v1/topics', '/api/v1/topics', { slug: 'bad', name: 'Bad', rule: '(korea' });
    await call('POST', '/api/v1/topics', '/api/v1/topics', { slug: 'x', name: 'x', rule: 'x' }, { authorization: '' });
    await call('GET', '/api/v1/topics', '/api/v1/topics');
    await call('GET', '/api/v1/topics', '/api/v1/topics?stats=true');
    await call('POST', '/api/v1/session', '/api/v1/session', { token: TOKEN });
    await call('POST', '/api/v1/session', '/api/v1/session', { token: 'twk_wrong' });
    await call('GET', '/api/v1/session', '/api/v1/session');
    await call('DELETE', '/api/v1/session', '/api/v1/session');
    await call('GET', '/api/v1/topics/{slug}', '/api/v1/topics/korea');
    await call('GET', '/api/v1/topics/{slug}', '/api/v1/topics/nope');
    await call('PUT', '/api/v1/topics/{slug}', '/api/v1/topics/korea', { name: 'Korea', rule: 'korea OR pyongyang' });
    await call('POST', '/api/v1/topics/{slug}/feed-key', '/api/v1/topics/korea/feed-key');

    const added = await call('POST', '/api/v1/feeds', '/api/v1/feeds', { url: feeds.url('/a.rss') });
    expect(added.status).toBe(201);
    const feedId = added.body.feed.id;
    await call('POST', '/api/v1/feeds', '/api/v1/feeds', { url: feeds.url('/a.rss') });
    await call('POST', '/api/v1/feeds', '/api/v1/feeds', { url: feeds.url('/missing.rss') });
    await call('POST', '/api/v1/feeds', '/api/v1/feeds', {});
    await call('POST', '/api/v1/feeds', '/api/v1/feeds', 'url=x', { 'content-type': 'text/plain' });
    await call('GET', '/api/v1/feeds', '/api/v1/feeds');
    await call('GET', '/api/v1/feeds/{id}', `/api/v1/feeds/${feedId}`);
    await call('GET', '/api/v1/feeds/{id}', '/api/v1/feeds/999999');
    await call('PATCH', '/api/v1/feeds/{id}', `/api/v1/feeds/${feedId}`, { preferred: true });
    await call('POST', '/api/v1/feeds/{id}/refresh', `/api/v1/feeds/${feedId}/refresh`);

    await eventually(async () => (await h.api('GET', '/api/v1/items?topic=korea')).body.items?.length === 2);
    await call('POST', '/api/v1/topics/preview', '/api/v1/topics/preview', { rule: 'summit' });
    const items = await call('GET', '/api/v1/items', '/api/v1/items?topic=korea&stories=false');
    await call('GET', '/api/v1/items', `/api/v1/items?q=${encodeURIComponent('"north korea"')}`);
    await call('GET', '/api/v1/items', `/api/v1/items?q=${encodeURIComponent('(korea')}`);
    await call('GET', '/api/v1/items', '/api/v1/items?since=not-a-date');
    const itemId = items.body.items[0].id;
    await call('GET', '/api/v1/items/{id}', `/api/v1/items/${itemId}`);
    await call('GET', '/api/v1/items/{id}', '/api/v1/items/999999');
    await call('POST', '/api/v1/items/{id}/split', `/api/v1/items/${itemId}/split`);

    const hook = await call('POST', '/api/v1/topics/{slug}/webhooks', '/api/v1/topics/korea/webhooks', {
      url: feeds.url('/hook'),
    });
    await call('POST', '/api/v1/topics/{slug}/webhooks', '/api/v1/topics/korea/webhooks', { url: feeds.url('/hook') });
    await call('GET', '/api/v1/topics/{slug}/webhooks', '/api/v1/topics/korea/webhooks');
    const hookPath = `/api/v1/topics/korea/webhooks/${hook.body.webhook.id}`;
    await call('POST', '/api/v1/topics/{slug}/webhooks/{id}/enable', `${hookPath}/enable`);
    await call('DELETE', '/api/v1/topics/{slug}/webhooks/{id}', hookPath);
    await call('DELETE', '/api/v1/topics/{slug}/webhooks/{id}', hookPath);

    const token = await call('POST', '/api/v1/tokens', '/api/v1/tokens', { name: 'schema', scopes: ['read'] });
    await call('POST', '/api/v1/tokens', '/api/v1/tokens', { name: '' });
    await call('GET', '/api/v1/tokens', '/api/v1/tokens');
    await call('GET', '/api/v1/tokens', '/api/v1/tokens', undefined, { authorization: `Bearer ${token.body.token}` });
    await call('DELETE', '/api/v1/tokens/{id}', `/api/v1/tokens/${token.body.id}`);

    const opml = `<opml version="2.0"><body><outline xmlUrl="${feeds.url('/a.rss')}"/></body></opml>`;
    const imported = await call('POST', '/api/v1/opml', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' });
    await call('POST', '/api/v1/opml', '/api/v1/opml', '<rss/>', { 'content-type': 'text/x-opml' });
    await call('GET', '/api/v1/opml/imports/{id}', `/api/v1/opml/imports/${imported.body.id}`);

    const key = (await h.api('GET', '/api/v1/topics/korea')).body.topic.feedKey;
    await call(
      'POST',
      '/websub',
      '/websub',
      `hub.mode=subscribe&hub.topic=${encodeURIComponent(`${h.baseUrl}/topics/korea/feed.atom?key=${key}`)}&hub.callback=${encodeURIComponent(feeds.url('/cb'))}`,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    await call('POST', '/websub', '/websub', 'hub.mode=subscribe', {
      'content-type': 'application/x-www-form-urlencoded',
    });

    await call('DELETE', '/api/v1/feeds/{id}', `/api/v1/feeds/${feedId}`);
    await call('DELETE', '/api/v1/topics/{slug}', '/api/v1/topics/korea');
    await call('DELETE', '/api/v1/topics/{slug}', '/api/v1/topics/korea');

    // Every documented JSON operation was exercised at least once.
    const exercised = new Set(checked.map((c) => c.split(' ').slice(0, 2).join(' ')));
    const jsonOps = Object.entries<any>(doc.paths).flatMap(([route, item]) =>
      METHODS.filter((m) => item[m] && route.startsWith('/api/v1/') && route !== '/api/v1/openapi.json').map(
        (m) => `${m.toUpperCase()} ${route}`,
      ),
    );
    expect(jsonOps.filter((op) => !exercised.has(op) && op !== 'GET /api/v1/opml')).toEqual([]);
  });
});
