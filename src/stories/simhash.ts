import { isSpaceless, isWordCodePoint, SPACELESS_CODE_UNIT, WORD_CHAR } from '../rules/text.js';

/**
 * SimHash (Charikar 2002) of a text's word shingles: texts that share most of their shingles get
 * fingerprints a few bits apart, so near-identical copies of an article are found by comparing
 * 64-bit numbers, and indexed by splitting those numbers into bands (see `bands`).
 */

/** Shingles of this many tokens: long enough that a shared shingle means shared prose. */
const SHINGLE = 3;
/** Fewer tokens than this, and a fingerprint says too little to compare (a one-line teaser). */
export const MIN_TOKENS = 24;
/**
 * Bits that may differ between two copies of one text. Measured (docs/dedupe.md): a copy with one
 * paragraph of fifteen dropped is 5 bits away; different articles on the same event 21–34.
 */
export const MAX_DISTANCE = 6;
/**
 * Blocks of the fingerprint, the index keys of near-duplicate lookups (multi-index hashing):
 * 4 blocks of 16 bits. Two fingerprints within MAX_DISTANCE (6) bits differ in at most one bit
 * of at least one block (pigeonhole), so looking up each block's value and its 16 one-bit
 * neighbours finds every near-duplicate. A key matches about one stored item in 65,536; the 7
 * bands of 9 bits used before matched one in 512, so a lookup read ~700 items at 50,000 stored
 * in the window (docs/benchmarks.md, "Ingest").
 */
export const BLOCK_COUNT = 4;
export const BLOCK_BITS = 16;

/**
 * The text's words (runs of letters, marks and numbers), case-folded and NFKC-normalized; a word
 * with characters of a script written without spaces (Han, kana, Thai…) as its overlapping
 * character pairs. A unit test holds it to the regex definition.
 */
export function tokens(text: string): string[] {
  const { folded, bounds, count } = tokenBounds(text);
  return Array.from({ length: count }, (_, t) => folded.slice(bounds[2 * t], bounds[2 * t + 1]));
}

/**
 * tokens() as [start, end) offsets into the folded text: every token is a run of it (a pair of
 * neighbouring characters of a word is too), so none is cut out as a string of its own. Read with
 * lookup tables in one pass: a Unicode-property regex matched word by word, and a string a token,
 * were most of a fingerprint's cost.
 */
function tokenBounds(text: string): { folded: string; bounds: Int32Array; count: number } {
  const folded = text.normalize('NFKC').toLowerCase();
  // At most one token a code unit (pairs: one fewer than the word's characters).
  const bounds = new Int32Array(2 * folded.length + 2);
  let count = 0;
  const push = (from: number, to: number) => {
    bounds[2 * count] = from;
    bounds[2 * count + 1] = to;
    count++;
  };
  let start = -1; // where the current word began
  let spaceless = false; // whether it holds a character of a spaceless script
  const endWord = (end: number) => {
    if (start < 0) return;
    if (!spaceless) push(start, end);
    else {
      // Each character with the next one; a word of one character as itself.
      const width = (at: number) => (folded.codePointAt(at)! > 0xffff ? 2 : 1);
      let at = start;
      let next = at + width(at);
      if (next >= end) push(start, end);
      while (next < end) {
        const after = next + width(next);
        push(at, after);
        at = next;
        next = after;
      }
    }
    start = -1;
    spaceless = false;
  };
  for (let i = 0; i < folded.length;) {
    const c = folded.charCodeAt(i);
    const low = c >= 0xd800 && c <= 0xdbff ? folded.charCodeAt(i + 1) : 0;
    let width = 1;
    let word: boolean;
    let inSpaceless: boolean;
    if (low >= 0xdc00 && low <= 0xdfff) {
      const cp = folded.codePointAt(i)!;
      width = 2;
      word = isWordCodePoint(cp);
      inSpaceless = word && isSpaceless(String.fromCodePoint(cp));
    } else {
      // A lone surrogate is no word character (the tables leave them out).
      word = WORD_CHAR[c] === 1;
      inSpaceless = SPACELESS_CODE_UNIT[c] === 1;
    }
    if (word) {
      if (start < 0) start = i;
      if (inSpaceless) spaceless = true;
    } else {
      endWord(i);
    }
    i += width;
  }
  endWord(folded.length);
  return { folded, bounds, count };
}

