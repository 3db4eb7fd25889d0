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
  const weights = new Int32Array(64);
  for (let i = 0; i + SHINGLE <= words.length; i++) {
    const shingle = words.slice(i, i + SHINGLE).join(' ');
    addBits(weights, fnv1a(shingle, 0x811c9dc5), 0);
    addBits(weights, fnv1a(shingle, 0x01000193 ^ 0x5bd1e995), 32);
  }
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (weights[b]! > 0) lo |= 1 << b;
    if (weights[b + 32]! > 0) hi |= 1 << b;
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

function addBits(weights: Int32Array, hash: number, offset: number): void {
  for (let b = 0; b < 32; b++) weights[offset + b]! += (hash >>> b) & 1 ? 1 : -1;
}

/** FNV-1a over UTF-16 code units with a final avalanche, so nearby strings spread over all bits. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
