import { describe, expect, it } from 'vitest';
import { retryAfter } from '../../src/pipeline/fetch/fetch-feed.js';
import { nextPollAfterError } from '../../src/pipeline/schedule/next-poll.js';

const WEEK = 7 * 86400;
const now = Date.parse('2026-12-07T00:00:00Z');

describe('Retry-After', () => {
  it.each([
    ['120', 120],
    [' 0 ', 0],
    ['Mon, 07 Dec 2026 00:10:00 GMT', 600],
    ['Sun, 06 Dec 2026 00:00:00 GMT', 0],
    // Hostile or silly values: capped at a week, never an invalid time.
    ['9'.repeat(40), WEEK],
    ['9'.repeat(400), WEEK],
    ['99999999999999999999', WEEK],
    ['Fri, 31 Dec 9999 23:59:59 GMT', WEEK],
    ['-5', 0],
    ['soon', null],
    ['', null],
  ])('%s → %s seconds', (header, seconds) => {
    expect(retryAfter(header, now)).toBe(seconds);
  });

  it('when the server asks for an absurd wait, then the next poll is a valid date within a week', () => {
    const at = nextPollAfterError(new Date(now), 900, 1, retryAfter('9'.repeat(400), now), () => 0.5);
    expect(Number.isNaN(at.getTime())).toBe(false);
    expect(at.getTime() - now).toBe(WEEK * 1000);
  });
});
