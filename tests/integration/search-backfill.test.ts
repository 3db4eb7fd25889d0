import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSearchBacklog, pollDueFeeds } from '../../src/app/maintenance.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { insertFeed } from '../../src/db/feeds.repository.js';
import { listItems, setSearchKeys, upsertItems } from '../../src/db/items.repository.js';
import { searchKeys } from '../../src/rules/search-keys.js';
import { appContext } from '../helpers/app-context.js';
import { itemRow } from '../helpers/item-rows.js';
import { createTestDb } from '../helpers/test-db.js';

describe('items stored before the search index had its keys (an upgrade)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await createTestDb()));
  afterAll(async () => drop?.());

  it('when the scheduler ticks, then it queues the backfill, which keys every older item so that search finds them', async () => {
    const { feed } = await insertFeed(db, 'https://old.example/feed', 900);
    await upsertItems(
      db,
      Array.from({ length: 1200 }, (_, n) => ({
        ...itemRow(feed.id, n),
        title: `Old ${n}`,
        content_text: `archive ${n % 7 ? 'plain' : 'heron'}`,
      })),
    );
    // As a database migrated from the trigram version leaves them.
    await sql`UPDATE items SET search_keys = NULL`.execute(db);
    expect(await listItems(db, { q: 'heron', stories: false }, 500, null)).toEqual([]);

    const ctx = appContext(db, loadConfig({ LOG_LEVEL: 'silent' }));
    await pollDueFeeds(ctx);
    expect(ctx.queued.map((j) => j.name)).toContain('index-search');

    expect(await indexSearchBacklog(ctx)).toBe(1200);
    expect(await listItems(db, { q: 'heron', stories: false }, 500, null)).toHaveLength(172);
    expect(await indexSearchBacklog(ctx)).toBe(0);
    ctx.queued.splice(0);
    await pollDueFeeds(ctx);
    expect(ctx.queued.map((j) => j.name)).not.toContain('index-search');
  });

  it('when items were keyed before summaries and categories were, then the backfill keys them again, newest first, once', async () => {
    const { feed } = await insertFeed(db, 'https://older.example/feed', 900);
    await upsertItems(
      db,
      Array.from({ length: 700 }, (_, n) => ({
        ...itemRow(feed.id, n),
        title: `Older ${n}`,
        summary: n % 5 ? '' : 'a teaser about egrets',
        categories: n % 7 ? [] : ['Wading birds'],
        content_text: 'archive text',
      })),
    );
    // As migration 20261208_000003 leaves an install: keys of title and text only, and the mark.
    await sql`UPDATE items SET search_keys = NULL`.execute(db);
    const ctx = appContext(db, loadConfig({ LOG_LEVEL: 'silent' }));
    const rows = await db.selectFrom('items').select(['id', 'title', 'content_text']).execute();
    await setSearchKeys(
      db,
      rows.map((r) => ({ id: r.id, keys: searchKeys([r.title, r.content_text]) })),
    );
    await sql`INSERT INTO search_rekey (id, below_id) SELECT 1, max(id) + 1 FROM items`.execute(db);
    expect(await listItems(db, { q: 'egrets', stories: false }, 500, null)).toEqual([]);

    await pollDueFeeds(ctx);
    expect(ctx.queued.map((j) => j.name)).toContain('index-search');
    // Every stored item (those of the test before too) is keyed again once.
    expect(await indexSearchBacklog(ctx)).toBe(1900);
    expect(await listItems(db, { q: 'egrets', stories: false }, 500, null)).toHaveLength(140);
    expect(await listItems(db, { q: 'wading birds', stories: false }, 500, null)).toHaveLength(100);
    expect(await db.selectFrom('search_rekey').selectAll().execute()).toEqual([]);
    expect(await indexSearchBacklog(ctx)).toBe(0);
  });
});
