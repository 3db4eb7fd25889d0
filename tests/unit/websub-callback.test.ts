import { describe, expect, it } from 'vitest';
import type { FetchOptions } from '../../src/pipeline/fetch/fetch-feed.js';
import { FeedError } from '../../src/pipeline/feed-error.js';
import { callCallback } from '../../src/websub/callback.js';

const opts = (allowPrivate: boolean): FetchOptions => ({
  timeoutMs: 2000,
  connectTimeoutMs: 1000,
  maxBytes: 1 << 20,
  maxRedirects: 0,
  addresses: { allowPrivate, allowList: [] },
  userAgent: 'test',
});

describe('requests to WebSub callbacks', () => {
  it.each([
    ['a loopback address', 'http://127.0.0.1:9/cb'],
    ['a private address', 'http://10.0.0.1/cb'],
    ['an IPv6 loopback', 'http://[::1]/cb'],
    ['a name that resolves to loopback', 'http://localhost/cb'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('when the callback is %s, then it is refused for good, before any request', async (_name, url) => {
    const err = await callCallback(url, { method: 'GET' }, opts(false)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect((err as FeedError).retryable).toBe(false);
    expect((err as FeedError).message).toMatch(/refused/);
  });
});
