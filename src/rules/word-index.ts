import {
  COMPOSES,
  FOLD,
  NEEDS_CONTEXT,
  NFC_CHANGES,
  NFC_CHECK,
  NFC_RANK,
  SPACELESS_CODE_UNIT,
  WORD_CHAR,
} from './text.js';
import { ReaderMemory } from './reader-memory.js';
import { READER_WASM } from './reader-wasm.js';

/*
 * The fast path of matching for terms made of whole words (every script written with spaces):
 * one pass over the raw text that folds each code unit through a table, hashes each word as it
 * goes (FNV-1a over folded units), and at each word end looks the hash up in one table of the
 * terms' last words; a prefix term is looked up at each length of the word its prefix could have.
 * Bit filters answer "no" for almost every word without touching the table, and a small cache
 * remembers the words whose terms were all found already, so the cost stays close to reading the
 * text once. A hash hit is verified character by character, and a phrase's earlier words against
 * the text just before it, so a collision never makes a match.
 *
 * The table is flat arrays laid out for few cache misses: a key's slot, then one record that
 * holds all its terms' data (measured at T = 1000: a lookup cost ~300 ns in objects and separate
 * arrays; now finding the slot costs ~50 ns, most lookups there find a term). The reading itself
 * runs in WebAssembly (assembly/reader.ts) over these tables, laid out in the readers' memory
 * (reader-memory.ts): this file builds them and puts each field's text there.
 * docs/benchmarks.md lists the layouts tried that did no better.
 */

/** A term as the index stores it: its folded words, whether the last one is a prefix, and the fields it may match in (bits). */
export interface WordTerm {
  id: number;
  words: string[];
  prefix: boolean;
  fields: number;
}

interface ReaderExports {
  init(...at: number[]): void;
  initTopics(...at: number[]): void;
  scan(text: number, n: number): number;
  candidates(): number;
  pairSlot(pair: number): number;
}

const READER = new WebAssembly.Module(Buffer.from(READER_WASM, 'base64'));
const instantiate = (memory: WebAssembly.Memory) => new WebAssembly.Instance(READER, { env: { memory } }).exports;
/** The constants the reader and this file share, as the module exports them. */
const K = (() => {
  const exports = instantiate(new WebAssembly.Memory({ initial: 0 }));
  const value = (name: string) => (exports[name] as WebAssembly.Global).value as number;
  return {
    WORD_BIT: value('WORD_BIT'),
    SPACELESS_BIT: value('SPACELESS_BIT'),
    NFC_BIT: value('NFC_BIT'),
    OFFSET: value('OFFSET'),
    PRIME: value('PRIME'),
    PREFIX_KEY: value('PREFIX_KEY'),
    FREE: value('FREE'),
    CACHE: value('CACHE'),
    GATE: value('GATE'),
    HEADS: value('HEADS'),
    NFC_CHECKED: value('NFC_CHECKED'),
    pairSlot: (exports as unknown as ReaderExports).pairSlot,
  };
})();

/**
 * Bits per filter: ~26 per term (2^18 for 10,000 terms: ~4% of other words pass), at least 2^10.
 * Sized by the terms, so that the many small matchers of previews and tests hold little memory.
 */
function filterBits(terms: number): number {
  return Math.min(20, Math.max(10, Math.ceil(Math.log2(Math.max(1, terms))) + 4));
}

/**
 * Per raw BMP code unit: folded unit | WORD_BIT | SPACELESS_BIT | NFC_BIT, or -1 when folding
 * needs context or the unit is never in NFC text (both send the text to the slow path).
 */
export const WORD_BIT = K.WORD_BIT;
export const SPACELESS_BIT = K.SPACELESS_BIT;
export const UNIT = (() => {
  const table = new Int32Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const f = FOLD[c]!;
    table[c] =
      f === NEEDS_CONTEXT || NFC_CHANGES[c] === 1
        ? -1
        : f |
          (WORD_CHAR[f] === 1 ? WORD_BIT : 0) |
          (SPACELESS_CODE_UNIT[f] === 1 ? SPACELESS_BIT : 0) |
          (NFC_CHECK[c] === 1 ? K.NFC_BIT : 0);
  }
  return table;
})();

