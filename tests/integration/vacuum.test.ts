import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { vacuumBusyTables } from '../../src/app/maintenance.js';
import { upsertItems } from '../../src/db/items.repository.js';
import { createLogger } from '../../src/logger.js';
import { itemRow } from '../helpers/item-rows.js';
import { createTestDb } from '../helpers/test-db.js';

const vacuums = async (db: Awaited<ReturnType<typeof createTestDb>>['db'], table: string) =>
  Number(
    (
      await sql<{
        n: string;
      }>`SELECT vacuum_count + autovacuum_count AS n FROM pg_stat_user_tables WHERE relname = ${table}`.execute(db)
    ).rows[0]!.n,
  );

describe('keeping the busy tables vacuumed', () => {
  it('when grouping tables passed their threshold of changes, then they are vacuumed, and not again until they pass it anew', async () => {
    const { db, url, drop } = await createTestDb();
    const ctx = { db, log: createLogger('silent') };
    // Rows inserted through one connection that reports its counts at once (PostgreSQL would
    // otherwise keep them for up to 10 s before the counters the job reads show them).
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    const feed = await db
      .insertInto('feeds')
      .values({ url: 'https://a.example/feed', interval_seconds: 900, next_poll_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const items = await upsertItems(
      db,
      Array.from({ length: 400 }, (_, n) => itemRow(feed.id, n)),
    );
    const insertBands = async (from: number, to: number) => {
      await writer.query(
        'INSERT INTO item_bands (band_key, sort_at, item_id, simhash) SELECT k, now(), id, k FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, k)',
        [items.slice(from, to).map((i) => i.id)],
      );
      // Reported when the backend goes idle after this statement, before it answers.
      await writer.query('SELECT pg_stat_force_next_flush()');
    };
    const thresholds = { item_bands: 300, ungrouped_items: 1_000_000, items: 1_000_000 };
    try {
      await insertBands(0, 200);
      expect(await vacuumBusyTables(ctx, thresholds)).toEqual([]);

      await insertBands(200, 400);
      const before = await vacuums(db, 'item_bands');
      expect(await vacuumBusyTables(ctx, thresholds)).toEqual(['item_bands']);
      expect(await vacuums(db, 'item_bands')).toBe(before + 1);
      // The pages are all-visible now: a lookup reads the index alone.
      const plan = await sql<{ 'QUERY PLAN': string }>`
        EXPLAIN (ANALYZE, COSTS OFF) SELECT item_id FROM item_bands WHERE band_key = 7 AND sort_at > now() - interval '1 day'`.execute(
        db,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Heap Fetches: 0/);

      expect(await vacuumBusyTables(ctx, thresholds)).toEqual([]);
    } finally {
      await writer.end();
      await drop();
    }
  });
});
