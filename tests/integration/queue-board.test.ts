import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TOKEN, type Harness } from '../helpers/harness.js';

// The queue dashboard (issue 18, part 7): bull-board at /admin/queues, for admins only.
describe('the queue dashboard', () => {
  let h: Harness;
  let reader: string;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(h.baseUrl + path, { headers, redirect: 'manual' });
  const signIn = (token: string) =>
    fetch(`${h.baseUrl}/admin/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });

  beforeAll(async () => {
    h = await startHarness();
    reader = (await h.api('POST', '/api/v1/tokens', { name: 'reader', scopes: ['read'] })).body.token;
  });
  afterAll(async () => h?.stop());

  it('when nobody signed in opens it, then a sign-in form answers; a token without admin is refused', async () => {
    const page = await get('/admin/queues', { accept: 'text/html' });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<form method="post" action="/admin/sign-in">');
    expect((await get('/admin/queues/api/queues', { accept: 'application/json' })).status).toBe(401);
    expect((await get('/admin/queues/api/queues', { authorization: `Bearer ${reader}` })).status).toBe(403);
  });

  it('when an admin token asks, then the dashboard and its queues answer', async () => {
    const page = await get('/admin/queues', { authorization: `Bearer ${TOKEN}` });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('__UI_CONFIG__');
    const api = await get('/admin/queues/api/queues', { authorization: `Bearer ${TOKEN}` });
    expect(api.status).toBe(200);
    const names = ((await api.json()).queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(['push', 'refresh', 'retag', 'schedule', 'stories']);
  });

  it('when a browser signs in, then its HttpOnly, SameSite=Strict session cookie opens the dashboard, not the API on its own, and signing out ends it', async () => {
    expect((await signIn(reader)).status).toBe(401);
    expect((await signIn('twk_wrong')).status).toBe(401);
    const signed = await signIn(TOKEN);
    expect(signed.status).toBe(303);
    expect(signed.headers.get('location')).toBe('/admin/queues');
    const cookie = signed.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    const jar = cookie.split(';')[0]!;
    expect((await get('/admin/queues/api/queues', { cookie: jar })).status).toBe(200);
    // Not a token for the API without the web app's header (src/api/auth.ts).
    const write = await fetch(`${h.baseUrl}/api/v1/topics`, {
      method: 'POST',
      headers: { cookie: jar, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'by-cookie', name: 'x', rule: 'x' }),
    });
    expect(write.status).toBe(401);
    // Changes from another site are refused even with the cookie.
    const foreign = await fetch(`${h.baseUrl}/admin/queues/api/queues/push/pause`, {
      method: 'PUT',
      headers: { cookie: jar, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const out = await fetch(`${h.baseUrl}/admin/sign-out`, {
      method: 'POST',
      headers: { cookie: jar },
      redirect: 'manual',
    });
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});
