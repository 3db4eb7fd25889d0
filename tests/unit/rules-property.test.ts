import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../helpers/property.js';
import { compileTopics, matchItem, type MatchableItem } from '../../src/rules/compile.js';
import { FIELDS } from '../../src/rules/parse.js';
import { referenceMatches } from '../../src/rules/reference.js';

// A small vocabulary, so that random rules and random texts meet often, in several scripts.
const VOCAB = [
  'russia',
  'Russia',
  'RUSSIAN',
  'korea',
  'north',
  'North-Korea',
  'café',
  'Cafe',
  'straße',
  'STRASSE',
  'zürich',
  'रूस',
  'रूसी',
  'उत्तर',
  'कोरिया',
  'कोरियाई',
  '東京',
  '東京都',
  'タワー',
  'ไทย',
  'at',
  't',
  'AT&T',
  '2024',
  'İstanbul',
  // Text that is not NFC, compatibility forms, and characters whose folding depends on neighbours.
  'cafe\u0301',
  'न\u093C',
  'ऩ',
  'क्ष',
  'ज़',
  'क\u094D\u093C',
  'ক\u09C7\u09BE',
  'ا\u0654',
  'Ｒｕｓｓｉａ',
  'ｶ\u3099',
  'ガ',
  '\u1100\u1161',
  '가',
  'ΣΟΦΙΑ',
  'σοφια',
  'ﬁnal',
  'final',
  '𝐑ussia',
];
const SEPARATORS = [' ', '  ', '\n', ', ', '-', '. ', '&', '/', ''];

const text = fc
  .array(fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(...SEPARATORS)), { maxLength: 12 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));

const termText = fc.oneof(
  fc.constantFrom(...VOCAB.filter((w) => /[\p{L}\p{N}]/u.test(w))).map((w) => ({ text: w, phrase: false })),
  fc
    .array(fc.constantFrom('north', 'korea', 'उत्तर', 'कोरिया', 'at', 't', 'russia', '東京'), {
      minLength: 2,
      maxLength: 3,
    })
    .map((ws) => ({ text: ws.join(' '), phrase: true })),
);

const field = fc.option(fc.constantFrom(...FIELDS), { nil: undefined, freq: 3 });

const term = fc.tuple(termText, fc.boolean(), field).map(([t, prefix, f]) => {
  const core = t.phrase
    ? `"${t.text}"`
    : /^[\p{L}\p{N}]+$/u.test(t.text) && prefix
      ? `${t.text}*`
      : t.text.includes('&')
        ? `"${t.text}"`
        : t.text;
  return (f ? `${f}:` : '') + core;
});

const rule: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a} OR ${b})`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a} ${b})`),
    fc.tuple(tie('expr'), term).map(([a, b]) => `(${a} AND NOT ${b})`),
  ),
})).expr;

const item: fc.Arbitrary<MatchableItem> = fc.record({
  title: text,
  summary: text,
  contentText: text,
  author: text,
  categories: fc.array(text, { maxLength: 2 }),
  url: fc.constant('https://news.example/russia/2024'),
  feedTitle: text,
  language: fc.constantFrom('en', 'hi', 'hi-IN', 'ja', ''),
});

describe('the compiled matcher against the reference evaluator', () => {
  it('agrees on random rules and random texts, one topic at a time', () => {
    fc.assert(
      fc.property(rule, item, (r, it) => {
        const compiled = matchItem(compileTopics([{ id: 1, slug: 't', rule: r }]), it).length === 1;
        expect(compiled).toBe(referenceMatches(r, it));
      }),
      { numRuns: runs(1000) },
    );
  });

  it('agrees when many topics share one compiled matcher', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 30 }), item, (rules, it) => {
        const matcher = compileTopics(rules.map((r, i) => ({ id: i, slug: `t${i}`, rule: r })));
        const got = matchItem(matcher, it).map((m) => m.topicId);
        const want = rules.flatMap((r, i) => (referenceMatches(r, it) ? [i] : []));
        expect(got).toEqual(want);
      }),
      { numRuns: runs(200) },
    );
  });
});
