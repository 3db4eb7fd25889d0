import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFeed } from '../../src/pipeline/fetch/fetch-feed.js';
import { FeedServer } from '../helpers/feed-server.js';

const options = {
  timeoutMs: 2000,
  connectTimeoutMs: 1000,
  maxBytes: 100_000,
  maxRedirects: 3,
  userAgent: 'topicwire-test',
};

describe('the guard inside the connection', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await new FeedServer().start();
    server.set('/feed.rss', { body: '<rss version="2.0"><channel><title>x</title></channel></rss>' });
  });
  afterAll(async () => server?.stop());

  it('when a name resolves to a loopback address, then the socket refuses it after DNS, before connecting', async () => {
    const url = `http://localhost:${new URL(server.origin).port}/feed.rss`;
    await expect(fetchFeed(url, { ...options, addresses: { allowPrivate: false } })).rejects.toMatchObject({
      code: 'blocked_address',
      message: expect.stringMatching(/localhost resolves to .*private or reserved/),
    });
    expect(server.requests).toHaveLength(0);
    await expect(fetchFeed(url, { ...options, addresses: { allowPrivate: true } })).resolves.toMatchObject({
      kind: 'ok',
    });
  });
});
