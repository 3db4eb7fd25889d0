import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// Budgets shared by every API process (issue 18): two API services on one Redis and database.
describe('rate limits across API processes', () => {
  let h: Harness;
  let second: RunningService;
  let urls: string[];

  beforeAll(async () => {
    h = await startHarness({
      RATE_LIMIT_READS: '10',
      RATE_LIMIT_WRITES: '4',
      RATE_LIMIT_SEARCHES: '3',
      RATE_LIMIT_WEBSUB: '2',
      RATE_LIMIT_AUTH_FAILURES: '5',
    });
    second = await startService({ ...h.config, ROLE: 'api', PORT: 0 }, h.db, createLogger('silent'));
    urls = [h.baseUrl, `http://127.0.0.1:${second.port}`];
  });
  afterAll(async () => {
    await second?.close();
    await h?.stop();
  });

  // Each test is another client: a proxy on loopback (TRUST_PROXY's default) names its address.
  const send = (i: number, path: string, init: RequestInit = {}, client = '10.0.0.1') =>
    fetch(urls[i % 2]! + path, { ...init, headers: { ...(init.headers as object), 'x-forwarded-for': client } });

  it('when one client reads past its budget through both processes, then it gets 429 with Retry-After; health checks are not counted', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send(i, '/api/v1/topics')).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    const refused = await send(0, '/api/v1/topics');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).error.code).toBe('too_many_requests');
    expect((await send(1, '/readyz')).status).toBe(200);
    expect((await send(1, '/healthz')).status).toBe(200);
  });

  it('when a token writes past its budget, then it is refused; another token has its own budget', async () => {
    const token = async (name: string) =>
      (
        await send(0, '/api/v1/tokens', {
          method: 'POST',
          headers: { authorization: `Bearer ${h.config.API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, scopes: ['write'] }),
        })
      ).json() as Promise<{ token: string }>;
    // The bootstrap token spent one write above on each token it created.
    const [a, b] = [(await token('a')).token, (await token('b')).token];
    const write = (i: number, secret: string) =>
      send(i, '/api/v1/topics', {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          slug: `t-${secret
            .slice(-6)
            .toLowerCase()
            .replace(/[^a-z0-9]/g, 'x')}-${i}`,
          name: 'T',
          rule: 'x',
        }),
      }).then((r) => r.status);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await write(i, a));
    expect(statuses.slice(0, 4).every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses[4]).toBe(429);
    expect([201, 409]).toContain(await write(1, b));
  });

  it('when an address guesses tokens, then after a few failures it is refused before any check, even with a good token', async () => {
    const guess = (i: number, secret: string) =>
      send(i, '/api/v1/tokens', { headers: { authorization: `Bearer ${secret}` } }, '10.0.0.3').then((r) => r.status);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await guess(i, `twk_guess${i}`));
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(401));
    expect(statuses[5]).toBe(429);
    expect(await guess(0, h.config.API_TOKEN)).toBe(429);
  });

  it('when one address sends WebSub requests past its hourly budget, then they are refused', async () => {
    const subscribe = (i: number) =>
      send(
        i,
        '/websub',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'hub.mode=subscribe&hub.topic=http://x/topics/none/feed.atom&hub.callback=http://127.0.0.1:9/cb',
        },
        '10.0.0.4',
      ).then((r) => r.status);
    const statuses = [await subscribe(0), await subscribe(1), await subscribe(0)];
    expect(statuses[2]).toBe(429);
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
  });

  it('when requests are refused, then /metrics counts them by budget', async () => {
    const metrics = await Promise.all(
      [0, 1].map(async (i) =>
        (await send(i, '/metrics', { headers: { authorization: `Bearer ${h.config.API_TOKEN}` } }, '10.0.0.5')).text(),
      ),
    );
    expect(metrics.join('\n')).toMatch(
      /topicwire_rate_limited_requests_total\{kind="(read|write|auth_failure|websub)"\} [1-9]/,
    );
  });
});
