/**
 * Where the matcher's time goes at T = 1000 (`npx tsx bench/rules-breakdown.ts`): the bare loop
 * over the content's UTF-16 units through the fold table, the word reader alone on the content
 * (scanWords), and the whole matchItem (every field, topic evaluation, explanations); best of 7
 * runs, in µs per item, on the items of bench/rules.ts.
 */
import { compileTopics, matchItem } from '../src/rules/compile.js';
import { Hits, scanWords, UNIT } from '../src/rules/word-index.js';
import { makeItems, makeRules, prng } from './rules.js';
const rand = prng(42);
const items = makeItems(200, rand);
const texts = items.map((x) => x.item.contentText);
const m = compileTopics(makeRules(1000, prng(5)).map((rule, i) => ({ id: i, slug: `t${i}`, rule })));
const hits = new Hits(m.termMask);
const best = (fn: () => void) => { let b = Infinity; for (let k = 0; k < 7; k++) { const t = performance.now(); for (let r = 0; r < 10; r++) fn(); b = Math.min(b, (performance.now() - t) / 10 / texts.length * 1000); } return b.toFixed(1); };
console.log('bare', best(() => { let x = 0; for (const t of texts) for (let i = 0; i < t.length; i++) x += UNIT[t.charCodeAt(i)]! & 1; if (x < 0) console.log(x); }),
  'scanWords', best(() => { for (const tx of texts) { hits.field = 4; scanWords(m.words, tx, hits); hits.clear(); } }),
  'matchItem', best(() => { for (const x of items) matchItem(m, x.item); }), 'µs/item');
