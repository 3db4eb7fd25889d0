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
 * Bands of the fingerprint: two fingerprints within MAX_DISTANCE bits agree on at least one band
 * (pigeonhole), so a lookup by band values finds every near-duplicate. 7 bands of 9 bits.
 */
export const BAND_COUNT = MAX_DISTANCE + 1;
export const BAND_BITS = Math.floor(64 / BAND_COUNT);

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

/**
 * The fingerprint cut into BAND_COUNT bands of BAND_BITS bits, each tagged with its band number
 * (band << BAND_BITS | value): the index keys of near-duplicate lookups.
 */
export function bandKeys(hash: bigint): number[] {
  const u = BigInt.asUintN(64, hash);
  const mask = (1n << BigInt(BAND_BITS)) - 1n;
  return Array.from({ length: BAND_COUNT }, (_, i) => (i << BAND_BITS) | Number((u >> BigInt(i * BAND_BITS)) & mask));
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
