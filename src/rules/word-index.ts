import { FOLD, isNfcWord, NEEDS_CONTEXT, NFC_CHANGES, NFC_CHECK, SPACELESS_CODE_UNIT, WORD_CHAR } from './text.js';

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
 * The table is flat typed arrays laid out for few cache misses: a key's slot, then one record
 * that holds all its terms' data (measured at T = 1000: a lookup cost ~300 ns in objects and
 * separate arrays; now finding the slot costs ~50 ns, most lookups there find a term).
 * docs/benchmarks.md lists the layouts tried that did no better.
 */

/** A term as the index stores it: its folded words, whether the last one is a prefix, and the fields it may match in (bits). */
export interface WordTerm {
  id: number;
  words: string[];
  prefix: boolean;
  fields: number;
}

export interface WordIndex {
  /** Bit filter over word hashes: last words of whole-word terms. */
  wholeFilter: Int32Array;
  /** Bit filter over (hash of a word's first n units) for prefix terms' prefixes. */
  prefixFilter: Int32Array;
  /** Bit n set: some prefix term's prefix is n units long (n < 32; longer ones set bit 31). */
  prefixLengths: number;
  /**
   * The lengths (as in prefixLengths) of the prefixes of GATE units or more, or-ed by the low bits
   * of the hash of their first GATE units (a power of two of entries, ~8 per prefix start). A word
   * is looked up at its entry's lengths only: none for most words, one or two for the others; a
   * start that shares an entry only adds lookups that find nothing. One read, no probing (a probed
   * table cost ~6 µs per item in mispredicted probes).
   */
  gates: Int32Array;
  /** Open addressing, two ints per slot: key, then the offset of its record in `records` (FREE: a free slot). */
  slots: Int32Array;
  /**
   * Per key, one record: the number of its terms, then per term: its id, its fields (bits), its
   * word count, the size of its words; then its words, each as its length and then its folded
   * units, two per int (low half first).
   */
  records: Int32Array;
  /** The most words a term has: the size of the scratch space for phrases. */
  maxWords: number;
  /** One reading's state, reused by every reading (see Reading). */
  reading: Reading;
}

const OFFSET = 0x811c9dc5 | 0;
const PRIME = 0x01000193;
const FILTER_BITS = 18;
const FILTER_SHIFT = 32 - FILTER_BITS + 5;
const PREFIX_KEY = 0x5bd1e995 | 0; // mixed into prefix keys so a prefix and a whole word never share a slot
const FREE = 0x80000000 | 0;
const CACHE = 1024;
const GATE = 3;
const HEADS = 64;
const KEEP = 1 << 16;
const HEADS_MASK = HEADS - 1;

/**
 * Per raw BMP code unit: folded unit | WORD_BIT | SPACELESS_BIT | NFC_BIT, or -1 when folding
 * needs context or the unit is never in NFC text (both send the text to the slow path).
 */
export const WORD_BIT = 1 << 16;
export const SPACELESS_BIT = 1 << 17;
/** The unit's word must be checked for NFC (see isNfcWord). */
const NFC_BIT = 1 << 18;
/** A word with one of these bits needs a second look: -1 has them all. */
const UNSURE = NFC_BIT | (1 << 31);
export const UNIT = (() => {
  const table = new Int32Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const f = FOLD[c]!;
    table[c] =
      f === NEEDS_CONTEXT || NFC_CHANGES[c] === 1
        ? -1
        : f | (WORD_CHAR[f] === 1 ? WORD_BIT : 0) | (SPACELESS_CODE_UNIT[f] === 1 ? SPACELESS_BIT : 0) | (NFC_CHECK[c] === 1 ? NFC_BIT : 0);
  }
  return table;
})();

function hashWord(word: string): number {
  let h = OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), PRIME);
  return h;
}

/** A word's UTF-16 units, two per int, low half first. */
function packUnits(word: string): number[] {
  const out: number[] = [];
  for (let k = 0; k < word.length; k += 2) out.push(word.charCodeAt(k) | (k + 1 < word.length ? word.charCodeAt(k + 1) << 16 : 0));
  return out;
}

/** The table of WordIndex.gates. */
function gateTable(lengths: Map<number, number>): Int32Array {
  let size = 16;
  while (size < lengths.size * 8) size *= 2;
  const table = new Int32Array(size);
  for (const [gate, bits] of lengths) table[gate & (size - 1)]! |= bits;
  return table;
}

