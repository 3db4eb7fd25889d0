/**
 * Text as topic rules see it: NFKC, case-folded, Latin diacritics removed (café = cafe) while
 * the marks of other scripts stay (a Devanagari vowel sign is part of its word), then split
 * into words at Unicode letter/mark/number boundaries. Scripts written without spaces are
 * matched as substrings of the folded text instead of as words.
 */

// Combining marks directly after a Latin letter: only these are dropped.
const LATIN_WITH_MARKS = /([A-Za-z\u00C0-\u024F\u1E00-\u1EFF])[\u0300-\u036F]+/g;
const SPECIAL_FOLDS: Record<string, string> = { 'ß': 'ss', 'ẞ': 'ss', 'ı': 'i', 'ſ': 's', 'ς': 'σ', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'đ': 'd', 'ł': 'l' };
const SPECIAL_FOLD_RE = new RegExp(`[${Object.keys(SPECIAL_FOLDS).join('')}]`, 'g');

/** The folded form of a text or a term; the same function serves both sides of a match. */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(SPECIAL_FOLD_RE, (c) => SPECIAL_FOLDS[c] ?? c)
    .normalize('NFD')
    .replace(LATIN_WITH_MARKS, '$1')
    .normalize('NFC');
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** Words of an already folded text, in order. */
export function words(folded: string): string[] {
  return folded.match(WORD) ?? [];
}

const SPACELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** Whether a term is written in a script without spaces between words (matched as a substring). */
export function isSpaceless(term: string): boolean {
  return SPACELESS.test(term);
}
