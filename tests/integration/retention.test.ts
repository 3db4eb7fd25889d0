import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { lockPruning } from '../../src/db/items.repository.js';
import { pruneItems } from '../../src/app/maintenance.js';
import { appContext } from '../helpers/app-context.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

describe('retention', () => {
  let h: Harness;
  let feeds: FeedServer;
  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness({ RETENTION_DAYS: '30' });
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  it('when items are older than RETENTION_DAYS, then the daily job removes them and the feed does not bring them back', async () => {
    const old = new Date(Date.now() - 60 * 86400_000).toUTCString();
    const recent = new Date(Date.now() - 86400_000).toUTCString();
    feeds.set('/kept.rss', {
      body: `<rss version="2.0"><channel><title>K</title>
        <item><guid>old</guid><title>Old news</title><pubDate>${old}</pubDate></item>
        <item><guid>new</guid><title>New news</title><pubDate>${recent}</pubDate></item></channel></rss>`,
    });
    const id = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/kept.rss') })).body.feed.id;
    const guids = async () =>
      ((await h.api('GET', `/api/v1/items?feed=${id}`)).body.items as any[]).map((i) => i.guid).sort();
    // Never refused at ingestion: the old item is stored first.
    await eventually(async () => (await guids()).length === 2, 10_000, 'both stored');

    await pruneItems(appContext(h.db, h.config));
    expect(await guids()).toEqual(['new']);

    const polled = (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed.lastPolledAt;
    await h.api('POST', `/api/v1/feeds/${id}/refresh`);
    await eventually(
      async () => (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed.lastPolledAt !== polled,
      10_000,
      'polled again',
    );
    expect(await guids()).toEqual(['new']);
  });

  it('when a prune batch commits while a poll of the feed is storing, then the pruned item does not come back', async () => {
    const old = new Date(Date.now() - 60 * 86400_000).toUTCString();
    feeds.set('/raced.rss', {
      body: `<rss version="2.0"><channel><title>R</title>
        <item><guid>old</guid><title>Old news</title><pubDate>${old}</pubDate></item>
        <item><guid>new</guid><title>New news</title><pubDate>${new Date().toUTCString()}</pubDate></item></channel></rss>`,
    });
    const id = (await h.api('POST', '/api/v1/feeds', { url: feeds.url('/raced.rss') })).body.feed.id;
    const guids = async () =>
      ((await h.api('GET', `/api/v1/items?feed=${id}`)).body.items as any[]).map((i) => i.guid).sort();
    await eventually(async () => (await guids()).length === 2, 10_000, 'both stored');
    const polled = (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed.lastPolledAt;

    // A prune batch of this feed's old item, held open while the feed is polled again: without
    // the lock the poll reads no pruned identity, waits on the deleted row, and stores it anew.
    await h.db.transaction().execute(async (trx) => {
      await lockPruning(trx);
      await sql`
        WITH gone AS (DELETE FROM items WHERE feed_id = ${id} AND guid = 'old' RETURNING feed_id, identity_hash)
        INSERT INTO pruned_identities (feed_id, identity_hash) SELECT feed_id, identity_hash FROM gone`.execute(trx);
      await h.api('POST', `/api/v1/feeds/${id}/refresh`);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    await eventually(
      async () => (await h.api('GET', `/api/v1/feeds/${id}`)).body.feed.lastPolledAt !== polled,
      10_000,
      'polled again',
    );
    expect(await guids()).toEqual(['new']);
  });
});
