import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { appContext } from '../helpers/app-context.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { startHarness, type Harness } from '../helpers/harness.js';
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

  it('when a route is added or removed, then docs/openapi.yaml must say so: the two lists are equal', () => {
    const app = createApp({ ...appContext(db, loadConfig({ DATABASE_URL: 'postgres://unused/db' })), redis });
    const routes = routesOf(app);
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toEqual(documented());
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
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
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