/** Builds the index of terms whose words are all of scripts written with spaces. */
export function buildWordIndex(terms: WordTerm[]): WordIndex {
  const wholeFilter = new Int32Array(1 << (FILTER_BITS - 5));
  const prefixFilter = new Int32Array(1 << (FILTER_BITS - 5));
  const gateLengths = new Map<number, number>();
  let prefixLengths = 0;
  const byKey = new Map<number, WordTerm[]>();
  for (const term of terms) {
    const last = hashWord(term.words[term.words.length - 1]!);
    const filter = term.prefix ? prefixFilter : wholeFilter;
    filter[last >>> FILTER_SHIFT]! |= 1 << (last & 31);
    if (term.prefix) {
      const prefix = term.words[term.words.length - 1]!;
      prefixLengths |= 1 << Math.min(31, prefix.length);
      if (prefix.length >= GATE) {
        const gate = hashWord(prefix.slice(0, GATE));
        gateLengths.set(gate, (gateLengths.get(gate) ?? 0) | (1 << Math.min(31, prefix.length)));
      }
    }
    const key = term.prefix ? last ^ PREFIX_KEY : last;
    byKey.set(key, [...(byKey.get(key) ?? []), term]);
  }
  let size = 16;
  while (size * 0.6 < byKey.size) size *= 2;
  const slots = new Int32Array(size * 2);
  for (let s = 0; s < size; s++) slots[2 * s + 1] = FREE;
  const records: number[] = [];
  for (const [key, list] of byKey) {
    let s = key & (size - 1);
    while (slots[2 * s + 1] !== FREE) s = (s + 1) & (size - 1);
    slots[2 * s] = key;
    slots[2 * s + 1] = records.length;
    records.push(list.length);
    for (const term of list) {
      const units = term.words.flatMap((w) => [w.length, ...packUnits(w)]);
      records.push(term.id, term.fields, term.words.length, units.length, ...units);
    }
  }
  const ix: WordIndex = {
    wholeFilter, prefixFilter, prefixLengths, gates: gateTable(gateLengths), slots, records: Int32Array.from(records),
    maxWords: Math.max(1, ...terms.map((t) => t.words.length)), reading: new Reading(),
  };
  ix.reading.ix = ix;
  ix.reading.phraseWords = new Int32Array(ix.maxWords);
  return ix;
}

/**
 * The terms found in one item: per term, the fields it occurred in (bits), and the terms with
 * any, in order of first occurrence. One per matcher, reused: `clear` zeroes only what an item
 * touched. `field` is the bit of the field being read.
 */
export class Hits {
  readonly fields: Uint8Array;
  readonly touched: Int32Array;
  count = 0;
  field = 0;
  constructor(private readonly termMask: Uint8Array) {
    this.fields = new Uint8Array(termMask.length);
    this.touched = new Int32Array(termMask.length);
  }
  /** Whether the term is still worth verifying in this field: it may match here and was not found here yet. */
  wants(term: number): boolean {
    return ((this.fields[term]! | ~this.termMask[term]!) & this.field) === 0;
  }
  add(term: number): void {
    if (this.fields[term] === 0) this.touched[this.count++] = term;
    this.fields[term]! |= this.field;
  }
  /** Forgets what the reading of the current field listed (it could not finish). */
  dropField(): void {
    const { fields, touched, field } = this;
    for (let k = 0; k < this.count; k++) fields[touched[k]!]! &= ~field;
    while (this.count > 0 && fields[touched[this.count - 1]!] === 0) this.count--;
  }
  clear(): void {
    for (let k = 0; k < this.count; k++) this.fields[this.touched[k]!] = 0;
    this.count = 0;
  }
}

/**
 * State of one reading: its text's units, where its terms go, and the cache of finished keys.
 * One per index, reused (readings never overlap: JavaScript runs one at a time, and a reading
 * calls nothing that reads again); the cache's entries are stamped with the reading's serial
 * number, so nothing needs clearing.
 */
