import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFeed, type FetchOptions } from '../../src/pipeline/fetch/fetch-feed.js';

/*
 * Content codings as servers send them, read by fetchFeed from a local server: each coding
 * decoded, stacked codings undone in reverse order, a stream cut short read as far as it goes
 * (as browsers read it), an unknown coding left as sent, and the size limit counted after
 * decoding whatever the coding. And the bodies that are not read (a redirect's, an error's) are
 * dropped at once, however slowly they come.
 */
const TEXT = '<rss version="2.0"><channel><title>Coded</title></channel></rss>'.repeat(20);
const bodies = new Map<string, { body: Buffer; encoding: string }>();

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    // A body that trickles a byte every 100 ms and never ends, after a redirect or a 404.
    const trickle = (status: number, headers: http.OutgoingHttpHeaders) => {
      res.writeHead(status, { 'content-type': 'text/html', ...headers });
      const timer = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(timer));
    };
    if (req.url === '/slow-redirect') return trickle(301, { location: '/moved' });
    if (req.url === '/slow-missing') return trickle(404, {});
    const entry = bodies.get(req.url ?? '');
    if (!entry) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': entry.encoding });
    res.end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const options = (maxBytes = 1_000_000): FetchOptions => ({
  timeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  maxBytes,
  maxRedirects: 3,
  addresses: { allowPrivate: true },
  userAgent: 'topicwire-test',
});

async function read(path: string, body: Buffer, encoding: string, maxBytes?: number): Promise<string> {
  bodies.set(path, { body, encoding });
  const result = await fetchFeed(`${base}${path}`, options(maxBytes));
  if (result.kind !== 'ok') throw new Error(`expected a body, got ${result.kind}`);
  return Buffer.from(result.body).toString('utf8');
}

describe('content codings', () => {
  it('when a body comes in gzip, br, or deflate (zlib-wrapped or raw), then it is read decoded', async () => {
    const raw = Buffer.from(TEXT);
    expect(await read('/gzip', gzipSync(raw), 'gzip')).toBe(TEXT);
    expect(await read('/x-gzip', gzipSync(raw), 'X-Gzip')).toBe(TEXT);
    expect(await read('/br', brotliCompressSync(raw), 'br')).toBe(TEXT);
    expect(await read('/deflate', deflateSync(raw), 'deflate')).toBe(TEXT);
    expect(await read('/deflate-raw', deflateRawSync(raw), 'deflate')).toBe(TEXT);
    expect(await read('/identity', raw, 'identity')).toBe(TEXT);
  });

  it('when codings are stacked, then they are undone last first', async () => {
    expect(await read('/stacked', brotliCompressSync(gzipSync(Buffer.from(TEXT))), 'gzip, br')).toBe(TEXT);
  });

  it('when a gzip stream is cut short, then what arrived is read', async () => {
    const whole = gzipSync(Buffer.from(TEXT + 'x'.repeat(100_000)), { level: 1 });
    const text = await read('/cut', whole.subarray(0, whole.length - 200), 'gzip');
    expect(text.startsWith(TEXT)).toBe(true);
    expect(text.length).toBeLessThan(TEXT.length + 100_000);
  });

  it('when the coding is unknown, then the bytes are read as sent', async () => {
    expect(await read('/unknown', Buffer.from(TEXT), 'x-custom')).toBe(TEXT);
  });

  it('when a small br or deflate body inflates past the limit, then it is refused while inflating', async () => {
    const bomb = Buffer.from('A'.repeat(5_000_000));
    for (const [path, body, encoding] of [
      ['/bomb-br', brotliCompressSync(bomb), 'br'],
      ['/bomb-deflate', deflateRawSync(bomb), 'deflate'],
      ['/bomb-stacked', gzipSync(gzipSync(bomb)), 'gzip, gzip'],
    ] as const) {
      expect(body.length).toBeLessThan(20_000);
      await expect(read(path, body, encoding, 20_000)).rejects.toMatchObject({
        code: 'too_large',
        message: expect.stringMatching(/after decompression/),
      });
    }
  });

  it('when a server stacks more than five codings, then the body is refused, not decoded', async () => {
    let body = Buffer.from(TEXT);
    for (let k = 0; k < 6; k++) body = gzipSync(body);
    await expect(read('/deep', body, 'gzip, gzip, gzip, gzip, gzip, gzip')).rejects.toMatchObject({
      code: 'too_large',
    });
  });
});

describe('bodies that are not read', () => {
  it('when a redirect or an error trickles its body, then the redirect is followed and the error named, without waiting for the body', async () => {
    bodies.set('/moved', { body: Buffer.from(TEXT), encoding: 'identity' });
    const moved = await fetchFeed(`${base}/slow-redirect`, options());
    expect(moved).toMatchObject({ kind: 'ok', movedTo: `${base}/moved` });
    await expect(fetchFeed(`${base}/slow-missing`, options())).rejects.toMatchObject({ code: 'http_not_found' });
  });
});
