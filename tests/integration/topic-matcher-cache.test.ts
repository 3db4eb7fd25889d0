import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicMatcherCache } from '../../src/app/topic-matcher-cache.js';
import type { Db } from '../../src/db/database.js';
import { createTopic, deleteTopic, replaceFeedKey, updateTopic } from '../../src/db/topics.repository.js';
import { matchItem, type MatchableItem } from '../../src/rules/compile.js';
import { createTestDb } from '../helpers/test-db.js';

const item = (title: string): MatchableItem => ({
  title,
  summary: '',
  contentText: '',
  author: '',
  categories: [],
  url: 'https://cache.example/a',
  feedTitle: 'Cache',
  language: 'en',
});

describe("a worker's compiled topics", () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await createTestDb()));
  afterAll(async () => drop?.());

  const topics = (cache: TopicMatcherCache, title: string) =>
    cache.current(db).then((m) => matchItem(m, item(title)).map((t) => t.topicId));

  it('when a topic is added, removed or given a new rule, then the next poll uses it; when it is renamed or its feed key replaced, then nothing is compiled again', async () => {
    const cache = new TopicMatcherCache();
    const alpha = (await createTopic(db, {
      slug: 'alpha',
      name: 'Alpha',
      rule: 'alpha',
      visibility: 'public',
      feed_key: 'ka',
    }))!;
    expect(await topics(cache, 'Alpha news')).toEqual([alpha.id]);
    const compiled = await cache.current(db);

    await updateTopic(db, 'alpha', { name: 'Alpha renamed', rule: 'alpha', visibility: 'private' });
    await replaceFeedKey(db, 'alpha', 'kb');
    expect(await cache.current(db)).toBe(compiled);

    await updateTopic(db, 'alpha', { name: 'Alpha', rule: 'beta' });
    expect(await topics(cache, 'Alpha news')).toEqual([]);
    expect(await topics(cache, 'Beta news')).toEqual([alpha.id]);

    const gamma = (await createTopic(db, {
      slug: 'gamma',
      name: 'Gamma',
      rule: 'gamma',
      visibility: 'public',
      feed_key: 'kg',
    }))!;
    expect(await topics(cache, 'Gamma news')).toEqual([gamma.id]);
    // One removed and one added between two polls: the count is the same, the ids are not.
    await deleteTopic(db, 'gamma');
    const delta = (await createTopic(db, {
      slug: 'delta',
      name: 'Delta',
      rule: 'gamma',
      visibility: 'public',
      feed_key: 'kd',
    }))!;
    expect(await topics(cache, 'Gamma news')).toEqual([delta.id]);
  });
});
