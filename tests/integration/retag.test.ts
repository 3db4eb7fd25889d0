import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { insertFeed } from '../../src/db/feeds.repository.js';
import { upsertItems } from '../../src/db/items.repository.js';
import { createTopic, deleteTopic, updateTopic } from '../../src/db/topics.repository.js';
import { createLogger } from '../../src/logger.js';
import { retagTopic } from '../../src/app/topics.js';
import { itemRow } from '../helpers/item-rows.js';
import { createTestDb } from '../helpers/test-db.js';

describe('re-tagging a topic while it changes', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const deps = () => ({
    db,
    config: loadConfig({ DATABASE_URL: 'postgres://unused/db' }),
    log: createLogger('silent'),
  });
  beforeAll(async () => {
    ({ db, drop } = await createTestDb());
    // More than one batch (500) of items, every one holding the topic's word.
    const { feed } = await insertFeed(db, 'https://retag.example/feed', 900);
    await upsertItems(
      db,
      Array.from({ length: 1200 }, (_, n) => itemRow(feed.id, n, { title: `Alpha ${n}` })),
    );
  });
  afterAll(async () => drop?.());

  const tagsOf = async (topicId: number) =>
    Number(
      (
        await db
          .selectFrom('item_topics')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('topic_id', '=', topicId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('when the topic is deleted while its job runs, then the job stops without an error', async () => {
    // Deleted at a moment that varies, mostly while a batch is being matched: before the job wrote
    // each batch under the topics lock, 8 of 10 such jobs failed on item_topics' foreign key.
    for (let round = 0; round < 10; round++) {
      const topic = (await createTopic(db, {
        slug: `deleted-${round}`,
        name: 'Deleted',
        rule: 'alpha',
        visibility: 'public',
        feed_key: `k-${round}`,
      }))!;
      const job = retagTopic(deps(), { topicId: topic.id, version: topic.version });
      await new Promise((resolve) => setTimeout(resolve, 5 + round * 3));
      expect(await deleteTopic(db, topic.slug)).toBe(true);
      await expect(job).resolves.toEqual(expect.any(Number));
    }
  });

  it('when the rule changes after the first batch, then the old rule tags no further item', async () => {
    const topic = (await createTopic(db, {
      slug: 'changed',
      name: 'Changed',
      rule: 'alpha',
      visibility: 'public',
      feed_key: 'k',
    }))!;
    let batches = 0;
    await retagTopic(deps(), { topicId: topic.id, version: topic.version }, async () => {
      if (++batches === 1) await updateTopic(db, 'changed', { name: 'Changed', rule: 'beta' });
    });
    expect(batches).toBe(1);
    expect(await tagsOf(topic.id)).toBe(500);
  });
});
