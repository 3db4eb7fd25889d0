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

// Every fingerprint once in one pool of numbers (id, time, high and low halves), and each block
// key a chain through the pool (a head a key, a next link an entry and block): ~70 bytes a
// fingerprint with the set of ids, where a growable list a key cost ~270 at 500,000 and ~480 at
// 50,000 (262,144 lists and their slack). A look-up walks its keys' chains: 3 µs at 50,000
// fingerprints, ~70 at 500,000 (cache misses).
const ID = 0;
const SORT_AT = 1;
const HI = 2;
const LO = 3;
const FIELDS = 4;
const NONE = -1;

export class NearDuplicateIndex {
  private data = new Float64Array(1024 * FIELDS);
  // next[entry * BLOCK_COUNT + block]: the next entry of the same key of that block.
  private next = new Int32Array(1024 * BLOCK_COUNT);
  private readonly heads = new Int32Array(BLOCK_COUNT << BLOCK_BITS).fill(NONE);
  private count = 0;
  private readonly ids = new Set<number>();

  /** `horizon`: the earliest time (ms) from which the index holds every fingerprint. */
  constructor(private horizonMs: number) {}

  get horizon(): number {
    return this.horizonMs;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Whether every near-duplicate within `windowMs` of this time is in the index. */
  covers(sortAtMs: number, windowMs: number): boolean {
    return sortAtMs - windowMs >= this.horizonMs;
  }

  /** Files an item's fingerprint (once; an item older than the horizon is not kept). */
  add(id: number, sortAtMs: number, simhash: bigint): void {
    if (sortAtMs < this.horizonMs || this.ids.has(id)) return;
    this.ids.add(id);
    const u = BigInt.asUintN(64, simhash);
    this.file(id, sortAtMs, Number(u >> 32n), Number(u & 0xffffffffn));
  }

  private file(id: number, sortAtMs: number, hi: number, lo: number): void {
    if (this.count * FIELDS === this.data.length) this.grow(this.count * 2);
    const e = this.count++;
    this.data[e * FIELDS + ID] = id;
    this.data[e * FIELDS + SORT_AT] = sortAtMs;
    this.data[e * FIELDS + HI] = hi;
    this.data[e * FIELDS + LO] = lo;
    const keys = blockKeysOfHalves(hi, lo);
    for (let b = 0; b < BLOCK_COUNT; b++) {
      this.next[e * BLOCK_COUNT + b] = this.heads[keys[b]!]!;
      this.heads[keys[b]!] = e;
    }
  }

  private grow(entries: number): void {
    const data = new Float64Array(entries * FIELDS);
    data.set(this.data.subarray(0, this.count * FIELDS));
    const next = new Int32Array(entries * BLOCK_COUNT);
    next.set(this.next.subarray(0, this.count * BLOCK_COUNT));
    this.data = data;
    this.next = next;
  }

  /**
   * The items within MAX_DISTANCE bits of the fingerprint and within `windowMs` of the time,
   * as the table's probes would find them. Only meaningful where `covers` says so.
   */
  near(simhash: bigint, sortAtMs: number, windowMs: number): number[] {
    const u = BigInt.asUintN(64, simhash);
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffffffffn);
    const { data, next, heads } = this;
    const found: number[] = [];
    const keys = blockKeysOfHalves(hi, lo);
    for (let block = 0; block < BLOCK_COUNT; block++) {
      for (let b = -1; b < BLOCK_BITS; b++) {
        // A key's one-bit neighbours are keys of the same block (the bit is within its value).
        for (
          let e = heads[b < 0 ? keys[block]! : keys[block]! ^ (1 << b)]!;
          e !== NONE;
          e = next[e * BLOCK_COUNT + block]!
        ) {
          const at = e * FIELDS;
          if (
            Math.abs(data[at + SORT_AT]! - sortAtMs) <= windowMs &&
            popcount(data[at + HI]! ^ hi) + popcount(data[at + LO]! ^ lo) <= MAX_DISTANCE &&
            // One near copy shares several blocks with the fingerprint: listed once.
            !found.includes(data[at + ID]!)
          ) {
            found.push(data[at + ID]!);
          }
        }
      }
    }
    return found;
  }

  /** Keeps at most `max` fingerprints, the newest, by moving the horizon later. */
  shrinkTo(max: number): void {
    if (this.ids.size <= max) return;
    const times = new Float64Array(this.count);
    for (let e = 0; e < this.count; e++) times[e] = this.data[e * FIELDS + SORT_AT]!;
    times.sort();
    // Past the newest `max` (those of the boundary's time too: at most `max` stay).
    this.advanceHorizon(times[times.length - max - 1]! + 1);
  }

  /** Moves the horizon later, forgetting the fingerprints before it (the pool is filed anew). */
  advanceHorizon(horizonMs: number): void {
    if (horizonMs <= this.horizonMs) return;
    this.horizonMs = horizonMs;
    const old = this.data.subarray(0, this.count * FIELDS).slice();
    const entries = this.count;
    this.count = 0;
    this.heads.fill(NONE);
    for (let e = 0; e < entries; e++) {
      const at = e * FIELDS;
      if (old[at + SORT_AT]! < horizonMs) this.ids.delete(old[at + ID]!);
      else this.file(old[at + ID]!, old[at + SORT_AT]!, old[at + HI]!, old[at + LO]!);
    }
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
