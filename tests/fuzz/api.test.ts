import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TOKEN, type Harness } from '../helpers/harness.js';
import { seeded, type Rand } from './mutate.js';

/*
 * API fuzzing (`npm run test:fuzz`; FUZZ_SECONDS, FUZZ_SEED): requests for every operation of
 * docs/openapi.yaml, their paths, query strings, headers and bodies filled with odd and hostile
 * values (NUL, over-long, out of range, malformed encodings, wrong types and content types),
 * with and without the token. No answer may be a 5xx (but a 503 that says when to come back),
 * carry a stack trace or SQL text, or take longer than the deadline. A failing request is
 * written out as JSON, to be kept in tests/fixtures/fuzz (api-*.json) and replayed.
 */

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DEADLINE_MS = 10_000;
const SPEC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/openapi.yaml');

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query'; type: string; format?: string; enum?: string[] }[];
  bodyTypes: string[];
  bodyFields: string[];
}

/** Every operation of the OpenAPI document, with what it takes. */
function operations(): Operation[] {
  const doc = yaml.load(readFileSync(SPEC, 'utf8')) as any;
  const ops: Operation[] = [];
  for (const [route, item] of Object.entries<any>(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => ({
        name: p.name,
        in: p.in,
        type: p.schema?.type ?? 'string',
        format: p.schema?.format,
        enum: p.schema?.enum,
      }));
      const content = op.requestBody?.content ?? {};
      const fields = new Set<string>();
      for (const media of Object.values<any>(content)) {
        const walk = (schema: any) => {
          if (!schema) return;
          for (const k of Object.keys(schema.properties ?? {})) fields.add(k);
          for (const alt of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) walk(alt);
        };
        walk(media.schema);
      }
      ops.push({
        method: method.toUpperCase(),
        path: route,
        params,
        bodyTypes: Object.keys(content),
        bodyFields: [...fields],
      });
    }
  }
  return ops;
}

const ODD_TEXT = [
  '',
  '\u0000',
  'a\u0000b',
  'x'.repeat(70_000),
  '%',
  '%E0%A4',
  '%00',
  '%2F..%2F..',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::127.0.0.1]/',
  'http://user:pw@127.0.0.1:9/x?apikey=1',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '\ud800',
  '\u202Eevil',
  'कोरिया',
  '🇰🇷'.repeat(100),
  '-1',
  '0',
  '1.5',
  '1e400',
  '99999999999999999999',
  '9223372036854775808',
  'NaN',
  'Infinity',
  'true',
  'null',
  '[]',
  '{}',
  '0001-01-01',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '2024-02-30T25:61:61Z',
  'world',
  '"north korea" AND (',
  'a OR '.repeat(2000) + 'b',
  '('.repeat(5000),
];
const ODD_DATES = [
  '0000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '10000-01-01',
  '2024-13-01',
  '1969-12-31T23:59:59.999999999Z',
  '2024-01-01T00:00:00+99:99',
  'Tue, 12 Nov 2024 10:00:00 GMT',
  '1e12',
];
const ODD_JSON = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53 + 1,
  1.5,
  [],
  {},
  ['a'],
  { $gt: '' },
  Array(1000).fill('x'),
];

const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // a lone surrogate: sent as it is
  }
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

