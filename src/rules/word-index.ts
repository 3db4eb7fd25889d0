import { FOLD, NEEDS_CONTEXT, SPACELESS_CODE_UNIT, WORD_CHAR } from './text.js';

/*
 * The fast path of matching for terms made of whole words (every script written with spaces):
 * one pass over the raw text that folds each code unit through a table, hashes each word as it
 * goes (FNV-1a over folded units), and at each word end looks the hash up in one table of the
 * terms' last words; a prefix term is looked up at each length of the word its prefix could have.
 * Bit filters answer "no" for almost every word without touching the table, and a small cache
 * remembers the words whose terms were all found already, so the cost stays close to reading the
 * text once. A hash hit is verified character by character, and a phrase's earlier words against
 * the words just read, so a collision never makes a match.
 *
 * The table is flat typed arrays laid out for few cache misses (measured: at T = 1000 a lookup
 * cost ~300 ns in objects and separate arrays, from misses alone).
 */

/** A term as the index stores it: its folded words, and whether the last one is a prefix. */
export interface WordTerm {
  id: number;
  words: string[];
  prefix: boolean;
}

export interface WordIndex {
  /** Bit filter over word hashes: last words of whole-word terms. */
  wholeFilter: Int32Array;
  /** Bit filter over (hash of a word's first n units) for prefix terms' prefixes. */
  prefixFilter: Int32Array;
  /** Bit n set: some prefix term's prefix is n units long (n < 32; longer ones set bit 31). */
  prefixLengths: number;
  /**
   * Bit filter over the hashes of prefixes' first GATE units: a word whose first GATE units are
   * not there starts no prefix of GATE units or more, and is not looked at again (one read per
   * word instead of one per character).
   */
  gateFilter: Int32Array;
  /** Open addressing, two ints per slot: key, then the offset of its entry list in `lists` (EMPTY: free). */
  slots: Int32Array;
  /** Entry lists: count, then that many entry offsets into `entries`. */
  lists: Int32Array;
  /** Per entry: term id, offset of its first word in `words`, word count. */
  entries: Int32Array;
  /** Per word of a term: hash, offset in `chars`, length. */
  words: Int32Array;
  chars: Uint16Array;
  /** Ring size for the words read so far: a power of two ≥ the longest phrase. */
  ring: number;
  /** One reading's state, reused by every reading (see Reading). */
  reading: Reading;
}

const OFFSET = 0x811c9dc5 | 0;
const PRIME = 0x01000193;
const FILTER_BITS = 18;
const FILTER_SHIFT = 32 - FILTER_BITS + 5;
const PREFIX_KEY = 0x5bd1e995 | 0; // mixed into prefix keys so a prefix and a whole word never share a slot
const EMPTY = -1;
const CACHE = 256;
const GATE = 3;
const GATE_BITS = 16;

/** Per raw BMP code unit: folded unit | WORD_BIT | SPACELESS_BIT, or -1 when folding needs context. */
export const WORD_BIT = 1 << 16;
export const SPACELESS_BIT = 1 << 17;
export const UNIT = (() => {
  const table = new Int32Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const f = FOLD[c]!;
    table[c] = f === NEEDS_CONTEXT ? -1 : f | (WORD_CHAR[f] === 1 ? WORD_BIT : 0) | (SPACELESS_CODE_UNIT[f] === 1 ? SPACELESS_BIT : 0);
  }
  return table;
})();

function hashWord(word: string): number {
  let h = OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), PRIME);
  return h;
}

