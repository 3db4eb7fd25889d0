/**
 * Where the matcher's time goes at T = 1000 (`npm run build && node dist/bench/rules-breakdown.js`), in µs per item
 * on the items and rules of bench/rules.ts, best of 15 rounds: the bare loop over the content's
 * UTF-16 units through the fold table; the reader over the content with no terms (words, hashes,
 * NFC checks); the same with the 10,000 terms (filters, prefix lengths, lookups); and the whole
 * matchItem (every field, topic evaluation, explanations).
 */
import { compileTopics, matchItem } from '../src/rules/compile.js';
import { buildWordIndex, UNIT } from '../src/rules/word-index.js';
import { benchInputs } from './rules.js';

const { items, rulesByT } = benchInputs();
const m = compileTopics(rulesByT.get(1000)!.map((rule, i) => ({ id: i, slug: `t${i}`, rule })));
const texts = items.map((x) => x.item.contentText);
const empty = buildWordIndex([], new Uint8Array(0));
const read = (ix: typeof empty) => () => {
  for (const text of texts) {
    ix.hits.field = 4;
    ix.read(text);
    ix.hits.clear();
  }
};
const parts: [string, () => void][] = [
  [
    'bare loop',
    () => {
      let x = 0;
      for (const t of texts) for (let i = 0; i < t.length; i++) x += UNIT[t.charCodeAt(i)]! & 1;
      if (x < 0) console.log(x);
    },
  ],
  ['reader, no terms', read(empty)],
  ['reader, 10,000 terms', read(m.words)],
  ['matchItem', () => items.forEach((x) => matchItem(m, x.item))],
];
const best = new Map<string, number>();
for (let round = 0; round < 15; round++) {
  for (const [name, fn] of parts) {
    const start = performance.now();
    fn();
    best.set(name, Math.min(best.get(name) ?? Infinity, ((performance.now() - start) / items.length) * 1000));
  }
}
console.log([...best].map(([name, us]) => `${name} ${us.toFixed(1)}`).join(' | '), 'µs/item');