// A value each known field takes when it is not the one under attack: requests get past the
// checks of their other fields, so that the odd value reaches as deep as it can.
const VALID: Record<string, string[]> = {
  id: ['1', '2'],
  slug: ['world'],
  format: ['atom', 'rss', 'json'],
  topic: ['world'],
  feed: ['1'],
  q: ['world', 'north korea'],
  since: ['2024-01-01T00:00:00Z'],
  until: ['2030-01-01T00:00:00Z'],
  lang: ['en', 'hi-IN'],
  prefer_lang: ['hi'],
  stories: ['true', 'false'],
  limit: ['1', '50'],
  url: ['http://feeds.example/rss'],
  name: ['Fuzz'],
  rule: ['world OR "north korea"'],
  'hub.mode': ['subscribe', 'unsubscribe'],
  'hub.topic': ['http://localhost/topics/world/feed.atom'],
  'hub.callback': ['http://subscriber.example/cb'],
  'hub.lease_seconds': ['3600'],
  'hub.secret': ['s3cret'],
  key: ['not-the-key'],
  last_event_id: ['0', '1'],
  'Last-Event-ID': ['0', '7'],
  secret: ['a-shared-secret-of-32-characters'],
  token: ['twk_not-a-token'],
  visibility: ['public', 'private'],
};
// Body fields whose valid value is not a string.
const VALID_JSON: Record<string, readonly unknown[]> = {
  force: [true, false],
  discover: [true, false],
  enabled: [true, false],
  preferred: [true, false],
  scopes: [['read'], ['write', 'read'], ['admin']],
  expiresAt: ['2031-01-01T00:00:00Z'],
  limit: [20],
};
const validOf = (name: string, rand: Rand, p?: { enum?: string[]; type?: string }) =>
  p?.enum ? pick(rand, p.enum) : VALID[name] ? pick(rand, VALID[name]!) : p?.type === 'integer' ? '1' : 'x';

function request(op: Operation, rand: Rand, n: number): FuzzRequest {
  // One or two of the request's fields carry an odd value, the others a valid one.
  const fields = [...op.params.map((p) => p.name), ...op.bodyFields];
  const odd = new Set(
    Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(rand, fields.length ? fields : ['-'])),
  );
  const valueOf = (name: string, p?: { enum?: string[]; type?: string; format?: string }) =>
    odd.has(name)
      ? pick(rand, p?.format === 'date-time' && rand() < 0.5 ? ODD_DATES : ODD_TEXT)
      : name === 'slug' && op.method !== 'GET'
        ? `fuzz-${n}`
        : validOf(name, rand, p);
  let route = op.path;
  for (const p of op.params.filter((p) => p.in === 'path')) {
    const raw = valueOf(p.name, p);
    // Sometimes raw, so that malformed escapes reach the router as they are.
    route = route.replace(`{${p.name}}`, rand() < 0.3 && !/[/?#\s]/.test(raw) ? raw : encode(raw));
  }
  const query: string[] = [];
  for (const p of op.params.filter((p) => p.in === 'query')) {
    // A parameter without a known valid value (a cursor) is sent only as the odd one.
    if (odd.has(p.name) || (VALID[p.name] && rand() < 0.5)) {
      const value = valueOf(p.name, p);
      query.push(`${p.name}=${rand() < 0.2 ? value.replace(/[#&]/g, '') : encode(value)}`);
    }
  }
  if (rand() < 0.05) query.push(`${encode(pick(rand, ODD_TEXT))}=1`);
  if (rand() < 0.03) query.push('a[b][c][d]=1&a[b][c][e]=2');
  const headers: Record<string, string> = {};
  if (rand() < 0.8) headers.authorization = `Bearer ${TOKEN}`;
  else if (rand() < 0.5)
    headers.authorization = pick(rand, ['Bearer', 'Bearer ' + 'x'.repeat(5000), 'Basic Zm9vOmJhcg==', 'Bearer \u00ff']);
  let body: string | undefined;
  if (op.bodyTypes.length || rand() < 0.05) {
    const type =
      rand() < 0.85 && op.bodyTypes.length
        ? pick(rand, op.bodyTypes)
        : pick(rand, [
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/xml',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'garbage/',
            '',
          ]);
    if (type) headers['content-type'] = type;
    if (type.includes('json')) {
      if (rand() < 0.1)
        body = pick(rand, ['{', '{"url":', 'nul\u0000', '[1,2', '"str"', '1e999', '{"a":'.repeat(3000)]);
      else {
        const obj: Record<string, unknown> = {};
        for (const f of op.bodyFields) {
          if (odd.has(f)) obj[f] = rand() < 0.6 ? pick(rand, ODD_TEXT) : pick(rand, ODD_JSON);
          else if (rand() < 0.9) obj[f] = VALID_JSON[f] ? pick(rand, VALID_JSON[f]!) : valueOf(f);
        }
        if (rand() < 0.1) obj[pick(rand, ODD_TEXT)] = pick(rand, ODD_JSON);
        body = JSON.stringify(rand() < 0.05 ? [obj] : obj);
      }
    } else if (type.includes('form')) {
      body =
        op.bodyFields.map((f) => `${f}=${encode(valueOf(f))}`).join('&') || `hub.mode=${encode(pick(rand, ODD_TEXT))}`;
    } else {
      body = pick(rand, [
        '<opml version="2.0"><body><outline xmlUrl="http://127.0.0.1:9/"/></body></opml>',
        '<opml',
        '\u0000',
        'x'.repeat(100_000),
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><opml><body>&a;</body></opml>',
      ]);
    }
  }
  return { method: op.method, path: route + (query.length ? `?${query.join('&')}` : ''), headers, body };
}

// What an answer must never show: where our code is, or the database's words.
const LEAK =
  /\bat [^\s]+\.(js|ts):\d+|node_modules|syntax error at or near|violates [a-z ]*constraint|relation "[^"]+"|invalid byte sequence|out of range for type|\bSELECT\b.+\bFROM\b/i;

