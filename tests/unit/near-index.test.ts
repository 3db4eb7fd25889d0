import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NearDuplicateIndex } from '../../src/stories/near-index.js';
import { hammingDistance, MAX_DISTANCE } from '../../src/stories/simhash.js';
import { runs } from '../helpers/property.js';

const HOUR = 3600_000;
const WINDOW = 72 * HOUR;
const T0 = Date.parse('2026-12-01T00:00:00Z');

// Fingerprints around a few bases, so that many lie within MAX_DISTANCE bits of each other and
// many just outside it (a base with 1–12 bits flipped).
const fingerprint = fc
  .tuple(
    fc.constantFrom(0n, 0x0123456789abcdefn, -1n),
    fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 12 }),
  )
  .map(([base, bits]) => bits.reduce<bigint>((h, b) => h ^ (1n << BigInt(b)), base));
const stored = fc.record({ simhash: fingerprint, hours: fc.integer({ min: 0, max: 400 }) });

describe('near-duplicate index in memory', () => {
  it('finds exactly the items within MAX_DISTANCE bits and the window, as the definition says', () => {
    fc.assert(
      fc.property(fc.array(stored, { maxLength: 40 }), stored, (items, probe) => {
        const index = new NearDuplicateIndex(T0);
        items.forEach((it, id) => index.add(id, T0 + it.hours * HOUR, it.simhash));
        const at = T0 + probe.hours * HOUR;
        const expected = items
          .map((it, id) => ({ ...it, id }))
          .filter(
            (it) =>
              Math.abs(T0 + it.hours * HOUR - at) <= WINDOW &&
              hammingDistance(it.simhash, probe.simhash) <= MAX_DISTANCE,
          )
          .map((it) => it.id);
        expect(index.near(probe.simhash, at, WINDOW).sort((a, b) => a - b)).toEqual(expected);
      }),
      { numRuns: runs(300) },
    );
  });

  it('answers only for windows after its horizon, and forgets what falls before a later one', () => {
    const index = new NearDuplicateIndex(T0);
    expect(index.covers(T0 + WINDOW, WINDOW)).toBe(true);
    expect(index.covers(T0 + WINDOW - 1, WINDOW)).toBe(false);
    index.add(1, T0 - 1, 42n); // before the horizon: not kept
    index.add(2, T0 + 10 * HOUR, 42n);
    index.add(3, T0 + 100 * HOUR, 42n ^ 1n);
    index.add(3, T0 + 100 * HOUR, 42n); // filed once
    expect(index.size).toBe(2);
    expect(index.near(42n, T0 + 80 * HOUR, WINDOW).sort()).toEqual([2, 3]);
    index.advanceHorizon(T0 + 50 * HOUR);
    expect(index.size).toBe(1);
    expect(index.near(42n, T0 + 80 * HOUR, WINDOW)).toEqual([3]);
    expect(index.covers(T0 + 50 * HOUR + WINDOW, WINDOW)).toBe(true);
    expect(index.covers(T0 + 50 * HOUR + WINDOW - 1, WINDOW)).toBe(false);
  });

  it('when over its limit, keeps the newest fingerprints and moves its horizon past the others', () => {
    // Fingerprints far apart from each other.
    const print = (id: number) => BigInt.asUintN(64, BigInt(id + 1) * 0x9e3779b97f4a7c15n);
    const index = new NearDuplicateIndex(T0);
    for (let id = 0; id < 10; id++) index.add(id, T0 + id * HOUR, print(id));
    index.add(10, T0 + 9 * HOUR, print(10)); // two at the newest time
    index.shrinkTo(4);
    expect(index.size).toBe(4);
    expect(index.horizon).toBe(T0 + 6 * HOUR + 1);
    expect(index.near(print(7), T0 + 7 * HOUR, WINDOW)).toEqual([7]);
    expect(index.near(print(6), T0 + 6 * HOUR, WINDOW)).toEqual([]);
    index.shrinkTo(4); // within the limit: nothing changes
    expect(index.size).toBe(4);
  });
});
