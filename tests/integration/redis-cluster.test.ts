import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFarm, type Farm } from '../../bench/farm.js';
import { buildOpml } from '../../src/pipeline/parse/opml.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import { OwnRedisCluster } from '../helpers/services.js';

/**
 * The service on a Redis Cluster of three nodes instead of one server: the queues (whose keys
 * must share a hash slot, hence the hash-tagged prefix) and the host leases work across nodes,
 * and a farm of feeds on many hosts is ingested through it, stored once, tagged and grouped.
 */
describe('on a Redis Cluster', () => {
  const cluster = new OwnRedisCluster();
  let farm: Farm;
  let stopFarm: () => Promise<void>;
  let h: Harness;

  beforeAll(async () => {
    await cluster.start();
    const served = await serveFarm({ feeds: 24, items: 20, seed: 17 });
    farm = served.farm;
    stopFarm = () => new Promise((resolve) => served.server.close(() => resolve()));
    h = await startHarness({ REDIS_CLUSTER_NODES: cluster.nodeList, QUEUE_PREFIX: 'cluster-test' });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await stopFarm?.();
    await cluster.stop();
  });

  it('when the queue prefix has no hash tag, then the service makes it one', () => {
    expect(h.config.QUEUE_PREFIX).toBe('{cluster-test}');
  });

  it('when a farm of feeds is imported, then every item is stored once, tagged and grouped through the cluster', async () => {
    const topic = await h.api('POST', '/api/v1/topics', {
      slug: 'all-news',
      name: 'All',
      rule: 'gouvernement OR accord',
    });
    expect(topic.status).toBe(201);
    const opml = buildOpml(
      farm.feeds.map((f) => ({ url: farm.url(f), title: f.title, siteUrl: '', tags: [] })),
      'farm',
    );
    const imported = await h.api('POST', '/api/v1/opml', opml, { 'content-type': 'text/x-opml' });
    expect(imported.status).toBe(201);

    const count = async () =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM items`.execute(h.db)).rows[0]!.n);
    await eventually(async () => (await count()) >= farm.itemCount, 60_000, 'every farm item stored');
    expect(await count()).toBe(farm.itemCount);
    const distinct = await sql<{ n: string }>`SELECT count(DISTINCT (feed_id, guid)) AS n FROM items`.execute(h.db);
    expect(Number(distinct.rows[0]!.n)).toBe(farm.itemCount);
    await eventually(
      async () =>
        Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ungrouped_items`.execute(h.db)).rows[0]!.n) === 0,
      30_000,
      'every item grouped',
    );
    // Tagged while stored: the topic holds exactly the items its rule matches.
    const preview = await h.api('POST', '/api/v1/topics/preview', { rule: 'gouvernement OR accord', limit: 1000 });
    expect(preview.body.examined).toBe(farm.itemCount);
    const tagged = await h.db.selectFrom('item_topics').select('item_id').execute();
    expect(tagged.length).toBeGreaterThan(0);
    expect(tagged.map((t) => t.item_id).sort()).toEqual(preview.body.matches.map((m: any) => m.item.id).sort());
    const failing = await h.db.selectFrom('feeds').select('url').where('last_error_code', 'is not', null).execute();
    expect(failing).toEqual([]);

    // The jobs really went through the cluster: its nodes hold the queues' keys, all in the tag's slot.
    const keys: string[] = [];
    for (const port of cluster.ports) {
      const node = new Redis(port, '127.0.0.1');
      keys.push(...(await node.keys('{cluster-test}:*')));
      node.disconnect();
    }
    expect(keys.some((k) => k.startsWith('{cluster-test}:refresh:'))).toBe(true);
  }, 120_000);
});
