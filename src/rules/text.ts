/**
 * Text as topic rules see it: NFKC, case-folded, Latin diacritics removed (café = cafe) while
 * the marks of other scripts stay (a Devanagari vowel sign is part of its word), then split
 * into words at Unicode letter/mark/number boundaries. Scripts written without spaces are
 * matched as substrings of the folded text instead of as words.
 */

// Combining marks directly after a Latin letter: only these are dropped.
const LATIN_WITH_MARKS = /([A-Za-z\u00C0-\u024F\u1E00-\u1EFF])[\u0300-\u036F]+/g;
const HAS_LATIN_EXTENDED = /[\u0300-\u036F\u00C0-\u024F\u1E00-\u1EFF]/;
const SPECIAL_FOLDS: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  ı: 'i',
  ſ: 's',
  ς: 'σ',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ł: 'l',
};
const SPECIAL_FOLD_RE = new RegExp(`[${Object.keys(SPECIAL_FOLDS).join('')}]`, 'g');
const NON_ASCII = /[^\x00-\x7F]/; // eslint-disable-line no-control-regex

/** The folded form of a text or a term; the same function serves both sides of a match. */
export function foldText(text: string): string {
  // Pure ASCII needs nothing but lower case: the common case, and the cheap one.
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let folded = text.normalize('NFKC').toLowerCase();
  if (SPECIAL_FOLD_RE.test(folded)) folded = folded.replace(SPECIAL_FOLD_RE, (c) => SPECIAL_FOLDS[c] ?? c);
  SPECIAL_FOLD_RE.lastIndex = 0;
  if (HAS_LATIN_EXTENDED.test(folded))
    folded = folded.normalize('NFD').replace(LATIN_WITH_MARKS, '$1').normalize('NFC');
  return folded;
}

// One byte per BMP code unit: 1 for letters, marks and numbers (word characters). Built once.
export const WORD_CHAR = (() => {
  const table = new Uint8Array(0x10000);
  const word = /[\p{L}\p{M}\p{N}]/u;
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (word.test(String.fromCharCode(c))) table[c] = 1;
  }
  return table;
})();
const WORD_ASTRAL = /^[\p{L}\p{M}\p{N}]$/u;

export function isWordCodePoint(cp: number): boolean {
  return cp < 0x10000 ? WORD_CHAR[cp] === 1 : WORD_ASTRAL.test(String.fromCodePoint(cp));
}

/** Whether the code point starting at `i` is a word character, and how many code units it takes. */
function wordCharAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return WORD_CHAR[c]! ? 1 : 0;
  const cp = s.codePointAt(i)!;
  return WORD_ASTRAL.test(String.fromCodePoint(cp)) ? 2 : 0;
}

/** Words of an already folded text, in order. */
export function words(folded: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < folded.length;) {
    const n = wordCharAt(folded, i);
    if (n) {
      if (start < 0) start = i;
      i += n;
    } else {
      if (start >= 0) out.push(folded.slice(start, i));
      start = -1;
      // A surrogate pair is one character; a lone high surrogate (a feed's broken text) is one unit.
      const c = folded.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && (folded.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    }
  }
  if (start >= 0) out.push(folded.slice(start));
  return out;
}

/** FOLD[c] for a code unit whose folding depends on its neighbours or is longer than one unit. */
export const NEEDS_CONTEXT = 0xffff;

/**
 * foldText, one BMP code unit at a time, for text already in NFC (as every stored item is):
 * FOLD[c] is what foldText makes of c alone, or NEEDS_CONTEXT where the result could depend on
 * the characters around it or is not one unit: surrogates, the Latin combining marks (removed
 * only after a Latin letter), Hangul jamo and kana voicing marks (which compose with what a
 * compatibility mapping puts before them), and expansions such as "ß" → "ss". For an NFC text
 * without those, folding each unit through this table equals foldText(text), so the matcher
 * folds and scans in one pass without building a folded copy; any other text takes foldText.
 */
export const FOLD = (() => {
  const table = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const context =
      (c >= 0xd800 && c <= 0xdfff) ||
      (c >= 0x0300 && c <= 0x036f) ||
      (c >= 0x1100 && c <= 0x11ff) ||
      c === 0x3099 ||
      c === 0x309a;
    const folded = context ? '' : foldText(String.fromCharCode(c));
    table[c] = folded.length === 1 && folded.charCodeAt(0) !== NEEDS_CONTEXT ? folded.charCodeAt(0) : NEEDS_CONTEXT;
  }
  return table;
})();