/** Per BMP code unit: its canonical-order rank (text.ts: NFC_RANK) | NFC_CHECKED when NFC_CHECK has it. */
const NFC_TABLE = (() => {
  const table = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (NFC_RANK[c]! >= K.NFC_CHECKED)
      throw new Error(`more canonical classes than the reader's NFC table holds (U+${c.toString(16)})`);
    table[c] = NFC_RANK[c]! | (NFC_CHECK[c] === 1 ? K.NFC_CHECKED : 0);
  }
  return table;
})();

/** text.ts: COMPOSES as the reader's open-addressing set (0: an empty slot). */
const COMPOSES_TABLE = (() => {
  let size = 16;
  while (size < COMPOSES.size * 2) size *= 2;
  const table = new Int32Array(size);
  for (const pair of COMPOSES) {
    let s = K.pairSlot(pair) & (size - 1);
    while (table[s] !== 0) s = (s + 1) & (size - 1);
    table[s] = pair;
  }
  return table;
})();

function hashWord(word: string): number {
  let h = K.OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), K.PRIME);
  return h;
}

/** Appends a word as the reader compares it: its length, then its UTF-16 units two per int, low half first. */
function pushUnits(out: number[], word: string): void {
  out.push(word.length);
  for (let k = 0; k < word.length; k += 2)
    out.push(word.charCodeAt(k) | (k + 1 < word.length ? word.charCodeAt(k + 1) << 16 : 0));
}

/**
 * The lengths of the prefixes of GATE units or more (bit n: length n; bit 31: 31 or more), or-ed
 * by the low bits of the hash of their first GATE units (a power of two of entries, ~8 per prefix
 * start). A word is looked up at its entry's lengths only: none for most words, one or two for
 * the others; a start that shares an entry only adds lookups that find nothing. One read, no
 * probing (a probed table cost ~6 µs per item in mispredicted probes).
 */
function gateTable(lengths: Map<number, number>): Int32Array {
  let size = 16;
  while (size < lengths.size * 8) size *= 2;
  const table = new Int32Array(size);
  for (const [gate, bits] of lengths) table[gate & (size - 1)]! |= bits;
  return table;
}

/**
 * The key table: open addressing, two ints per slot (key, then the offset of its record, or FREE),
 * and per key one record: the number of its terms, then per term its id, its fields (bits), its
 * word count and the size of its words, then its words, each as its length and then its folded
 * units, two per int (low half first).
 */
function keyTable(terms: WordTerm[]): { slots: Int32Array; records: Int32Array } {
  const byKey = new Map<number, WordTerm[]>();
  for (const term of terms) {
    const last = hashWord(term.words[term.words.length - 1]!);
    const key = term.prefix ? last ^ K.PREFIX_KEY : last;
    const list = byKey.get(key);
    if (list) list.push(term);
    else byKey.set(key, [term]);
  }
  let size = 16;
  while (size * 0.6 < byKey.size) size *= 2;
  const slots = new Int32Array(size * 2);
  for (let s = 0; s < size; s++) slots[2 * s + 1] = K.FREE;
  const records: number[] = [];
  for (const [key, list] of byKey) {
    let s = key & (size - 1);
    while (slots[2 * s + 1] !== K.FREE) s = (s + 1) & (size - 1);
    slots[2 * s] = key;
    slots[2 * s + 1] = records.length;
    records.push(list.length);
    for (const term of list) {
      records.push(term.id, term.fields, term.words.length, 0);
      const sizeAt = records.length - 1;
      for (const w of term.words) pushUnits(records, w);
      records[sizeAt] = records.length - sizeAt - 1;
    }
  }
  return { slots, records: Int32Array.from(records) };
}

/** The matcher's topics as WordIndex.candidates needs them (compile.ts: requiredGroups). */
export interface TopicTerms {
  /** Per term, where its pairs start in `pairs`; one more at the end. */
  start: Int32Array;
  /** Per term, its (topic, group bit) pairs: the topics it is in, and the bit of its required group there. */
  pairs: Int32Array;
  /** Per topic: the bits of all its groups. */
  full: Int32Array;
  /** The topics evaluated for every item (rules like `a OR -b`). */
  always: Int32Array;
}

