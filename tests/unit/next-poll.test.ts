import { describe, expect, it } from 'vitest';
import { nextPollAfterError, nextPollAfterSuccess } from '../../src/pipeline/next-poll.js';

const now = new Date('2026-01-01T00:00:00Z');
const seconds = (d: Date) => (d.getTime() - now.getTime()) / 1000;

describe('next poll time', () => {
  it('after a success: the interval', () => {
    expect(seconds(nextPollAfterSuccess(now, 900))).toBe(900);
  });

  it.each([
    [1, 0.5, 1800],
    [2, 0.5, 3600],
    [3, 0, 7200 * 0.8],
    [3, 1, 7200 * 1.2],
    [30, 0.5, 86400],
  ])('after %i consecutive errors (random %f): doubled per error with ±20%% jitter, capped at a day', (errors, r, expected) => {
    expect(seconds(nextPollAfterError(now, 900, errors, null, () => r))).toBeCloseTo(expected);
  });

  it("never sooner than the server's Retry-After", () => {
    expect(seconds(nextPollAfterError(now, 60, 1, 7200, () => 0.5))).toBe(7200);
  });
});