describe('API fuzzing from the OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    // Private addresses refused, as on the internet: nothing the fuzzer sends gets fetched.
    h = await startHarness({ FETCH_ALLOW_PRIVATE: 'false', FETCH_TIMEOUT_MS: '2000' });
    await h.api('POST', '/api/v1/topics', { slug: 'world', name: 'World', rule: 'world' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it(`when generated requests hit every operation for ${SECONDS} s (seed ${SEED}), then none gets a 5xx, a stack trace, SQL text or no answer in time`, async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(10);
    const rand = seeded(SEED);
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    const seen = new Set<string>();
    const outDir = path.join(tmpdir(), `topicwire-api-fuzz-${SEED}`);
    let sent = 0;
    const until = Date.now() + SECONDS * 1000;
    while (Date.now() < until && failures.length < 5) {
      const op = ops[sent % ops.length]!;
      const req = request(op, rand, sent);
      seen.add(`${op.method} ${op.path}`);
      const started = performance.now();
      let status = 0;
      let text = '';
      let retryAfter: string | null = null;
      try {
        const res = await fetch(h.baseUrl + req.path, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal: AbortSignal.timeout(DEADLINE_MS),
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
          // A live stream does not end: its first bytes are the answer.
          const reader = res.body!.getReader();
          text = new TextDecoder().decode((await reader.read()).value);
          await reader.cancel();
        } else text = await res.text();
      } catch (err) {
        // A request fetch() itself refuses to send (a header it will not write) is no finding.
        if ((err as Error).name === 'TypeError' && !/fetch failed/.test((err as Error).message)) continue;
        text = `no answer: ${(err as Error).message}`;
      }
      sent++;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      const ms = performance.now() - started;
      const problem =
        status === 0
          ? text
          : status >= 500 && !(status === 503 && retryAfter)
            ? `status ${status}: ${text.slice(0, 300)}`
            : LEAK.test(text)
              ? `leaks internals: ${text.slice(0, 300)}`
              : ms > DEADLINE_MS
                ? `took ${Math.round(ms)} ms`
                : null;
      if (problem) {
        mkdirSync(outDir, { recursive: true });
        const file = path.join(outDir, `api-${sent}.json`);
        writeFileSync(file, JSON.stringify(req, null, 2));
        failures.push(`${req.method} ${req.path.slice(0, 200)}: ${problem} — request kept at ${file}`);
      }
    }
    console.log(
      `API fuzzing: seed ${SEED}, ${sent} requests over ${seen.size} operations in ${SECONDS} s; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}`,
    );
    expect(seen.size).toBe(ops.length);
    expect(failures).toEqual([]);
  });
});
