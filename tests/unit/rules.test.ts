import { describe, expect, it } from 'vitest';
import { compileTopics, matchItem, type MatchableItem } from '../../src/rules/compile.js';
import { parseRule, RuleSyntaxError } from '../../src/rules/parse.js';
import { foldText, words } from '../../src/rules/text.js';

const item = (fields: Partial<MatchableItem>): MatchableItem => ({
  title: '',
  summary: '',
  contentText: '',
  author: '',
  categories: [],
  url: '',
  feedTitle: '',
  language: '',
  ...fields,
});
const matches = (rule: string, fields: Partial<MatchableItem>) =>
  matchItem(compileTopics([{ id: 1, slug: 't', rule }]), item(fields)).length === 1;

describe('topic rules', () => {
  it.each([
    ['a word, any case', 'russia', { title: 'RUSSIA and Ukraine' }, true],
    ['a word inside another word', 'russia', { title: 'Russian troops' }, false],
    ['Hindi: रूस before a postposition', 'रूस', { title: 'रूस के साथ' }, true],
    ['Hindi: रूस is not रूसी (the vowel sign is part of the word)', 'रूस', { title: 'रूसी सेना' }, false],
    ['Hindi prefix', 'रूस*', { title: 'रूसी सेना' }, true],
    ['a Hindi phrase', '"उत्तर कोरिया"', { title: 'उत्तर कोरिया ने' }, true],
    ['a Hindi phrase is not a longer word', '"उत्तर कोरिया"', { title: 'उत्तर कोरियाई सैनिक' }, false],
    [
      'an English phrase across punctuation and a line break',
      '"north korea"',
      { contentText: 'North-\nKorea said' },
      true,
    ],
    ['a phrase in the wrong order', '"north korea"', { title: 'Korea, north of' }, false],
    ['Japanese as a substring', '東京', { title: '今日の東京は晴れ' }, true],
    ['Chinese as a substring', '北京', { contentText: '在北京举行' }, true],
    ['German ß against SS', 'straße', { title: 'STRASSE gesperrt' }, true],
    ['French accents folded', 'cafe', { title: 'Le Café de Flore' }, true],
    ['accents in the rule folded too', 'zürich', { title: 'Zurich airport' }, true],
    ['prefix', 'korea*', { title: "Korea's festival" }, true],
    ['AND by juxtaposition', 'russia treaty', { title: 'Russia signs treaty' }, true],
    ['AND with one side missing', 'russia treaty', { title: 'Russia signs' }, false],
    ['OR', 'russia OR ukraine', { title: 'Ukraine news' }, true],
    ['NOT', 'korea -south', { title: 'South Korea festival' }, false],
    ['NOT keyword', 'korea NOT south', { title: 'North Korea' }, true],
    ['precedence: AND binds tighter than OR', 'a OR b c', { title: 'a' }, true],
    ['precedence: parentheses', '(a OR b) c', { title: 'a' }, false],
    ['field scope: title', 'title:korea', { summary: 'korea' }, false],
    ['field scope: a phrase in the title', 'title:"north korea"', { title: 'North Korea ratifies' }, true],
    ['field scope on a group', 'category:(sport OR cricket)', { categories: ['Cricket'] }, true],
    ['field scope: language', 'lang:hi russia', { title: 'russia', language: 'hi' }, true],
    ['&amp; read as & in text', '"AT&T"', { contentText: 'AT&T earnings' }, true],
    ['lower-case "or" is a word, not an operator', 'war or peace', { title: 'war and peace' }, false],
    // Past the 64 units whose hashes the reader keeps for prefix terms, and past 31 (one bit for all longer prefixes).
    ['a prefix of a word of 100 letters', 'abc*', { title: 'x abc' + 'd'.repeat(97) + ' y' }, true],
    ['a prefix of 40 letters', 'a'.repeat(40) + '*', { title: 'a'.repeat(70) }, true],
    ['a prefix of 40 letters, one short', 'a'.repeat(40) + '*', { title: 'a'.repeat(39) }, false],
    ['a word of 70 letters', 'b'.repeat(70), { title: 'x ' + 'b'.repeat(70) }, true],
    ['a word of 70 letters is not one of 71', 'b'.repeat(70), { title: 'b'.repeat(71) }, false],
    ['prefixes of several lengths on one start', 'abcdefgh* OR abcd*', { title: 'abcdxyz' }, true],
    ['prefixes of several lengths, the longer one', 'abcdefgh* OR abcdq*', { title: 'abcdefghij' }, true],
  ])('%s', (_name, rule, fields, expected) => {
    expect(matches(rule, fields)).toBe(expected);
  });

  it('records which terms matched and in which fields', () => {
    const [m] = matchItem(
      compileTopics([{ id: 7, slug: 'treaty', rule: '(russia OR रूस) AND "north korea"' }]),
      item({ title: 'North Korea', contentText: 'Russia and north korea' }),
    );
    expect(m).toEqual({
      topicId: 7,
      slug: 'treaty',
      terms: [
        { term: 'russia', fields: ['content'] },
        { term: '"north korea"', fields: ['title', 'content'] },
      ],
    });
  });

  it('reads each text to its end and no further, one matcher after another (the reader reuses its buffers)', () => {
    const m = compileTopics([{ id: 1, slug: 't', rule: 'russia OR "north korea"' }]);
    const long = 'word '.repeat(20_000); // 100,000 units: more than the reader keeps a buffer for
    expect(matchItem(m, item({ contentText: long + 'Russia' }))).toHaveLength(1);
    expect(matchItem(m, item({ contentText: 'Russia and north korea ' + long }))).toHaveLength(1);
    expect(matchItem(m, item({ contentText: 'the north korea' }))).toHaveLength(1);
    // What an earlier, longer text left in the buffer is never read as this one's continuation.
    expect(matchItem(m, item({ contentText: 'rus' }))).toHaveLength(0);
    expect(matchItem(m, item({ contentText: 'the north' }))).toHaveLength(0);
    expect(matchItem(m, item({ contentText: long }))).toHaveLength(0);
  });

  it.each([
    ['', /empty/, 0],
    ['(russia', /expected "\)"/, 7],
    ['russia AND', /rule ended/, 10],
    ['"north korea', /unterminated phrase/, 0],
    ['NOT russia', /NOT needs a positive term/, 0],
    ['-a -b', /NOT needs a positive term/, 0],
    ['colour:red', /unknown field "colour"/, 0],
    ['a )', /unexpected "\)"/, 2],
    ['*', /"\*" must end a word/, 0],
  ])('refuses %j with an error that points at the position', (rule, message, position) => {
    try {
      parseRule(rule);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RuleSyntaxError);
      expect((err as Error).message).toMatch(message);
      expect((err as RuleSyntaxError).position).toBe(position);
    }
  });

  it('folds text with NFKC, case, Latin diacritics, never Devanagari marks', () => {
    expect(foldText('Ｃａｆé ZÜRICH')).toBe('cafe zurich');
    expect(foldText('रूसी')).toBe('रूसी');
    expect(foldText('Й')).toBe('й');
  });

  it('cuts words around broken surrogates without losing the character after one', () => {
    // A lone high surrogate (a JSON feed's "\ud800") is a non-word unit of its own; a pair is one character.
    expect(words('\ud800abc def')).toEqual(['abc', 'def']);
    expect(words('abc\ud800def')).toEqual(['abc', 'def']);
    expect(words('x \ud83d\ude00 y')).toEqual(['x', 'y']);
    expect(words('\udc00z')).toEqual(['z']);
  });
});
