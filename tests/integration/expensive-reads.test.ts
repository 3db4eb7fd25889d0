import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { searchQueryKeys } from '../../src/rules/search-keys.js';
import { startService } from '../../src/service.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const ITEMS = 200_000;

/**
 * 50 anonymous searches at once, each costly (a word every item holds, with a language none has:
 * the index hands PostgreSQL every item to check). Before issue 17 they took every connection of
 * the pool: health checks and plain pages waited 15-20 s and failed with 500s.
 */
describe('expensive reads under load', () => {
  let h: Harness;
  let feedId: number;

  beforeAll(async () => {
    h = await startHarness({ SEARCH_CONCURRENCY: '1' });
    feedId = (
      await h.db
        .insertInto('feeds')
        .values({
          url: 'http://archive.test/feed',
          interval_seconds: 900,
          next_poll_at: new Date(Date.now() + 86400_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const [common] = searchQueryKeys('common');
    // Rows written by PostgreSQL itself: a test store of this size in a few seconds.
    await sql`
      INSERT INTO items (feed_id, identity_hash, guid, url, canonical_url, title, summary, content_html, content_text,
                         author, categories, language, enclosures, sort_at, fetched_at, content_hash, search_keys)
      SELECT ${feedId}, 'h' || g, 'g' || g, 'http://archive.test/' || g, 'http://archive.test/' || g,
             'Common story ' || g, '', '', 'common text ' || g, '', '{}', 'en', '[]',
             now() - g * interval '1 minute', now(), 'c' || g, ARRAY[${common}::int4, g::int4]
      FROM generate_series(1, ${ITEMS}) g`.execute(h.db);
    // All in a public topic: what anonymous readers may search.
    await sql`
      WITH t AS (INSERT INTO topics (slug, name, rule, feed_key) VALUES ('archive', 'Archive', 'common', 'k') RETURNING id)
      INSERT INTO item_topics (topic_id, item_id, sort_at, matched_terms)
      SELECT t.id, items.id, items.sort_at, '[]' FROM t, items`.execute(h.db);
    await sql`ANALYZE items`.execute(h.db);
    await sql`ANALYZE item_topics`.execute(h.db);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  const timed = async (path: string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(h.baseUrl + path, { headers });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
  };

  it('when 50 expensive searches run at once, then at most SEARCH_CONCURRENCY run in the database, /readyz and a plain item page answer promptly, and no search gets a 500', async () => {
    // Searches seen running in the database, sampled while the load lasts.
    let mostAtOnce = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND query LIKE '%search_keys" @>%'`.execute(
          h.db,
        );
        mostAtOnce = Math.max(mostAtOnce, rows[0]!.n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Each search asks anew (no cached answer): the same costly plan 50 times.
    const searches = Array.from({ length: 50 }, (_, i) =>
      timed(`/api/v1/items?q=common&lang=x${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}`),
    );
    await new Promise((r) => setTimeout(r, 300));
    const probes: { status: number; ms: number }[] = [];
    for (let i = 0; i < 5; i++) {
      probes.push(await timed('/readyz'));
      probes.push(
        await timed(`/api/v1/items?feed=${feedId}&limit=20&until=${new Date(Date.now() - i * 1000).toISOString()}`),
      );
    }
    const answered = await Promise.all(searches);
    sampling = false;
    await sampler;

    expect(mostAtOnce).toBeGreaterThan(0);
    expect(mostAtOnce).toBeLessThanOrEqual(1);
    expect(probes.map((p) => p.status)).toEqual(Array(10).fill(200));
    // Alone on this machine every probe answers within ~100 ms (docs/reliability.md); before the
    // gate the first took 3.5 s. The bound leaves room for a CI machine whose cores are busy with
    // other tests (1.2 s seen there); the cap on concurrent searches above is the exact check.
    expect(Math.max(...probes.map((p) => p.ms)), JSON.stringify(probes)).toBeLessThan(2500);
    // Searches answer, or are turned away with 503 and when to come back: never a 500.
    for (const s of answered) {
      expect([200, 503]).toContain(s.status);
      if (s.status === 503) expect(Number(s.retryAfter)).toBeGreaterThan(0);
    }
  }, 120_000);

  it('when a search runs past SEARCH_TIMEOUT_MS, then it is cut off with a 503 that says to narrow it', async () => {
    // A second API process on the same database, with a limit that the costly search exceeds.
    const strict = await startService({ ...h.config, ROLE: 'api', SEARCH_TIMEOUT_MS: 1 }, h.db, createLogger('silent'));
    try {
      const res = await fetch(`http://127.0.0.1:${strict.port}/api/v1/items?q=common&lang=zz`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await res.json()).error).toMatchObject({
        code: 'too_costly',
        message: expect.stringMatching(/narrow it/),
      });
      // The connection it used is fine for the next request.
      expect((await fetch(`http://127.0.0.1:${strict.port}/api/v1/items?feed=${feedId}&limit=1`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
