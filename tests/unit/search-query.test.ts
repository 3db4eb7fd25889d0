import { describe, expect, it } from 'vitest';
import { compileTopics, matchItem, type MatchableItem } from '../../src/rules/compile.js';
import { parseRule } from '../../src/rules/parse.js';
import { searchKeys } from '../../src/rules/search-keys.js';
import { keyCondition, type KeyCondition } from '../../src/rules/search-query.js';

const item = (title: string, contentText = '', extra: Partial<MatchableItem> = {}): MatchableItem => ({
  title,
  summary: '',
  contentText,
  author: '',
  categories: [],
  url: '',
  feedTitle: '',
  language: '',
  ...extra,
});

const ITEMS: MatchableItem[] = [
  item('North Korea fires missile', 'Pyongyang launched a missile toward the sea.'),
  item('Talks in Moscow', 'Russia and Ukraine resume talks; Russia says little.'),
  item('La Corée du Nord', 'Les négociations reprennent à Séoul.'),
  item('रूस और उत्तर कोरिया', 'रूस ने उत्तर कोरिया के साथ समझौता किया।'),
  item('東京で会議', '東京都の会議で北朝鮮について話した。'),
  item('北京峰会', '中国和俄罗斯在北京举行峰会。'),
  item('قمة في موسكو', 'روسيا وكوريا الشمالية توقعان اتفاقا'),
  item('Summary only', '', { summary: 'A Koreanist explains the summit.' }),
  item('Tagged', 'Nothing here.', { categories: ['Politics', 'East Asia'] }),
  item("Korea's economy", 'Korean exports rose; COVID-19 rules eased.', { author: 'Kim Smith', language: 'en-GB' }),
  item('Unrelated', 'Weather in Oslo is mild.'),
  item('Russia hosts a summit', 'Russia and China hold a summit in Kazan.'),
];

const RULES = [
  'korea',
  '"north korea"',
  'russia -ukraine',
  'russia NOT ukraine',
  'coree',
  'korea*',
  'korean*',
  '(russia OR china) AND summit',
  'title:summit OR summary:summit',
  'category:politics',
  'category:"east asia"',
  'author:smith korea',
  'lang:en korea',
  'रूस',
  '"उत्तर कोरिया"',
  'रूस -यूक्रेन',
  '東京',
  '東*',
  '会議 OR 峰会',
  'روسيا',
  'COVID-19',
  '"korea\'s economy"',
  'summit -title:summit',
];

/** Whether an item's index keys satisfy a key condition. */
function holds(condition: KeyCondition, keys: Set<number>): boolean {
  switch (condition.kind) {
    case 'any':
      return true;
    case 'keys':
      return condition.keys.every((k) => keys.has(k));
    case 'and':
      return condition.children.every((c) => holds(c, keys));
    case 'or':
      return condition.children.some((c) => holds(c, keys));
  }
}

describe('the search index condition of a rule', () => {
  it.each(RULES)('when the rule %s matches an item, then the item holds the keys the index is asked for', (rule) => {
    const condition = keyCondition(parseRule(rule));
    const matcher = compileTopics([{ id: 1, slug: 't', rule }]);
    let matched = 0;
    for (const it of ITEMS) {
      if (matchItem(matcher, it).length === 0) continue;
      matched++;
      const keys = new Set(searchKeys([it.title, it.summary, it.contentText, it.categories.join('\n')]));
      expect(holds(condition, keys), `${rule} on ${it.title}`).toBe(true);
    }
    // Every rule of the table matches something: the check is not vacuous.
    expect(matched).toBeGreaterThan(0);
  });

  it('when a rule has words, then the index narrows; a NOT, a Latin prefix or an unindexed field alone do not', () => {
    const kind = (rule: string) => keyCondition(parseRule(rule)).kind;
    expect(kind('korea')).toBe('keys');
    expect(kind('"north korea" russia')).toBe('keys');
    expect(kind('russia -ukraine')).toBe('keys');
    expect(kind('korea OR china')).toBe('or');
    expect(kind('(korea OR china) summit')).toBe('and');
    expect(kind('korea*')).toBe('any');
    expect(kind('korea OR chin*')).toBe('any');
    expect(kind('author:smith')).toBe('any');
    expect(kind('東*')).toBe('keys');
    // A phrase ending in a prefix needs its whole words only.
    const phrase = keyCondition(parseRule('"north kor"*'.replace('"*', '*"')));
    expect(phrase.kind).not.toBe('any');
  });
});
