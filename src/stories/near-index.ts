import { BLOCK_BITS, blockKeysOfHalves, MAX_DISTANCE } from './simhash.js';

/*
 * Near-duplicate lookups in memory: the same multi-index hashing as the item_bands table (each
 * fingerprint filed under its 4 block keys, a lookup reads each block key and its 16 one-bit
 * neighbours, simhash.ts), kept in a worker so that grouping a batch of items does not make
 * PostgreSQL probe its index 68 times an item (~0.2 ms of its CPU an item, a third of what it
 * spent storing; docs/benchmarks.md, "Ingest").
 *
 * The index holds every fingerprint whose time is at or after its horizon; a lookup whose window
 * reaches before it cannot be answered here (`covers`) and goes to the table.
 */

interface Entry {
  id: number;
  sortAt: number;
  // The fingerprint as two 32-bit halves: distances without BigInt.
  hi: number;
  lo: number;
}

export class NearDuplicateIndex {
  private readonly byKey = new Map<number, Entry[]>();
  private readonly entries = new Map<number, Entry>();

  /** `horizon`: the earliest time (ms) from which the index holds every fingerprint. */
  constructor(private horizonMs: number) {}

  get horizon(): number {
    return this.horizonMs;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether every near-duplicate within `windowMs` of this time is in the index. */
  covers(sortAtMs: number, windowMs: number): boolean {
    return sortAtMs - windowMs >= this.horizonMs;
  }

  /** Files an item's fingerprint (once; an item older than the horizon is not kept). */
  add(id: number, sortAtMs: number, simhash: bigint): void {
    if (sortAtMs < this.horizonMs || this.entries.has(id)) return;
    const u = BigInt.asUintN(64, simhash);
    const entry: Entry = { id, sortAt: sortAtMs, hi: Number(u >> 32n), lo: Number(u & 0xffffffffn) };
    this.entries.set(id, entry);
    for (const key of blockKeysOfHalves(entry.hi, entry.lo)) {
      const list = this.byKey.get(key);
      if (list) list.push(entry);
      else this.byKey.set(key, [entry]);
    }
  }

  /**
   * The items within MAX_DISTANCE bits of the fingerprint and within `windowMs` of the time,
   * as the table's probes would find them. Only meaningful where `covers` says so.
   */
  near(simhash: bigint, sortAtMs: number, windowMs: number): number[] {
    const u = BigInt.asUintN(64, simhash);
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffffffffn);
    const found = new Set<number>();
    for (const key of blockKeysOfHalves(hi, lo)) {
      for (let b = -1; b < BLOCK_BITS; b++) {
        const list = this.byKey.get(b < 0 ? key : key ^ (1 << b));
        if (!list) continue;
        for (const e of list) {
          if (Math.abs(e.sortAt - sortAtMs) <= windowMs && popcount(e.hi ^ hi) + popcount(e.lo ^ lo) <= MAX_DISTANCE) {
            found.add(e.id);
          }
        }
      }
    }
    return [...found];
  }

  /** Moves the horizon later, forgetting the fingerprints before it. */
  advanceHorizon(horizonMs: number): void {
    if (horizonMs <= this.horizonMs) return;
    this.horizonMs = horizonMs;
    for (const [id, e] of this.entries) if (e.sortAt < horizonMs) this.entries.delete(id);
    for (const [key, list] of this.byKey) {
      const kept = list.filter((e) => e.sortAt >= horizonMs);
      if (kept.length === 0) this.byKey.delete(key);
      else if (kept.length < list.length) this.byKey.set(key, kept);
    }
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
