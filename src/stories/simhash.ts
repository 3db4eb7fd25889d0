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

// Scripts written without spaces: a run of them is split into overlapping character pairs.
const SPACELESS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;

/** The text's words, case-folded and NFKC-normalized; runs of spaceless scripts as character pairs. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const [word] of text.normalize('NFKC').toLowerCase().matchAll(TOKEN)) {
    if (!SPACELESS.test(word)) {
      out.push(word);
      continue;
    }
    const chars = [...word];
    if (chars.length === 1) out.push(word);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

/** The 64-bit SimHash of the text's shingles, or null when the text is too short to say anything. */
export function simhash(text: string): bigint | null {
  const words = tokens(text);
  if (words.length < MIN_TOKENS) return null;
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
  const shingles = words.length - SHINGLE + 1;
  for (let i = 0; i < shingles; i++) {
    const lo = shingleHash(words, i, 0x811c9dc5);
    const hi = shingleHash(words, i, 0x01000193 ^ 0x5bd1e995);
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
  return Array.from(
    { length: BLOCK_COUNT },
    (_, i) => (i << BLOCK_BITS) | Number((u >> BigInt(i * BLOCK_BITS)) & 0xffffn),
  );
}

/** The keys to look up for a fingerprint's near-duplicates: each block key and its one-bit neighbours. */
export function probeKeys(hash: bigint): number[] {
  return blockKeys(hash).flatMap((key) => [key, ...Array.from({ length: BLOCK_BITS }, (_, b) => key ^ (1 << b))]);
}

/**
 * FNV-1a over the UTF-16 code units of the shingle starting at word `at` (its words joined by one
 * space, without building that string), with a final avalanche so nearby strings spread over all bits.
 */
function shingleHash(words: string[], at: number, seed: number): number {
  let h = seed >>> 0;
  for (let w = at; w < at + SHINGLE; w++) {
    if (w > at) h = Math.imul(h ^ 32, 0x01000193);
    const word = words[w]!;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
