/**
 * The one WebAssembly memory that every word index's reader (assembly/reader.ts) works in: the
 * tables all readers share, laid out once; the text being read; and each index's own region,
 * allocated first-fit and given back when its index is garbage-collected.
 *
 * One memory for all rather than one per index: each memory reserves gigabytes of address space
 * and counts as external memory, and a process that compiles matchers often (the property tests
 * compile thousands) ran ~5× as many full garbage collections with one per index, and took 34 s
 * where one memory takes 9 (one seed).
 *
 * Readings never overlap (JavaScript runs one at a time, and a reading calls nothing that reads
 * again), so one text buffer and one cache of finished keys serve every reader.
 */

const PAGE = 1 << 16;
/** Units of text the memory keeps room for; a longer field gets room of its own for its reading. */
const KEEP = 1 << 16;
const ALIGN = 8;

export interface SharedTables {
  /** i32 per BMP unit (word-index.ts: UNIT). */
  unit: Int32Array;
  /** u8 per BMP unit: canonical-order rank | NFC_CHECKED. */
  nfc: Uint8Array;
  /** The composing pairs as an open-addressing set. */
  composes: Int32Array;
  /** Bytes of the cache of finished keys, of the heads and of the serial number (zeroed). */
  cacheBytes: number;
  headsBytes: number;
}

export class ReaderMemory {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  /** Bumped when the memory grows (its old buffer, and every view of it, is detached then). */
  generation = 0;
  bytes = Buffer.from(this.memory.buffer);
  /** Free blocks [at, size], by address, none adjacent. */
  private readonly free: [number, number][] = [];
  private readonly sizes = new Map<number, number>();
  private readonly released = new FinalizationRegistry<number>((at) => this.release(at));
  /** Where the shared tables are. */
  readonly at: {
    unit: number;
    nfc: number;
    composes: number;
    cache: number;
    heads: number;
    serial: number;
    text: number;
  };

  constructor(tables: SharedTables) {
    // Address 0 stays unused: a zero address is never a table.
    this.free.push([ALIGN, this.memory.buffer.byteLength - ALIGN]);
    this.at = {
      unit: this.place(tables.unit),
      nfc: this.place(tables.nfc),
      composes: this.place(tables.composes),
      cache: this.alloc(tables.cacheBytes),
      heads: this.alloc(tables.headsBytes),
      serial: this.alloc(4),
      text: this.alloc(2 * (KEEP + 1)),
    };
  }

  /** Allocates `size` bytes, zeroed; grows the memory when no free block is large enough. */
  alloc(size: number): number {
    size = Math.max(ALIGN, Math.ceil(size / ALIGN) * ALIGN);
    let k = this.free.findIndex(([, free]) => free >= size);
    if (k < 0) {
      const end = this.memory.buffer.byteLength;
      const last = this.free[this.free.length - 1];
      const missing = size - (last && last[0] + last[1] === end ? last[1] : 0);
      this.memory.grow(Math.ceil(missing / PAGE));
      this.generation++;
      this.bytes = Buffer.from(this.memory.buffer);
      this.insert(end, this.memory.buffer.byteLength - end);
      k = this.free.findIndex(([, free]) => free >= size);
    }
    const block = this.free[k]!;
    const at = block[0];
    if (block[1] === size) this.free.splice(k, 1);
    else {
      block[0] += size;
      block[1] -= size;
    }
    this.sizes.set(at, size);
    this.bytes.fill(0, at, at + size);
    return at;
  }

  /** Allocates room for a table and copies it there. */
  place(table: ArrayBufferView): number {
    const at = this.alloc(table.byteLength);
    this.bytes.set(new Uint8Array(table.buffer, table.byteOffset, table.byteLength), at);
    return at;
  }

  /** Gives the block at `at` back when `owner` is garbage-collected. */
  releaseWith(owner: object, at: number): void {
    this.released.register(owner, at);
  }

  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new Error(`reader memory: no block at ${at}`);
    this.sizes.delete(at);
    this.insert(at, size);
  }

  private insert(at: number, size: number): void {
    let k = 0;
    while (k < this.free.length && this.free[k]![0] < at) k++;
    this.free.splice(k, 0, [at, size]);
    const next = this.free[k + 1];
    if (next && at + size === next[0]) this.free.splice(k, 2, [at, size + next[1]]);
    const prev = this.free[k - 1];
    if (prev && prev[0] + prev[1] === at) this.free.splice(k - 1, 2, [prev[0], prev[1] + this.free[k]![1]]);
  }

  /** Bytes given out and not given back (shared tables, text, every live index's region). */
  used(): number {
    let bytes = 0;
    for (const size of this.sizes.values()) bytes += size;
    return bytes;
  }

  /** Bytes the memory holds (shared tables, text, every live index's region, free blocks). */
  size(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Copies a text's UTF-16 units (natively: ~0.3 µs for 5,000 units) where a reader reads it,
   * and calls `read` with their address; room beyond the kept buffer is allocated for the one
   * reading (so one long field does not hold its memory for good).
   */
  withText<T>(text: string, read: (at: number) => T): T {
    if (text.length < KEEP) {
      this.bytes.write(text, this.at.text, 'utf16le');
      return read(this.at.text);
    }
    const at = this.alloc(2 * (text.length + 1));
    try {
      this.bytes.write(text, at, 'utf16le');
      return read(at);
    } finally {
      this.release(at);
    }
  }
}
