import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FOLLOW_UPS, jobRequest } from '../../src/queue/job-graph.js';
import { createQueues, queueSink, type Queues } from '../../src/queue/queues.js';
import { redisConnection, type RedisClient } from '../../src/queue/redis.js';
import { dropRedisPrefix } from '../helpers/harness.js';

/*
 * The sink the use cases queue their jobs through, against a real Redis: many requests go out in
 * one round trip a queue, and each keeps what the job graph gives it (deduplication, delay, its
 * queue); a request with a bad payload queues nothing of its batch.
 */
describe('the job sink', () => {
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `test-sink-${randomBytes(5).toString('hex')}`,
  });
  let redis: RedisClient;
  let queues: Queues;

  beforeAll(() => {
    redis = redisConnection(config, 'worker');
    queues = createQueues(redis, config.QUEUE_PREFIX, createLogger('silent'));
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis.disconnect();
    await dropRedisPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
  });

  it('when a batch spans queues, repeats a feed and delays some, then each queue holds its jobs once, delayed as asked', async () => {
    const sink = queueSink(queues, config);
    const due = Array.from({ length: 300 }, (_, k) => ({ id: k + 1, host: `h${k % 100}` }));
    await sink.enqueue(
      ...FOLLOW_UPS.afterPollDue(due, 5_000),
      jobRequest('refresh-feed', { feedId: 7 }),
      jobRequest('group-stories', { feedId: 7 }),
      jobRequest('group-stories', { feedId: 8 }),
    );
    const refresh = await queues.refresh.getJobCounts('waiting', 'delayed');
    // One per feed (feed 7's second request is dropped); each host's first now, its others later.
    expect(refresh).toEqual({ waiting: 100, delayed: 200 });
    const stories = await queues.stories.getJobs(['waiting']);
    expect(stories.map((j) => j.data.feedId).sort()).toEqual([7, 8]);
    const later = await queues.refresh.getJobs(['delayed'], 0, 0);
    expect(later[0]!.opts.delay).toBeGreaterThanOrEqual(5_000);
    expect(await sink.pending(jobRequest('refresh-feed', { feedId: 300 }))).toBe(true);
    expect(await sink.pending(jobRequest('refresh-feed', { feedId: 301 }))).toBe(false);
  });

  it('when one request of a batch has a bad payload, then none of the batch is queued', async () => {
    const sink = queueSink(queues, config);
    const before = await queues.retag.getJobCounts('waiting');
    await expect(
      sink.enqueue(
        jobRequest('retag-topic', { topicId: 1, version: 1 }),
        jobRequest('retag-topic', { topicId: -1, version: 1 }),
      ),
    ).rejects.toThrow();
    expect(await queues.retag.getJobCounts('waiting')).toEqual(before);
  });
});
