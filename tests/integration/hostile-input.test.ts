import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

// Inputs that once reached PostgreSQL and came back as 500s (issue 17): each must be a 4xx that
// names the problem, with no stack trace or SQL text in the body.
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const GETS: [string, string][] = [
  ['a NUL in a search', '/api/v1/items?q=a%00b'],
  ['a NUL in a topic slug of the items query', '/api/v1/items?topic=%00'],
  ['a NUL in a topic feed path', '/topics/%00/feed.atom'],
  ['a NUL in a path id', '/api/v1/feeds/1%00'],
  ['a raw NUL-like escape in the path of a topic', '/api/v1/topics/ab%00c'],
  ['a date before any PostgreSQL timestamp', '/api/v1/items?since=-200000-01-01T00:00:00Z'],
  ['a date after year 9999', '/api/v1/items?until=+275760-09-13T00:00:00Z'],
  ['a cursor with an id beyond 64 bits', `/api/v1/items?cursor=${cursor(['2020-01-01T00:00:00Z', 1e30])}`],
  ['a cursor with a negative id', `/api/v1/items?cursor=${cursor(['2020-01-01T00:00:00Z', -5])}`],
  ['a cursor with a date out of range', `/api/v1/items?cursor=${cursor(['-200000-01-01T00:00:00Z', 1])}`],
  ['a cursor that is not an array', `/api/v1/items?cursor=${cursor({ a: 1 })}`],
  ['malformed percent-encoding in a path parameter', '/api/v1/topics/%E0%A4'],
  ['malformed percent-encoding in a feed path', '/topics/%FF/feed.atom'],
];

describe('hostile and odd API input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.api('POST', '/api/v1/topics', { slug: 'world', name: 'World', rule: 'world' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const expectClearRefusal = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    expect(typeof res.body.error?.code).toBe('string');
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/ at .*\.(js|ts):\d+|SELECT |INSERT |invalid byte sequence|out of range/);
  };

  it.each(GETS)('when a GET carries %s, then it is refused with a 4xx', async (_what, path) => {
    expectClearRefusal(await h.api('GET', path));
  });

  it.each([
    ['a NUL in a feed URL', '/api/v1/feeds', { url: 'http://127.0.0.1:9/feed\u0000.xml' }],
    ['a NUL in a topic name', '/api/v1/topics', { slug: 'nul', name: 'N\u0000', rule: 'world' }],
    ['a NUL in a rule', '/api/v1/topics', { slug: 'nul', name: 'N', rule: 'wor\u0000ld' }],
    ['a NUL in a preview rule', '/api/v1/topics/preview', { rule: 'a\u0000' }],
    ['a NUL in a key', '/api/v1/topics', { slug: 'nul', name: 'N', rule: 'world', 'x\u0000': 1 }],
  ])('when a JSON body carries %s, then it is refused with a 400', async (_what, path, body) => {
    const res = await h.api('POST', path, body);
    expectClearRefusal(res);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/NUL/);
  });

  it.each([
    [
      'a NUL in the topic',
      `hub.mode=subscribe&hub.callback=http://127.0.0.1:9/cb&hub.topic=http://x/topics/wor%00ld/feed.atom`,
    ],
    [
      'an encoded NUL in the topic URL',
      `hub.mode=subscribe&hub.callback=http://127.0.0.1:9/cb&hub.topic=${encodeURIComponent('http://x/topics/wor%00ld/feed.atom')}`,
    ],
    [
      'malformed percent-encoding in the topic URL',
      `hub.mode=subscribe&hub.callback=http://127.0.0.1:9/cb&hub.topic=${encodeURIComponent('http://x/topics/w%E0rld/feed.atom')}`,
    ],
    [
      'a NUL in the secret',
      `hub.mode=subscribe&hub.callback=http://127.0.0.1:9/cb&hub.topic=http://x/topics/world/feed.atom&hub.secret=a%00`,
    ],
  ])('when a WebSub request carries %s, then it is refused with a 4xx', async (_what, form) => {
    const res = await h.api('POST', '/websub', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expectClearRefusal(res);
  });

  // fetch() will not send a Host of our choosing; node:http will.
  const getWithHost = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const url = new URL(h.baseUrl + path);
      http
        .get({ host: url.hostname, port: url.port, path, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on('error', reject);
    });

  it('when PUBLIC_URL is unset and a client sends its own Host, then the feed carrying its links is private to that client', async () => {
    const res = await getWithHost('/topics/world/feed.atom', { host: 'evil.example' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/^private/);
    expect(res.headers.vary).toMatch(/Host/);
    const other = await getWithHost('/topics/world/feed.atom', { host: 'news.example:8080' });
    expect(other.body).toContain('http://news.example:8080/topics/world/feed.atom');
    expect(other.body).not.toContain('evil.example');
  });

  it('when the Host header is not a host name, then it is refused, not written into the feed', async () => {
    const res = await getWithHost('/topics/world/feed.atom', { host: 'a"><script>x</script>' });
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('<script>');
  });
});

describe('topic feeds with PUBLIC_URL set', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PUBLIC_URL: 'https://news.example.org' });
    await h.api('POST', '/api/v1/topics', { slug: 'world', name: 'World', rule: 'world' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('when a client sends another Host or X-Forwarded-Host, then the links stay PUBLIC_URL and the feed is publicly cacheable', async () => {
    const res = await fetch(`${h.baseUrl}/topics/world/feed.atom`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'gopher' },
    });
    const body = await res.text();
    expect(body).toContain('https://news.example.org/topics/world/feed.atom');
    expect(body).not.toContain('evil.example');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
  });
});
