import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensCommand, UsageError, type CliContext } from '../../src/cli/admin-commands.js';
import { AppError } from '../../src/app/errors.js';
import { createLogger } from '../../src/logger.js';
import { TopicMatcherCache } from '../../src/app/topic-matcher-cache.js';
import { FeedServer } from '../helpers/feed-server.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Keyed</title><link>http://keyed.test/</link>
<item><guid>k1</guid><title>One</title></item></channel></rss>`;

// API tokens (issue 18): created, listed and revoked through the API and the CLI, stored as hashes,
// each with scopes (read < write < admin), an optional expiry and its last use.
describe('API tokens', () => {
  let h: Harness;
  let server: FeedServer;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const create = async (body: unknown) => h.api('POST', '/api/v1/tokens', body);

  beforeAll(async () => {
    server = await new FeedServer().start();
    server.set('/keyed.rss?apikey=SECRET-1', { body: rss, contentType: 'application/rss+xml' });
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('when the admin creates a token, then its secret is answered once and stored only as a hash', async () => {
    const res = await create({ name: 'reader app', scopes: ['read'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(Number), name: 'reader app', scopes: ['read'], revokedAt: null });
    expect(res.body.token).toMatch(/^twk_[A-Za-z0-9_-]{43}$/);
    const listed = await h.api('GET', '/api/v1/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(res.body.token);
    const row = await h.db.selectFrom('api_tokens').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(res.body.token);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['read', 'GET', '/api/v1/feeds', 200],
    ['read', 'POST', '/api/v1/topics', 403],
    ['read', 'GET', '/api/v1/tokens', 403],
    ['write', 'POST', '/api/v1/topics', 201],
    ['write', 'POST', '/api/v1/tokens', 403],
    ['write', 'GET', '/api/v1/tokens', 403],
    ['admin', 'POST', '/api/v1/topics', 201],
    ['admin', 'POST', '/api/v1/tokens', 201],
    ['admin', 'GET', '/api/v1/tokens', 200],
  ] as const)('when a %s token asks for %s %s, then it gets %i', async (scope, method, path, status) => {
    const { token } = (await create({ name: `${scope} token`, scopes: [scope] })).body;
    const body =
      method === 'GET'
        ? undefined
        : path === '/api/v1/topics'
          ? { slug: `t-${scope}-${Date.now()}`, name: 'T', rule: 'one' }
          : path === '/api/v1/tokens'
            ? { name: 'made by a token', scopes: ['read'] }
            : undefined;
    const res = await h.api(method, path, body, as(token));
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    if (status === 403) expect(res.body.error.code).toBe('forbidden');
  });

  it('when a token is revoked, then its next request is refused; an unknown one too', async () => {
    const { id, token } = (await create({ name: 'to revoke', scopes: ['write'] })).body;
    const topic = (slug: string) => h.api('POST', '/api/v1/topics', { slug, name: 'R', rule: 'one' }, as(token));
    expect((await topic('before-revoke')).status).toBe(201);
    expect((await h.api('DELETE', `/api/v1/tokens/${id}`)).status).toBe(204);
    const after = await topic('after-revoke');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    expect((await h.api('DELETE', `/api/v1/tokens/${id}`)).status).toBe(404);
    expect((await h.api('POST', '/api/v1/topics', { slug: 'x', name: 'X', rule: 'x' }, as('twk_nope'))).status).toBe(
      401,
    );
    const listed = (await h.api('GET', '/api/v1/tokens')).body.tokens.find((t: { id: number }) => t.id === id);
    expect(listed.revokedAt).not.toBeNull();
  });

  it('when a token has expired, then it is refused', async () => {
    const { id, token } = (
      await create({ name: 'short-lived', scopes: ['write'], expiresAt: new Date(Date.now() + 60_000).toISOString() })
    ).body;
    expect((await h.api('POST', '/api/v1/topics', { slug: 'in-time', name: 'I', rule: 'one' }, as(token))).status).toBe(
      201,
    );
    await h.db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
    expect(
      (await h.api('POST', '/api/v1/topics', { slug: 'too-late', name: 'L', rule: 'one' }, as(token))).status,
    ).toBe(401);
  });

  it('when a token is used, then its last use is recorded', async () => {
    const { id, token } = (await create({ name: 'used', scopes: ['read'] })).body;
    await h.api('GET', '/api/v1/feeds', undefined, as(token));
    const listed = (await h.api('GET', '/api/v1/tokens')).body.tokens.find((t: { id: number }) => t.id === id);
    expect(Date.parse(listed.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each([
    ['no name', { scopes: ['read'] }],
    ['an unknown scope', { name: 'x', scopes: ['root'] }],
    ['no scope', { name: 'x', scopes: [] }],
    ['an expiry in the past', { name: 'x', expiresAt: '2020-01-01T00:00:00Z' }],
    ['an expiry that is no date', { name: 'x', expiresAt: 'soon' }],
  ])('when a token is asked for with %s, then a 400 names the field', async (_what, body) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('when a write token reads the feed list, then secrets in feed URLs stay masked; an admin token sees them', async () => {
    const url = server.url('/keyed.rss?apikey=SECRET-1');
    expect((await h.api('POST', '/api/v1/feeds', { url })).status).toBe(201);
    const writer = (await create({ name: 'writer', scopes: ['write'] })).body.token;
    const admin = (await create({ name: 'admin', scopes: ['admin'] })).body.token;
    const urls = async (token: string) =>
      (await h.api('GET', '/api/v1/feeds', undefined, as(token))).body.feeds.map((f: { url: string }) => f.url);
    expect(await urls(writer)).toContain(url.replace('SECRET-1', '***'));
    expect(await urls(admin)).toContain(url);
  });

  it('when the CLI creates, lists and revokes a token, then the API honours it the same way', async () => {
    const lines: string[] = [];
    const ctx: CliContext = {
      db: h.db,
      config: h.config,
      log: createLogger('silent'),
      jobs: { enqueue: async () => {}, pending: async () => false },
      topics: new TopicMatcherCache(),
      out: (l) => void lines.push(l),
    };
    expect(await tokensCommand(['create', 'from-cli', '--scopes', 'write'], ctx)).toBe(0);
    const secret = lines[1]!;
    expect(secret).toMatch(/^twk_/);
    const id = Number(/created token (\d+)/.exec(lines[0]!)![1]);
    expect(
      (await h.api('POST', '/api/v1/topics', { slug: 'via-cli', name: 'C', rule: 'one' }, as(secret))).status,
    ).toBe(201);
    lines.length = 0;
    await tokensCommand(['list'], ctx);
    expect(lines.find((l) => l.startsWith(`${id}\t`))).toMatch(/^\d+\tfrom-cli\twrite\tlive\tno expiry\tused /);
    await tokensCommand(['revoke', String(id)], ctx);
    expect(
      (await h.api('POST', '/api/v1/topics', { slug: 'via-cli-2', name: 'C', rule: 'one' }, as(secret))).status,
    ).toBe(401);
    await expect(tokensCommand(['create', 'bad', '--scopes', 'root'], ctx)).rejects.toBeInstanceOf(AppError);
    await expect(tokensCommand(['create', 'bad', '--nope', 'x'], ctx)).rejects.toBeInstanceOf(UsageError);
  });
});