const SPACELESS_SOURCE =
  '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}]';

/** 1 for BMP code units of scripts written without spaces: a match may start at any of them. */
export const SPACELESS_CODE_UNIT = (() => {
  const table = new Uint8Array(0x10000);
  const re = new RegExp(SPACELESS_SOURCE, 'u');
  for (let c = 0x0e00; c < 0x10000; c++)
    if (!(c >= 0xd800 && c <= 0xdfff) && re.test(String.fromCharCode(c))) table[c] = 1;
  return table;
})();

const SPACELESS = new RegExp(SPACELESS_SOURCE, 'u');

/** Whether a text has characters of a script written without spaces between words (matched as substrings). */
export function isSpaceless(text: string): boolean {
  return SPACELESS.test(text);
}

/*
 * What the matcher's single pass needs to tell that a text is in NFC without normalizing it
 * (String.prototype.normalize costs ~1 ns per unit even on text in NFC already). Derived at
 * start-up from the runtime's own normalize(), so it agrees with it whatever its Unicode version:
 * - NFC_CHANGES: units that NFC replaces (singletons, composition exclusions): never in NFC text;
 * - NFC_RANK: 0 for a starter, else the unit's place in canonical combining class order;
 * - COMPOSES: the pairs (starter, mark) that NFC composes, for the marks that FOLD does not
 *   already leave to context (Indic and Arabic vowel signs and nukta, mostly).
 * Facts the word-by-word check relies on, checked by tests: every unit with a combining class
 * and every such mark is a word character, and a non-word character composes only with marks
 * that FOLD leaves to context; so a text of units that fold alone is NFC when each word is.
 */
const inContext = (c: number) => FOLD[c] === NEEDS_CONTEXT;

export const NFC_CHANGES = (() => {
  const table = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const s = String.fromCharCode(c);
    if (!(c >= 0xd800 && c <= 0xdfff) && s.normalize('NFC') !== s) table[c] = 1;
  }
  return table;
})();

export const NFC_RANK = (() => {
  const table = new Uint8Array(0x10000);
  // U+0345 has the highest combining class (240): NFD moves any other non-starter before it.
  const marks: string[] = [];
  for (let c = 0; c < 0x10000; c++) {
    const s = String.fromCharCode(c);
    if ((c >= 0xd800 && c <= 0xdfff) || NFC_CHANGES[c] || s.normalize('NFD') !== s) continue;
    if (c === 0x345 || ('a\u0345' + s).normalize('NFD') !== 'a\u0345' + s) marks.push(s);
  }
  // NFD puts y before x exactly when class(x) > class(y) > 0.
  const after = (x: string, y: string) => ('a' + x + y).normalize('NFD') !== 'a' + x + y;
  const order = (x: string, y: string) => (after(x, y) ? 1 : after(y, x) ? -1 : 0);
  marks.sort(order);
  let rank = 1;
  marks.forEach((m, i) => {
    if (i > 0 && order(marks[i - 1]!, m) !== 0) rank++;
    table[m.charCodeAt(0)] = rank;
  });
  return table;
})();

export const COMPOSES = (() => {
  const pairs = new Set<number>();
  for (let c = 0; c < 0x10000; c++) {
    const s = String.fromCharCode(c);
    if ((c >= 0xd800 && c <= 0xdfff) || NFC_CHANGES[c]) continue;
    const d = s.normalize('NFD');
    if (d.length < 2 || inContext(d.charCodeAt(d.length - 1))) continue;
    const first = d.slice(0, -1).normalize('NFC');
    if (first.length === 1 && (first + d.slice(-1)).normalize('NFC') === s)
      pairs.add((first.charCodeAt(0) << 16) | d.charCodeAt(d.length - 1));
  }
  return pairs;
})();

/** 1 for the units whose word the reader's isNfcWord (assembly/reader.ts) must look at: non-starters, and marks that compose with a starter. */
export const NFC_CHECK = (() => {
  const table = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) if (NFC_RANK[c] !== 0) table[c] = 1;
  for (const pair of COMPOSES) table[pair & 0xffff] = 1;
  return table;
})();