export interface WordIndex {
  /**
   * Scratch space of matching: the terms found in the item being matched (in the readers'
   * memory); empty between items. (Fresh arrays per item cost ~1.5 µs at T = 1000.)
   */
  readonly hits: Hits;
  /**
   * The topics worth evaluating for the terms found so far, in topic order: those whose every
   * required group had a term, and those always evaluated. A view, valid until the next call.
   */
  readonly candidates: () => Int32Array;
  /**
   * Lists (in hits) the terms of the index that occur in `text` and may match in the field
   * hits.field. False, having listed nothing of this field, when the text is not in NFC or has a
   * unit that folds only in context: the caller then folds the whole text and takes the slow path.
   */
  readonly read: (text: string) => boolean;
  /** Bytes of the index's own region of the readers' memory. */
  readonly bytes: number;
}

let shared: ReaderMemory | undefined;
/** The readers' memory, made with the first index. */
export function readerMemory(): ReaderMemory {
  shared ??= new ReaderMemory({
    unit: UNIT,
    nfc: NFC_TABLE,
    composes: COMPOSES_TABLE,
    cacheBytes: 8 * K.CACHE,
    headsBytes: 4 * K.HEADS,
  });
  return shared;
}

/**
 * Builds the index of terms whose words are all of scripts written with spaces, with a reader of
 * its own. `termMask`: per term id (of every term of the matcher), the fields it may match in.
 */
export function buildWordIndex(
  terms: WordTerm[],
  termMask: Uint8Array,
  topics: TopicTerms = noTopics(termMask.length),
): WordIndex {
  const bits = filterBits(terms.length);
  const shift = 32 - bits + 5;
  const wholeFilter = new Int32Array(1 << (bits - 5));
  const prefixFilter = new Int32Array(1 << (bits - 5));
  const gateLengths = new Map<number, number>();
  let prefixLengths = 0;
  for (const term of terms) {
    const last = hashWord(term.words[term.words.length - 1]!);
    const filter = term.prefix ? prefixFilter : wholeFilter;
    filter[last >>> shift]! |= 1 << (last & 31);
    if (term.prefix) {
      const prefix = term.words[term.words.length - 1]!;
      prefixLengths |= 1 << Math.min(31, prefix.length);
      if (prefix.length >= K.GATE) {
        const gate = hashWord(prefix.slice(0, K.GATE));
        gateLengths.set(gate, (gateLengths.get(gate) ?? 0) | (1 << Math.min(31, prefix.length)));
      }
    }
  }
  const { slots, records } = keyTable(terms);
  const gates = gateTable(gateLengths);
  const maxWords = Math.max(1, ...terms.map((t) => t.words.length));

  // The index's region: its tables, then the scratch space of its items.
  const mem = readerMemory();
  const topicCount = topics.full.length;
  const tables = [
    wholeFilter,
    prefixFilter,
    gates,
    slots,
    records,
    termMask,
    topics.start,
    topics.pairs,
    topics.full,
    topics.always,
  ];
  const scratch = {
    fields: termMask.length,
    touched: 4 * termMask.length,
    phrase: 4 * maxWords,
    state: 12 /* count, field, item */,
    marks: 4 * topicCount,
    got: 4 * topicCount,
    out: 4 * topicCount,
  };
  const sizes = [...tables.map((t) => t.byteLength), ...Object.values(scratch)];
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((n, size) => n + ((size + 7) & ~7), 0));
  const bytes = offsets[offsets.length - 1]! + sizes[sizes.length - 1]!;
  const region = mem.alloc(bytes);
  const at = offsets.map((offset) => region + offset);
  tables.forEach((table, k) => mem.bytes.set(new Uint8Array(table.buffer, table.byteOffset, table.byteLength), at[k]!));
  const [whole, prefix, gatesAt, slotsAt, recordsAt, termMaskAt, startAt, pairsAt, fullAt, alwaysAt] = at as Tuple<
    number,
    10
  >;
  const [fieldsAt, touchedAt, phraseAt, stateAt, marksAt, gotAt, outAt] = at.slice(tables.length) as Tuple<number, 7>;

  const reader = instantiate(mem.memory) as unknown as ReaderExports;
  const s = mem.at;
  reader.init(
    s.unit,
    s.nfc,
    s.composes,
    COMPOSES_TABLE.length,
    s.cache,
    s.heads,
    s.serial,
    whole,
    prefix,
    shift,
    gatesAt,
    gates.length,
    slotsAt,
    slots.length / 2,
    recordsAt,
    fieldsAt,
    touchedAt,
    phraseAt,
    stateAt,
    prefixLengths,
  );
  reader.initTopics(topicCount, startAt, pairsAt, fullAt, alwaysAt, topics.always.length, marksAt, gotAt, outAt);
  const hits = new Hits(mem, {
    terms: termMask.length,
    topics: topicCount,
    termMaskAt,
    fieldsAt,
    touchedAt,
    stateAt,
    outAt,
  });
  mem.releaseWith(hits, region);
  return {
    hits,
    bytes,
    read: (text) => mem.withText(text, (at) => reader.scan(at, text.length) === 1),
    candidates: () => hits.out.subarray(0, reader.candidates()).sort(),
  };
}