class Reading {
  /**
   * The text's UTF-16 units, copied in natively (~0.3 µs for 5,000 units): reading a typed array
   * is ~5 µs per item cheaper than charCodeAt over the string. The array is kept for texts up to
   * KEEP units; a longer text gets one of its own, so that it does not hold its memory for good.
   */
  units: Uint16Array;
  private readonly kept = new Uint16Array(KEEP);
  private readonly keptBytes = Buffer.from(this.kept.buffer);
  constructor() {
    this.units = this.kept;
  }
  load(text: string): void {
    if (text.length < KEEP) {
      this.keptBytes.write(text, 0, 'utf16le');
      this.units = this.kept;
    } else {
      this.units = new Uint16Array(text.length + 1);
      Buffer.from(this.units.buffer).write(text, 0, 'utf16le');
    }
    this.units[text.length] = 0x20; // a space after the end: the word loop needs no end test
  }
  found: Hits | null = null;
  /** Stamps the cache's entries: one number per reading. */
  serial = 0;
  ix!: WordIndex;
  /** Keys whose every term was found already (or that no term has): looking them up again adds nothing. */
  readonly doneKeys = new Int32Array(CACHE);
  readonly doneStamps = new Int32Array(CACHE);
  /** Scratch space of phraseBefore: where each word of a phrase is in its record. */
  phraseWords = new Int32Array(0);
  /**
   * At (start + k) % HEADS, the hash of the first k + 1 units of the word being read, for
   * k < HEADS (prefix terms look these up; indexed by position in the text, which saves a
   * subtraction per unit).
   */
  readonly heads = new Int32Array(HEADS);
}

/**
 * Lists (in `found`) the terms of the index that occur in `text` and may match in this field.
 * False, having listed what the caller must drop, when the text is not in NFC or has a unit that
 * folds only in context: the caller then folds the whole text and takes the slow path.
 *
 * An inner loop reads one word (hashing as it goes); everything else happens once per word, at
 * its end. A unit that folds only in context (-1 in UNIT) has every bit set, WORD_BIT included,
 * so it is read as part of a word and caught by the sign of `seen` when the word ends; a word
 * with a mark that NFC could move or compose is checked for NFC then.
 */