/** Builds the index of terms whose words are all of scripts written with spaces. */
export function buildWordIndex(terms: WordTerm[]): WordIndex {
  const wholeFilter = new Int32Array(1 << (FILTER_BITS - 5));
  const prefixFilter = new Int32Array(1 << (FILTER_BITS - 5));
  const gateFilter = new Int32Array(1 << (GATE_BITS - 5));
  let prefixLengths = 0;
  const byKey = new Map<number, number[]>();
  const entries: number[] = [];
  const words: number[] = [];
  const chars: number[] = [];
  for (const term of terms) {
    const entry = entries.length;
    entries.push(term.id, words.length / 3, term.words.length);
    for (const word of term.words) {
      words.push(hashWord(word), chars.length, word.length);
      for (let k = 0; k < word.length; k++) chars.push(word.charCodeAt(k));
    }
    const last = hashWord(term.words[term.words.length - 1]!);
    const filter = term.prefix ? prefixFilter : wholeFilter;
    filter[last >>> FILTER_SHIFT]! |= 1 << (last & 31);
    if (term.prefix) {
      const prefix = term.words[term.words.length - 1]!;
      prefixLengths |= 1 << Math.min(31, prefix.length);
      if (prefix.length >= GATE) {
        const gate = hashWord(prefix.slice(0, GATE));
        gateFilter[gate >>> (32 - GATE_BITS + 5)]! |= 1 << (gate & 31);
      }
    }
    const key = term.prefix ? last ^ PREFIX_KEY : last;
    byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  let size = 16;
  while (size < byKey.size * 2) size *= 2;
  const slots = new Int32Array(size * 2);
  for (let s = 0; s < size; s++) slots[2 * s + 1] = EMPTY;
  const lists: number[] = [];
  for (const [key, list] of byKey) {
    let s = key & (size - 1);
    while (slots[2 * s + 1] !== EMPTY) s = (s + 1) & (size - 1);
    slots[2 * s] = key;
    slots[2 * s + 1] = lists.length;
    lists.push(list.length, ...list);
  }
  let ring = 1;
  while (ring < Math.max(1, ...terms.map((t) => t.words.length))) ring *= 2;
  const ix: WordIndex = {
    wholeFilter, prefixFilter, prefixLengths, gateFilter, slots, lists: Int32Array.from(lists), entries: Int32Array.from(entries),
    words: Int32Array.from(words), chars: Uint16Array.from(chars), ring, reading: new Reading(ring),
  };
  ix.reading.ix = ix;
  return ix;
}

let serial = 0;

/**
 * The terms found in one reading of one field, each once: `wants` says whether a term is still
 * worth verifying here (its field, not found yet). `seen` is the matcher's scratch array (one slot
 * per term); each reading gets its own serial number, so nothing needs clearing between readings.
 */
export class FieldHits {
  readonly terms: number[] = [];
  readonly serial: number;
  constructor(
    readonly seen: Int32Array,
    private readonly termMask: Uint8Array,
    readonly fieldBit: number,
  ) {
    if (serial === 0x7fffffff) {
      seen.fill(0);
      serial = 0;
    }
    this.serial = ++serial;
  }
  wants(term: number): boolean {
    return this.seen[term] !== this.serial && (this.termMask[term]! & this.fieldBit) !== 0;
  }
  add(term: number): void {
    this.seen[term] = this.serial;
    this.terms.push(term);
  }
}

/**
 * State of one reading: the words read so far (a ring, for phrases) and the cache of finished
 * keys. One per index, reused (readings never overlap: JavaScript runs one at a time, and a
 * reading calls nothing that reads again); the cache's entries are stamped with the reading's
 * serial number, so nothing needs clearing.
 */
class Reading {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly hashes: Int32Array;
  count = 0;
  text = '';
  found: FieldHits | null = null;
  ix!: WordIndex;
  /** Keys whose every term was found already (or that no term has): looking them up again adds nothing. */
  readonly doneKeys = new Int32Array(CACHE);
  readonly doneStamps = new Int32Array(CACHE);
  constructor(ring: number) {
    this.starts = new Int32Array(ring);
    this.ends = new Int32Array(ring);
    this.hashes = new Int32Array(ring);
  }
}

/**
 * Lists (in `found`) the terms of the index that occur in `text` and may match in this field.
 * False, having listed nothing reliable, at the first code unit that folds only in context:
 * the caller then folds the whole text and takes the slow path.
 */
export function scanWords(ix: WordIndex, text: string, found: FieldHits): boolean {
  const r = ix.reading;
  r.text = text;
  r.found = found;
  const { starts, ends, hashes } = r;
  const n = text.length;
  const prefixLengths = ix.prefixLengths;
  const gatedPrefixes = prefixLengths >>> GATE !== 0;
  const wholeFilter = ix.wholeFilter;
  const prefixFilter = ix.prefixFilter;
  const gateFilter = ix.gateFilter;
  const ringMask = ix.ring - 1;
  const unit = UNIT;
  let count = 0;
  let start = -1;
  let h = OFFSET;
  let gated = false; // the word's first GATE units begin some prefix
  for (let i = 0; i < n; i++) {
    const u = unit[text.charCodeAt(i)]!;
    if (u < 0) return false;
    if ((u & WORD_BIT) !== 0) {
      if (start < 0) {
        start = i;
        h = OFFSET;
      }
      h = Math.imul(h ^ (u & 0xffff), PRIME);
      const len = i + 1 - start;
      if (len === GATE) gated = gatedPrefixes && ((gateFilter[h >>> (32 - GATE_BITS + 5)]! >>> (h & 31)) & 1) !== 0;
      if (
        (len < GATE || gated) &&
        ((prefixLengths >>> (len < 31 ? len : 31)) & 1) !== 0 &&
        ((prefixFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0
      ) {
        r.count = count;
        lookup(r, h ^ PREFIX_KEY, start, i + 1);
      }
    } else if (start >= 0) {
      if (((wholeFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0) {
        r.count = count;
        lookup(r, h, start, i);
      }
      const k = count++ & ringMask;
      starts[k] = start;
      ends[k] = i;
      hashes[k] = h;
      start = -1;
      gated = false;
    }
  }
  r.count = count;
  if (start >= 0 && ((wholeFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0) lookup(r, h, start, n);
  r.found = null;
  return true;
}

/** The terms whose last word (or prefix) hashes to `key` and ends at text[start, end), verified. */
function lookup(r: Reading, key: number, start: number, end: number): void {
  const found = r.found!;
  const c = (key ^ (key >>> 16)) & (CACHE - 1);
  if (r.doneStamps[c] === found.serial && r.doneKeys[c] === key) return;
  const { slots, lists, entries, words } = r.ix;
  const mask = (slots.length >> 1) - 1;
  let s = key & mask;
  let list = slots[2 * s + 1]!;
  while (list !== EMPTY && slots[2 * s] !== key) {
    s = (s + 1) & mask;
    list = slots[2 * s + 1]!;
  }
  let done = true;
  if (list !== EMPTY) {
    for (let e = list + 1, last = list + 1 + lists[list]!; e < last; e++) {
      const entry = lists[e]!;
      const term = entries[entry]!;
      if (!found.wants(term)) continue;
      const first = entries[entry + 1]!;
      const count = entries[entry + 2]!;
      const lastWord = 3 * (first + count - 1);
      if (sameText(r, start, end, words[lastWord + 1]!, words[lastWord + 2]!) && (count === 1 || phraseBefore(r, first, count))) {
        found.add(term);
      } else {
        done = false; // a hash collision or a phrase not complete yet: the next occurrence may match
      }
    }
  }
  if (done) {
    r.doneKeys[c] = key;
    r.doneStamps[c] = found.serial;
  }
}

/** Whether the words read just before the current one are the phrase's other words, in order. */
function phraseBefore(r: Reading, first: number, count: number): boolean {
  const before = count - 1;
  if (r.count < before) return false;
  const words = r.ix.words;
  const ringMask = r.ix.ring - 1;
  for (let k = 0; k < before; k++) {
    const slot = (r.count - before + k) & ringMask;
    const w = 3 * (first + k);
    if (r.hashes[slot] !== words[w] || !sameText(r, r.starts[slot]!, r.ends[slot]!, words[w + 1]!, words[w + 2]!)) return false;
  }
  return true;
}

/** Whether text[start, end), folded unit by unit, is the word at chars[at, at + length). */
function sameText(r: Reading, start: number, end: number, at: number, length: number): boolean {
  if (end - start !== length) return false;
  const chars = r.ix.chars;
  const text = r.text;
  for (let k = 0; k < length; k++) if ((UNIT[text.charCodeAt(start + k)]! & 0xffff) !== chars[at + k]) return false;
  return true;
}