/** The 64-bit SimHash of the text's shingles, or null when the text is too short to say anything. */
export function simhash(text: string): bigint | null {
  const { folded, bounds, count } = tokenBounds(text);
  if (count < MIN_TOKENS) return null;
  // Each bit of the fingerprint is set when more than half of the shingles' hashes have it set
  // (the weight +1 per set bit, -1 per clear bit, is 2 × set − shingles). Set bits are counted
  // four positions at a time: (h >>> k) & 0x11111111 puts bits k, k+4, … in separate nibbles, so
  // adding it into an accumulator counts 8 positions at once, for up to 15 hashes before a nibble
  // could overflow into the next. Several times faster than a loop over 64 bits per shingle, and
  // the same fingerprints (a unit test holds it to the plain definition).
  const counts = new Int32Array(64);
  const nibbles = new Int32Array(8);
  let pending = 0;
  const flush = () => {
    for (let k = 0; k < 8; k++) {
      const acc = nibbles[k]!;
      const offset = k < 4 ? 0 : 32;
      for (let n = 0; n < 8; n++) counts[offset + (k & 3) + 4 * n]! += (acc >>> (4 * n)) & 15;
      nibbles[k] = 0;
    }
    pending = 0;
  };
  const shingles = count - SHINGLE + 1;
  for (let i = 0; i < shingles; i++) {
    shingleHashes(folded, bounds, i);
    const lo = shingleLo;
    const hi = shingleHi;
    for (let k = 0; k < 4; k++) {
      nibbles[k]! += (lo >>> k) & 0x11111111;
      nibbles[k + 4]! += (hi >>> k) & 0x11111111;
    }
    if (++pending === 15) flush();
  }
  flush();
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (2 * counts[b]! > shingles) lo |= 1 << b;
    if (2 * counts[b + 32]! > shingles) hi |= 1 << b;
  }
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** How many bits differ. */
export function hammingDistance(a: bigint, b: bigint): number {
  let x = BigInt.asUintN(64, a ^ b);
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
}

/** The fingerprint's blocks as stored index keys, each tagged with its block number (block << 16 | value). */
export function blockKeys(hash: bigint): number[] {
  const u = BigInt.asUintN(64, hash);
  return blockKeysOfHalves(Number(u >> 32n), Number(u & 0xffffffffn));
}

/** blockKeys() of a fingerprint given as its high and low 32 bits (unsigned). */
export function blockKeysOfHalves(hi: number, lo: number): number[] {
  return [
    lo & 0xffff,
    (1 << BLOCK_BITS) | (lo >>> 16),
    (2 << BLOCK_BITS) | (hi & 0xffff),
    (3 << BLOCK_BITS) | (hi >>> 16),
  ];
}

/** The keys to look up for a fingerprint's near-duplicates: each block key and its one-bit neighbours. */
export function probeKeys(hash: bigint): number[] {
  const out: number[] = [];
  for (const key of blockKeys(hash)) {
    out.push(key);
    for (let b = 0; b < BLOCK_BITS; b++) out.push(key ^ (1 << b));
  }
  return out;
}

// shingleHashes' answer (two numbers without allocating a pair for each shingle).
let shingleLo = 0;
let shingleHi = 0;

/**
 * FNV-1a over the UTF-16 code units of the shingle starting at token `at` (its tokens joined by
 * one space, without building that string), from the two seeds of the fingerprint's halves in one
 * pass, each with a final avalanche so nearby strings spread over all bits.
 */
function shingleHashes(folded: string, bounds: Int32Array, at: number): void {
  let lo = 0x811c9dc5;
  let hi = 0x01000193 ^ 0x5bd1e995;
  for (let t = at; t < at + SHINGLE; t++) {
    if (t > at) {
      lo = Math.imul(lo ^ 32, 0x01000193);
      hi = Math.imul(hi ^ 32, 0x01000193);
    }
    for (let i = bounds[2 * t]!, end = bounds[2 * t + 1]!; i < end; i++) {
      const c = folded.charCodeAt(i);
      lo = Math.imul(lo ^ c, 0x01000193);
      hi = Math.imul(hi ^ c, 0x01000193);
    }
  }
  shingleLo = avalanche(lo);
  shingleHi = avalanche(hi);
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
