import { describe, expect, it } from 'vitest';
import { cacheLifetime } from '../../src/pipeline/fetch/fetch-feed.js';
import {
  disableAfterFailures,
  medianGapSeconds,
  nextPollAfterError,
  nextPollAfterSuccess,
  type PollHints,
} from '../../src/pipeline/schedule/next-poll.js';

const now = new Date('2026-01-01T00:00:00Z');
const seconds = (d: Date) => (d.getTime() - now.getTime()) / 1000;
const bounds = { defaultSeconds: 900, minSeconds: 300, maxSeconds: 86400 };
const none: PollHints = { observedGapSeconds: null, ttlMinutes: null, syndicationSeconds: null, maxAgeSeconds: null };
const middle = () => 0.5;

describe('next poll after a success', () => {
  it.each([
    ['no history: the default interval', {}, 900],
    ['items an hour apart: half an hour', { observedGapSeconds: 3600 }, 1800],
    ['items a minute apart: the minimum', { observedGapSeconds: 60 }, 300],
    ['items weeks apart: the maximum', { observedGapSeconds: 30 * 86400 }, 86400],
    ['RSS ttl of 2 hours lengthens it', { observedGapSeconds: 3600, ttlMinutes: 120 }, 7200],
    ['sy:updatePeriod daily lengthens it', { observedGapSeconds: 3600, syndicationSeconds: 86400 }, 86400],
    ['Cache-Control max-age lengthens it', { observedGapSeconds: 600, maxAgeSeconds: 5400 }, 5400],
    ['a short ttl does not shorten it', { observedGapSeconds: 7200, ttlMinutes: 1 }, 3600],
  ])('%s', (_name, hints, expected) => {
    expect(seconds(nextPollAfterSuccess(now, { ...none, ...hints }, bounds, middle))).toBeCloseTo(expected);
  });

  it('jitters by at most ±10%', () => {
    expect(seconds(nextPollAfterSuccess(now, none, bounds, () => 0))).toBeCloseTo(810);
    expect(seconds(nextPollAfterSuccess(now, none, bounds, () => 1))).toBeCloseTo(990);
  });

  it('reads the median gap between item times in any order', () => {
    const at = (h: number) => new Date(now.getTime() + h * 3600_000);
    expect(medianGapSeconds([at(5), at(0), at(1), at(3)])).toBe(7200);
    expect(medianGapSeconds([at(1)])).toBeNull();
  });
});

describe('the cache lifetime a server states', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it.each([
    [{ 'cache-control': 'public, max-age=600' }, 600],
    [{ 'cache-control': 'no-cache, max-age=600' }, null],
    [{ expires: 'Thu, 01 Jan 2026 01:00:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' }, 3600],
    [{ expires: 'garbage' }, null],
    [{}, null],
  ])('%j → %s', (h, expected) => {
    expect(cacheLifetime(headers(h), now.getTime())).toBe(expected);
  });
});

describe('next poll after an error', () => {
  it.each([
    [1, 0.5, 1800],
    [2, 0.5, 3600],
    [3, 0, 7200 * 0.8],
    [3, 1, 7200 * 1.2],
    [30, 0.5, 86400],
  ])(
    'after %i consecutive errors (random %f): doubled per error with ±20%% jitter, capped at a day',
    (errors, r, expected) => {
      expect(seconds(nextPollAfterError(now, 900, errors, null, () => r))).toBeCloseTo(expected);
    },
  );

  it("never sooner than the server's Retry-After", () => {
    expect(seconds(nextPollAfterError(now, 60, 1, 7200, () => 0.5))).toBe(7200);
  });
});

describe('disabling a feed that keeps failing', () => {
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86400_000);
  const limits = { maxFailures: 10, days: 3 };
  it.each([
    [
      'many failures within hours',
      { consecutiveErrors: 50, lastSuccessAt: daysAgo(0.2), createdAt: daysAgo(100) },
      false,
    ],
    ['few failures over weeks', { consecutiveErrors: 3, lastSuccessAt: daysAgo(20), createdAt: daysAgo(100) }, false],
    [
      'enough failures over enough days',
      { consecutiveErrors: 10, lastSuccessAt: daysAgo(4), createdAt: daysAgo(100) },
      true,
    ],
    [
      'a feed that never worked, added days ago',
      { consecutiveErrors: 12, lastSuccessAt: null, createdAt: daysAgo(5) },
      true,
    ],
  ])('%s', (_name, feed, disabled) => {
    const reason = disableAfterFailures(now, feed, limits);
    expect(reason !== null).toBe(disabled);
    if (reason) expect(reason).toMatch(/failures in a row over \d+ days/);
  });
});