/** For an index read on its own (tests, benchmarks): no topic to evaluate. */
function noTopics(terms: number): TopicTerms {
  const none = new Int32Array(0);
  return { start: new Int32Array(terms + 1), pairs: none, full: none, always: none };
}

type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [T, ...R]>;

/**
 * The terms found in one item: per term, the fields it occurred in (bits), and the terms with
 * any, in order of first occurrence: views of the index's region, where its reader adds to them
 * (and the trie's walks, through add). One per matcher, reused: `clear` zeroes only what an item
 * touched. `field` is the bit of the field being read. (The region is given back when this
 * object is garbage-collected: the index and the matcher hold it.)
 */
export class Hits {
  private generation = -1;
  private fieldsView!: Uint8Array;
  private touchedView!: Int32Array;
  private outView!: Int32Array;
  private termMask!: Uint8Array;
  /** count, field */
  private state!: Int32Array;
  constructor(
    private readonly mem: ReaderMemory,
    private readonly at: {
      terms: number;
      topics: number;
      termMaskAt: number;
      fieldsAt: number;
      touchedAt: number;
      stateAt: number;
      outAt: number;
    },
  ) {}
  /** Makes the views again when the memory has grown (that detaches them). */
  private sync(): void {
    if (this.generation === this.mem.generation) return;
    const buffer = this.mem.memory.buffer;
    const at = this.at;
    this.termMask = new Uint8Array(buffer, at.termMaskAt, at.terms);
    this.fieldsView = new Uint8Array(buffer, at.fieldsAt, at.terms);
    this.touchedView = new Int32Array(buffer, at.touchedAt, at.terms);
    this.outView = new Int32Array(buffer, at.outAt, at.topics);
    this.state = new Int32Array(buffer, at.stateAt, 2);
    this.generation = this.mem.generation;
  }
  /** Where WordIndex.candidates lists the topics. */
  get out(): Int32Array {
    this.sync();
    return this.outView;
  }
  get fields(): Uint8Array {
    this.sync();
    return this.fieldsView;
  }
  get count(): number {
    this.sync();
    return this.state[0]!;
  }
  get field(): number {
    this.sync();
    return this.state[1]!;
  }
  set field(bit: number) {
    this.sync();
    this.state[1] = bit;
  }
  /** Whether the term is still worth verifying in this field: it may match here and was not found here yet. */
  wants(term: number): boolean {
    this.sync();
    return ((this.fieldsView[term]! | ~this.termMask[term]!) & this.state[1]!) === 0;
  }
  add(term: number): void {
    this.sync();
    const state = this.state;
    if (this.fieldsView[term] === 0) this.touchedView[state[0]!++] = term;
    this.fieldsView[term]! |= state[1]!;
  }
  clear(): void {
    this.sync();
    const state = this.state;
    for (let k = 0; k < state[0]!; k++) this.fieldsView[this.touchedView[k]!] = 0;
    state[0] = 0;
  }
}
