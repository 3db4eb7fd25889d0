import { describe, expect, it } from 'vitest';
import { searchWalkLength } from '../../src/db/search-walk.js';

describe('how far a text search walks the newest items before it asks the indexes', () => {
  it.each([
    // limit, found in the first 1,000, stored, walk (null: the indexes)
    [51, 0, 1_000_000, null], // a rare word: only the indexes can find it
    [51, 10, 100_000, null], // 1%: walking ~5,100 items costs more than checking its ~1,000 holders
    [51, 10, 1_000_000, 10_200], // the same word among 1M items: ~10,000 holders, so walk
    [51, 40, 100_000, 2_550], // 4%: a walk of ~1,300 beats ~4,000 holders
    [51, 40, 0, null], // never analyzed: no count, no walk
  ])('when %i are asked and %i of 1,000 held the text among %i items, then walk %s', (limit, found, stored, walk) => {
    expect(searchWalkLength(limit, found, 1000, stored)).toBe(walk);
  });
});
