import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchKeyOf, searchKeys, searchQueryKeys } from '../../src/rules/search-keys.js';
import { runs } from '../helpers/property.js';

const finds = (texts: string[], query: string) => {
  const keys = new Set(searchKeys(texts));
  const wanted = searchQueryKeys(query);
  return wanted.length > 0 && wanted.every((k) => keys.has(k));
};

describe('the search index keys', () => {
  it('when a key is made, then it is the FNV-1a hash of the UTF-16 units as an int4', () => {
    expect(searchKeyOf('')).toBe(0x811c9dc5 | 0);
    expect(searchKeyOf('a')).toBe(0xe40c292c | 0);
    expect(searchKeyOf('foobar')).toBe(0xbf9cf968 | 0);
  });

  it('when words are searched, then they are found folded as topic rules fold them, whole words only', () => {
    const item = ['La Corée du Nord ratifie un traité', 'Straße in Zürich; North-Korea talks.'];
    expect(finds(item, 'coree')).toBe(true);
    expect(finds(item, 'CORÉE traité')).toBe(true);
    expect(finds(item, 'strasse zurich')).toBe(true);
    expect(finds(item, 'north korea')).toBe(true);
    expect(finds(item, 'kore')).toBe(false);
    expect(finds(item, 'coree geneva')).toBe(false);
    expect(finds(['उत्तर कोरिया ने रूस के साथ'], 'रूस कोरिया')).toBe(true);
    expect(finds(['उत्तर कोरियाई सैनिक'], 'कोरिया')).toBe(false);
  });

  it('when a query has no word, then it has no keys (and matches nothing)', () => {
    expect(searchQueryKeys('')).toEqual([]);
    expect(searchQueryKeys(' … -- ')).toEqual([]);
  });

  it('when the text is in a script without spaces, then every run of its characters is found, and runs it does not hold are not', () => {
    const text = '東京で国際会議が開かれた。日本政府が発表';
    expect(finds([text], '国際会議')).toBe(true);
    expect(finds([text], '日')).toBe(true);
    expect(finds([text], '政府 東京')).toBe(true);
    expect(finds([text], '会議日本')).toBe(false);
    expect(finds([text], '大阪')).toBe(false);
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(...'東京国際会議日本政府発表あいうえおかきくけこ'),
          minLength: 1,
          maxLength: 40,
        }),
        fc.nat(),
        fc.nat(),
        (s, a, b) => {
          const [from, to] = [a % s.length, b % s.length].sort((x, y) => x - y);
          return finds([`前 ${s} 後`], s.slice(from!, to! + 1));
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('when texts differ only in case and accents, then their keys are the same', () => {
    expect(searchKeys(['Ça VA, Müller'])).toEqual(searchKeys(['ca va muller']));
  });
});
