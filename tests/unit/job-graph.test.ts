import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  backoffStrategy,
  checkedPayload,
  FOLLOW_UPS,
  jobOptions,
  jobRequest,
  JOBS,
  QUEUE_NAMES,
  schedules,
} from '../../src/queue/job-graph.js';

const config = loadConfig({ SCHEDULER_EVERY_MS: '5000', JOB_RETRY_MS: '1000', WEBSUB_RETRY_MS: '30000' });

describe('the job graph', () => {
  it('when a payload does not fit its job, then queuing it throws, naming the field', () => {
    expect(checkedPayload('refresh-feed', { feedId: 7 })).toEqual({ feedId: 7 });
    expect(() => checkedPayload('refresh-feed', { feedId: '7' })).toThrow(/feedId/);
    expect(() => checkedPayload('refresh-feed', {})).toThrow(/feedId/);
    expect(() => checkedPayload('poll-due-feeds', { extra: 1 })).toThrow();
    expect(() => checkedPayload('websub-deliver', { subscriptionId: 1, entryId: 2, itemIds: [] })).toThrow(/itemIds/);
  });

  it('when jobs are queued, then one poll, one grouping and one re-tag per key wait at a time, and deliveries are never queued twice', () => {
    expect(jobOptions(jobRequest('refresh-feed', { feedId: 3 }), config)).toMatchObject({
      deduplication: { id: 'feed:3' },
      attempts: 20,
      backoff: { type: 'capped-exponential', delay: 1000 },
    });
    expect(jobOptions(jobRequest('group-stories', { feedId: 3 }), config).deduplication).toEqual({ id: 'stories:3' });
    expect(jobOptions(jobRequest('retag-topic', { topicId: 2, version: 5 }), config).deduplication).toEqual({
      id: 'retag:2:5',
    });
    expect(
      jobOptions(jobRequest('websub-deliver', { subscriptionId: 9, entryId: 4, itemIds: [1] }), config),
    ).toMatchObject({ jobId: 'deliver-4-9', attempts: 8, backoff: { delay: 30000 } });
    expect(jobOptions(jobRequest('refresh-feed', { feedId: 3 }, 2500), config).delay).toBe(2500);
  });

  it('when a poll stored items, then grouping follows only inserts and a fan-out only new items of subscribed topics', () => {
    expect(FOLLOW_UPS.afterPoll(5, { inserted: 0, pushes: 0 })).toEqual([]);
    expect(FOLLOW_UPS.afterPoll(5, { inserted: 2, pushes: 0 })).toEqual([
      { name: 'group-stories', data: { feedId: 5 } },
    ]);
    expect(FOLLOW_UPS.afterPoll(5, { inserted: 2, pushes: 1 }).map((j) => j.name)).toEqual([
      'group-stories',
      'websub-fanout',
    ]);
  });

  it('when due feeds share a host, then their polls start HOST_SPACING_MS apart, each host on its own', () => {
    const jobs = FOLLOW_UPS.afterPollDue(
      [
        { id: 1, host: 'a.example' },
        { id: 2, host: 'a.example' },
        { id: 3, host: 'b.example' },
        { id: 4, host: 'a.example' },
      ],
      2000,
    );
    expect(jobs.map((j) => [j.data, j.delayMs ?? 0])).toEqual([
      [{ feedId: 1 }, 0],
      [{ feedId: 2 }, 2000],
      [{ feedId: 3 }, 0],
      [{ feedId: 4 }, 4000],
    ]);
  });

  it('when the graph is read, then every job is on a known queue and every schedule names a job of the graph', () => {
    for (const spec of Object.values(JOBS)) expect(QUEUE_NAMES).toContain(spec.queue);
    expect(schedules(config).map((s) => [s.id, s.job.name, s.repeat])).toEqual([
      ['poll-due-feeds', 'poll-due-feeds', { every: 5000 }],
      ['group-left-overs', 'group-left-overs', { every: 30000 }],
      ['release-lost-claims', 'release-lost-claims', { every: 30000 }],
      ['prune-items', 'prune-items', { pattern: '17 3 * * *', tz: 'UTC' }],
      ['vacuum-busy-tables', 'vacuum-busy-tables', { every: 30000 }],
      ['websub-fanout', 'websub-fanout', { every: 30000 }],
    ]);
  });

  it('when a job of ours keeps failing, then its retries wait twice as long each time, up to a minute, for about 20 minutes in all', () => {
    const job = { opts: { backoff: { type: 'capped-exponential', delay: 10_000 } } } as never;
    const waits = Array.from(
      { length: 19 },
      (_, i) => backoffStrategy(i + 1, 'capped-exponential', undefined, job) as number,
    );
    expect(waits[0]).toBeGreaterThanOrEqual(8_000);
    expect(waits[0]).toBeLessThanOrEqual(12_000);
    expect(waits[2]).toBeGreaterThanOrEqual(32_000);
    for (const w of waits) expect(w).toBeLessThanOrEqual(72_000);
    const total = waits.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(12 * 60_000);
    expect(total).toBeLessThan(30 * 60_000);
  });
});
