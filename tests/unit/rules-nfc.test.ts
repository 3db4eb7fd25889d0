import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../helpers/property.js';
import { FOLD, NEEDS_CONTEXT, NFC_CHANGES, NFC_CHECK, NFC_RANK, WORD_CHAR } from '../../src/rules/text.js';
import { buildWordIndex } from '../../src/rules/word-index.js';

/*
 * The matcher reads a text unit by unit only when it is in NFC, and tells so word by word
 * (assembly/reader.ts: isNfcWord) instead of normalizing the text. These tests hold that check to the
 * runtime's own normalize().
 */
const index = buildWordIndex([], new Uint8Array(0));
const readsFast = (text: string) => {
  const fast = index.read(text);
  index.hits.clear();
  return fast;
};
const foldsAlone = (text: string) =>
  [...text].every((ch) => ch.length === 1 && FOLD[ch.charCodeAt(0)] !== NEEDS_CONTEXT);

// Starters, marks of several classes, marks that compose, and units NFC replaces.
const UNITS = [
  'a',
  'k',
  ' ',
  '-',
  '.',
  'न',
  'क',
  'ड',
  'र',
  '\u093C' /* nukta, class 7, composes with न र ळ */,
  '\u094D' /* virama, 9 */,
  '\u0947',
  '\u0902',
  'ো',
  '\u09C7',
  '\u09BE' /* Bengali: e + aa compose to o */,
  '\u09D7',
  'ா',
  '\u0BC6',
  '\u0BBE',
  'ا',
  '\u0654',
  '\u0655',
  '\u0653',
  '\u064B',
  '\u0651' /* Arabic marks of classes 27-34 */,
  'ו',
  '\u05B9',
  '\u05BC',
  '\u0591',
  '\u0E38',
  '\u0E48',
  'ก',
  '\u0F71',
  '\u0F72',
  '\u0F74',
  '\u0F80',
  '\u1B05',
  '\u1B35',
  '\u0958',
  '\u2126',
  '\u037E',
  '\u2000',
];
const unitText = fc.array(fc.constantFrom(...UNITS), { maxLength: 12 }).map((units) => units.join(''));

describe('telling NFC word by word', () => {
  it('agrees with normalize() on random texts of starters and marks', () => {
    fc.assert(
      fc.property(unitText, (text) => {
        expect(readsFast(text)).toBe(foldsAlone(text) && text.normalize('NFC') === text);
      }),
      { numRuns: runs(20000) },
    );
  });

  it('knows the cases by name', () => {
    expect(readsFast('न\u093C')).toBe(false); // NFC composes it to ऩ
    expect(readsFast('ड\u093C')).toBe(true); // ड़ is excluded from composition: this is its NFC
    expect(readsFast('क\u094D\u093C')).toBe(false); // nukta (7) belongs before virama (9)
    expect(readsFast('क\u093C\u094D')).toBe(true);
    expect(readsFast('ক\u09C7\u09BE')).toBe(false); // ে + া compose to ো (both are starters)
    expect(readsFast('ক\u09BE')).toBe(true);
    expect(readsFast('न \u093C')).toBe(true); // a mark after a space has nothing to compose with
    expect(readsFast('ا\u0654')).toBe(false);
    expect(readsFast('\u0958')).toBe(false); // क़ is never NFC (decomposes)
    expect(readsFast('रूस के')).toBe(true);
  });

  it('rests on facts about Unicode that hold for this runtime', () => {
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCharCode(c);
      // Every unit the check looks at is inside a word, so a word holds all it interacts with.
      if (NFC_CHECK[c] === 1 && NFC_CHANGES[c] === 0 && FOLD[c] !== NEEDS_CONTEXT)
        expect(WORD_CHAR[c], `U+${c.toString(16)}`).toBe(1);
      if (NFC_RANK[c] !== 0) expect(NFC_CHECK[c]).toBe(1);
      // A character outside words composes only with marks that fold in context (U+0338 and the like).
      const d = s.normalize('NFD');
      if (NFC_CHANGES[c] === 0 && d.length === 2 && WORD_CHAR[d.charCodeAt(0)] === 0)
        expect(FOLD[d.charCodeAt(1)], `U+${c.toString(16)}`).toBe(NEEDS_CONTEXT);
    }
  });
});
