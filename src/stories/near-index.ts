import { BLOCK_BITS, BLOCK_COUNT, blockKeysOfHalves, MAX_DISTANCE } from './simhash.js';

/*
 * Near-duplicate lookups in memory: the same multi-index hashing as the item_bands table (each
 * fingerprint filed under its 4 block keys, a lookup reads each block key and its 16 one-bit
 * neighbours, simhash.ts), kept in a worker so that grouping a batch of items does not make
 * PostgreSQL probe its index 68 times an item (8–12% of its CPU an item at 1,000 feeds;
 * docs/benchmarks.md, "Ingest", session 13).
 *
 * The index holds every fingerprint whose time is at or after its horizon; a lookup whose window
 * reaches before it cannot be answered here (`covers`) and goes to the table.
 */

// A key's list holds its items flat, FIELDS numbers each: no object an item, and a look-up reads
// one array a key (17 µs at 50,000 fingerprints, 82 at a million, ~220 bytes a fingerprint).
const ID = 0;
const SORT_AT = 1;
const HI = 2;
const LO = 3;
const FIELDS = 4;

export class NearDuplicateIndex {
  // By block key (block << 16 | value): 4 × 65,536 lists.
  private readonly lists: (number[] | undefined)[] = new Array(BLOCK_COUNT << BLOCK_BITS);
  private readonly times = new Map<number, number>();

  /** `horizon`: the earliest time (ms) from which the index holds every fingerprint. */
  constructor(private horizonMs: number) {}

  get horizon(): number {
    return this.horizonMs;
  }

  get size(): number {
    return this.times.size;
  }

  /** Whether every near-duplicate within `windowMs` of this time is in the index. */
  covers(sortAtMs: number, windowMs: number): boolean {
    return sortAtMs - windowMs >= this.horizonMs;
  }

  /** Files an item's fingerprint (once; an item older than the horizon is not kept). */
  add(id: number, sortAtMs: number, simhash: bigint): void {
    if (sortAtMs < this.horizonMs || this.times.has(id)) return;
    this.times.set(id, sortAtMs);
    const u = BigInt.asUintN(64, simhash);
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffffffffn);
    for (const key of blockKeysOfHalves(hi, lo)) {
      const list = this.lists[key];
      if (list) list.push(id, sortAtMs, hi, lo);
      else this.lists[key] = [id, sortAtMs, hi, lo];
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
    const found: number[] = [];
    for (const key of blockKeysOfHalves(hi, lo)) {
      for (let b = -1; b < BLOCK_BITS; b++) {
        const list = this.lists[b < 0 ? key : key ^ (1 << b)];
        if (!list) continue;
        for (let at = 0; at < list.length; at += FIELDS) {
          if (
            Math.abs(list[at + SORT_AT]! - sortAtMs) <= windowMs &&
            popcount(list[at + HI]! ^ hi) + popcount(list[at + LO]! ^ lo) <= MAX_DISTANCE &&
            // One near copy shares several blocks with the fingerprint: listed once.
            !found.includes(list[at + ID]!)
          ) {
            found.push(list[at + ID]!);
          }
        }
      }
    }
    return found;
  }

  /** Keeps at most `max` fingerprints, the newest, by moving the horizon later. */
  shrinkTo(max: number): void {
    if (this.times.size <= max) return;
    const times = Float64Array.from(this.times.values()).sort();
    // Past the newest `max` (those of the boundary's time too: at most `max` stay).
    this.advanceHorizon(times[times.length - max - 1]! + 1);
  }

  /** Moves the horizon later, forgetting the fingerprints before it. */
  advanceHorizon(horizonMs: number): void {
    if (horizonMs <= this.horizonMs) return;
    this.horizonMs = horizonMs;
    for (const [id, time] of this.times) if (time < horizonMs) this.times.delete(id);
    for (let key = 0; key < this.lists.length; key++) {
      const list = this.lists[key];
      if (!list) continue;
      let kept = 0;
      for (let at = 0; at < list.length; at += FIELDS) {
        if (list[at + SORT_AT]! < horizonMs) continue;
        for (let f = 0; f < FIELDS; f++) list[kept + f] = list[at + f]!;
        kept += FIELDS;
      }
      if (kept === 0) this.lists[key] = undefined;
      else list.length = kept;
    }
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