export function scanWords(ix: WordIndex, text: string, found: Hits): boolean {
  const r = ix.reading;
  if (++r.serial === 0x7fffffff) {
    r.serial = 1;
    r.doneStamps.fill(0);
  }
  r.load(text);
  const codes = r.units;
  r.found = found;
  const n = text.length;
  const prefixLengths = ix.prefixLengths;
  const wholeFilter = ix.wholeFilter;
  const prefixFilter = ix.prefixFilter;
  const gates = ix.gates;
  const gateMask = gates.length - 1;
  const shortLengths = prefixLengths & ((1 << GATE) - 1);
  const unit = UNIT;
  const heads = r.heads;
  let i = 0;
  while (i < n) {
    let u = unit[codes[i]!]!;
    if ((u & WORD_BIT) === 0) {
      i++;
      continue;
    }
    const start = i;
    let h = OFFSET;
    let seen = 0; // the bits of the word's units, or-ed
    do {
      h = Math.imul(h ^ (u & 0xffff), PRIME);
      seen |= u;
      heads[i & HEADS_MASK] = h;
      u = unit[codes[++i]!]!;
    } while ((u & WORD_BIT) !== 0);
    if ((seen & UNSURE) !== 0 && (seen < 0 || !isNfcWord(text, start, i))) {
      r.found = null;
      return false;
    }
    const len = i - start;
    if (prefixLengths !== 0) {
      let lengths = 0;
      if (len > HEADS) {
        lengths = prefixLengths; // its first heads were overwritten: prefixes() hashes it again
      } else {
        if (len >= GATE) {
          const gate = heads[(start + GATE - 1) & HEADS_MASK]!;
          lengths = gates[gate & gateMask]! & (len < 31 ? (2 << len) - 1 : -1);
        }
        // Prefixes shorter than the gate: their filter bits, read here (a call per word cost more).
        for (let short = len > 1 ? shortLengths : shortLengths & 2; short !== 0; short &= short - 1) {
          const k = 31 - Math.clz32(short & -short);
          const p = heads[(start + k - 1) & HEADS_MASK]!;
          if (((prefixFilter[p >>> FILTER_SHIFT]! >>> (p & 31)) & 1) !== 0) lookup(r, p ^ PREFIX_KEY, start, start + k);
        }
      }
      if (lengths !== 0) prefixes(r, start, len, lengths);
    }
    if (((wholeFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0) lookup(r, h, start, i);
  }
  r.found = null;
  return true;
}

/**
 * Looks up the word at `start` (`len` units, the hash of each of its first units in r.heads) at
 * each length in the bit set `lengths` (bit n: length n; bit 31: 31 or more).
 */
function prefixes(r: Reading, start: number, len: number, lengths: number): void {
  if (len > HEADS) return prefixesRehashed(r, start, len, lengths);
  const prefixFilter = r.ix.prefixFilter;
  const heads = r.heads;
  while (lengths !== 0) {
    const n = 31 - Math.clz32(lengths);
    lengths ^= 1 << n;
    for (let k = n === 31 ? len : n; k >= n; k--) {
      const h = heads[(start + k - 1) & HEADS_MASK]!;
      if (((prefixFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0) lookup(r, h ^ PREFIX_KEY, start, start + k);
    }
  }
}

/** The same for a word longer than the heads kept (they wrapped around): hashed again from its start. */
function prefixesRehashed(r: Reading, start: number, len: number, lengths: number): void {
  const prefixFilter = r.ix.prefixFilter;
  const units = r.units;
  let h = OFFSET;
  for (let k = 1; k <= len; k++) {
    h = Math.imul(h ^ (UNIT[units[start + k - 1]!]! & 0xffff), PRIME);
    if (((lengths >>> (k < 31 ? k : 31)) & 1) !== 0 && ((prefixFilter[h >>> FILTER_SHIFT]! >>> (h & 31)) & 1) !== 0) lookup(r, h ^ PREFIX_KEY, start, start + k);
  }
}

/** The terms whose last word (or prefix) hashes to `key` and ends at text[start, end), verified. */
function lookup(r: Reading, key: number, start: number, end: number): void {
  const c = (key ^ (key >>> 16)) & (CACHE - 1);
  if (r.doneStamps[c] === r.serial && r.doneKeys[c] === key) return;
  const slots = r.ix.slots;
  const mask = (slots.length >> 1) - 1;
  let s = key & mask;
  let record = slots[2 * s + 1]!;
  while (record !== FREE && slots[2 * s] !== key) {
    s = (s + 1) & mask;
    record = slots[2 * s + 1]!;
  }
  if (record === FREE || lookupRecord(r, record, start, end)) {
    r.doneKeys[c] = key;
    r.doneStamps[c] = r.serial;
  }
}

/** Verifies each term of a key's record; whether all of them are found now (or not wanted in this field). */
function lookupRecord(r: Reading, record: number, start: number, end: number): boolean {
  const found = r.found!;
  const records = r.ix.records;
  let done = true;
  let p = record + 1;
  for (let e = records[record]!; e > 0; e--) {
    const term = records[p]!;
    const count = records[p + 2]!;
    const words = p + 4;
    const wanted = ((found.fields[term]! | ~records[p + 1]!) & found.field) === 0;
    p = words + records[p + 3]!;
    if (!wanted) continue;
    let last = words;
    for (let k = 1; k < count; k++) last += 1 + ((records[last]! + 1) >> 1);
    if (sameWord(r.units, start, end, records, last) && (count === 1 || phraseBefore(r, start, words, count))) {
      found.add(term);
    } else {
      done = false; // a hash collision or a phrase not complete yet: the next occurrence may match
    }
  }
  return done;
}

/**
 * Whether the words just before the one at `start` are the phrase's other words (its record's
 * words from `words` on, `count` in all), in order: read backwards from the text (only a phrase
 * whose last word was found gets here, so keeping the words read so far would cost every word
 * for the rare phrase).
 */
function phraseBefore(r: Reading, start: number, words: number, count: number): boolean {
  const records = r.ix.records;
  const at = r.phraseWords;
  for (let k = 0, w = words; k < count; k++, w += 1 + ((records[w]! + 1) >> 1)) at[k] = w;
  const units = r.units;
  let end = start;
  for (let k = count - 2; k >= 0; k--) {
    while (end > 0 && (UNIT[units[end - 1]!]! & WORD_BIT) === 0) end--;
    let begin = end;
    while (begin > 0 && (UNIT[units[begin - 1]!]! & WORD_BIT) !== 0) begin--;
    if (begin === end || !sameWord(units, begin, end, records, at[k]!)) return false;
    end = begin;
  }
  return true;
}

/** Whether units[start, end), folded, is the word at records[at] (its length, then its units two per int). */
function sameWord(units: Uint16Array, start: number, end: number, records: Int32Array, at: number): boolean {
  const length = end - start;
  if (records[at] !== length) return false;
  for (let k = 0; k < length; k++) {
    if ((UNIT[units[start + k]!]! & 0xffff) !== ((records[at + 1 + (k >> 1)]! >>> ((k & 1) << 4)) & 0xffff)) return false;
  }
  return true;
}
