import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TOKEN, type Harness } from '../helpers/harness.js';

// The web app's sign-in (issue 19): a token kept in an HttpOnly, SameSite=Strict cookie, which
// counts only on requests that carry the web app's header (a page of another site cannot send it).
describe('web sessions', () => {
  let h: Harness;
  const web = { 'x-topicwire-client': 'web' };
  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(h.baseUrl + path, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('when a browser signs in, then its cookie is HttpOnly and SameSite=Strict and stands for the token with the header only', async () => {
    expect((await send('POST', '/api/v1/session', web, { token: 'twk_wrong' })).status).toBe(401);
    const signed = await send('POST', '/api/v1/session', web, { token: TOKEN });
    expect(signed.status).toBe(200);
    expect((await signed.json()).session).toEqual({ name: 'API_TOKEN', scopes: ['admin'] });
    const cookie = signed.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    const jar = { cookie: cookie.split(';')[0]! };

    const topic = { slug: 'by-session', name: 'S', rule: 'korea' };
    // The cookie alone (as a form of another site would send it): no credentials.
    expect((await send('POST', '/api/v1/topics', jar, topic)).status).toBe(401);
    expect((await send('POST', '/api/v1/topics', { ...jar, ...web }, topic)).status).toBe(201);
    expect((await (await send('GET', '/api/v1/session', { ...jar, ...web })).json()).session.scopes).toEqual(['admin']);
    expect((await (await send('GET', '/api/v1/session', jar)).json()).session).toBeNull();

    const out = await send('DELETE', '/api/v1/session', { ...jar, ...web });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});
