import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { htmlToText } from '../src/pipeline/html.js';
import { compileTopics, matchItem, type MatchableItem } from '../src/rules/compile.js';
import { referenceMatcher } from '../src/rules/reference.js';
import { foldText, words } from '../src/rules/text.js';
import { ROOT } from './env.js';

/**
 * Topic matching throughput (issue 3): items of ~7 KB of UTF-8 text, half Hindi, half English; T topics
 * of ~10 terms. Side by side in one process: (a) a naive baseline, one regular expression per term
 * per topic; (b) the compiled matcher on the item's text; (c) the whole step, item HTML → text → tags.
 */
// Real English words come from a feed corpus when one is given (CORPUS_DIR: the figures in
// docs/benchmarks.md were measured with the team's corpus), else from the repository's own
// fixtures, a smaller vocabulary (the rest is made-up words either way).
const CORPUS_FEEDS = process.env.CORPUS_DIR
  ? path.resolve(process.env.CORPUS_DIR, 'codehollow-feedreader/FeedReader.Tests/Feeds')
  : '';
const FEEDS = CORPUS_FEEDS && existsSync(CORPUS_FEEDS) ? CORPUS_FEEDS : path.join(ROOT, 'tests/fixtures/feeds');

/** mulberry32: a small seeded generator, so every run benchmarks the same items and rules. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const hindi = readFileSync(path.join(ROOT, 'tests/fixtures/seed/article-hi.txt'), 'utf8');
/** Where the benchmark's real English words came from (printed with its figures). */
export const VOCABULARY_SOURCE = path.relative(ROOT, FEEDS);
const english = readdirSync(FEEDS)
  .map((f) => htmlToText(readFileSync(path.join(FEEDS, f), 'utf8')))
  .join(' ');

// Real words first, in order of first use; then made-up words in the same scripts, so that the
// vocabulary is large (~20,000 words each) and a rule's terms are as rare in items as in real news.
function vocabulary(realText: string, keep: (w: string) => boolean, letters: string[], rand: () => number): string[] {
  const real = [...new Set(words(foldText(realText)))].filter(keep);
  const made = new Set<string>();
  while (real.length + made.size < 20_000) {
    made.add(
      Array.from({ length: 3 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * letters.length)]).join(''),
    );
  }
  return [...real, ...made];
}
const vrand = prng(7);
export const vocab = {
  en: vocabulary(english, (w) => /^[a-z]{3,}$/.test(w), [...'abcdefghijklmnoprstuvwy'], vrand),
  hi: vocabulary(
    hindi,
    (w) => w.length > 1,
    [...'कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह'].flatMap((c) => [c, c + 'ा', c + 'ि', c + 'ी', c + 'ु', c + 'े', c + 'ो']),
    vrand,
  ),
};

/** A word with a Zipf-like skew: common words are common, most of the vocabulary is rare. */
export function zipf(pool: string[], rand: () => number): string {
  return pool[Math.floor(pool.length * rand() ** 4)]!;
}

export function makeItems(n: number, rand: () => number): { html: string; item: MatchableItem }[] {
  return Array.from({ length: n }, (_, i) => {
    const lang = i % 2 ? 'hi' : 'en';
    const pool = vocab[lang];
    const paragraphs: string[] = [];
    let size = 0;
    while (size < 7000) {
      const p = Array.from({ length: 40 }, () => zipf(pool, rand)).join(' ');
      paragraphs.push(p);
      size += Buffer.byteLength(p);
    }
    const html = paragraphs
      .map((p, k) =>
        k % 3 ? `<p>${p}</p>` : `<p><a href="https://x.example/${k}">${p.slice(0, 30)}</a> ${p.slice(30)}</p>`,
      )
      .join('\n');
    const text = htmlToText(html).normalize('NFC');
    return {
      html,
      item: {
        title: paragraphs[0]!.slice(0, 80),
        summary: paragraphs[1]!.slice(0, 200),
        contentText: text,
        author: '',
        categories: [],
        url: '',
        feedTitle: '',
        language: lang,
      },
    };
  });
}

export function makeRules(t: number, rand: () => number): string[] {
  // Topics name specific things: terms come from the vocabulary past its 200 most common words.
  const pick = () => {
    const pool = rand() < 0.5 ? vocab.hi : vocab.en;
    return pool[200 + Math.floor(rand() ** 2 * (pool.length - 200))]!;
  };
  return Array.from({ length: t }, () => {
    const any = Array.from({ length: 6 }, (_, k) =>
      k === 5 ? `"${pick()} ${pick()}"` : k === 4 ? `${pick()}*` : pick(),
    ).join(' OR ');
    const all = Array.from({ length: 3 }, pick).join(' OR ');
    return `(${any}) AND (${all}) -${pick()}`;
  });
}

function naiveMatcher(rules: string[]) {
  // The baseline a first version would write: for every topic, its terms' regular expressions
  // (built once) over the item's folded text.
  const topics = rules.map(referenceMatcher);
  return (item: MatchableItem) => topics.filter((matches) => matches(item)).length;
}

/**
 * Items per second of each function (a call handles `items[k]` items): rounds of at least 100 ms
 * each, the functions taking turns round by round, after one call each of warm-up; the median
 * round of each, and its best. Taking turns and medians because this machine has spells of
 * seconds when everything runs ~40% slower: a long run of one function, then of the next,
 * compares a slow spell with a quiet one. The best round says what the code does when the
 * machine lets it; the median is the figure held to a target.
 */
function rates(fns: (() => void)[], items: number[], rounds = 15): { median: number; best: number }[] {
  fns.forEach((fn) => fn());
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      let runs = 0;
      const start = performance.now();
      while (performance.now() - start < 100) {
        fn();
        runs++;
      }
      samples[k]!.push((runs * items[k]!) / ((performance.now() - start) / 1000));
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)).map((s) => ({ median: s[rounds >> 1]!, best: s[rounds - 1]! }));
}

/** The benchmark's items and its rules for each T, drawn in one fixed order (bench/rules-breakdown.ts measures the same). */
export function benchInputs(): { items: ReturnType<typeof makeItems>; rulesByT: Map<number, string[]> } {
  const rand = prng(42);
  const items = makeItems(200, rand);
  return { items, rulesByT: new Map([10, 100, 1000].map((t) => [t, makeRules(t, rand)])) };
}

export function benchRules(): string[] {
  const { items, rulesByT } = benchInputs();
  const out: string[] = [`English vocabulary from ${VOCABULARY_SOURCE}`];
  for (const [t, rules] of rulesByT) {
    // Compiling is what every worker does when a topic changes: the best of three; the last is measured below.
    const topics = rules.map((rule, i) => ({ id: i, slug: `t${i}`, rule }));
    let compileMs = Infinity;
    let matcher!: ReturnType<typeof compileTopics>;
    for (let k = 0; k < 3; k++) {
      const start = performance.now();
      matcher = compileTopics(topics);
      compileMs = Math.min(compileMs, performance.now() - start);
    }
    // The matcher's memory: its typed arrays (the tries, the class table) and its word index's
    // region of the readers' memory (per-term data; not the tables every reader shares).
    const trie = matcher.trie;
    const arrays: ArrayBufferView[] = [
      ...[trie, matcher.spacelessTrie].flatMap((t) => [t.nodes, t.denseTargets, t.children, t.terms]),
      matcher.classOf,
    ];
    const bytes = arrays.reduce((n, a) => n + a.byteLength, matcher.words.bytes);
    const naive = naiveMatcher(rules);
    const naiveItems = items.slice(0, t >= 1000 ? 10 : 50);
    const [naiveRate, compiled, whole] = rates(
      [
        () => naiveItems.forEach((x) => naive(x.item)),
        () => items.forEach((x) => matchItem(matcher, x.item)),
        () => items.forEach((x) => matchItem(matcher, { ...x.item, contentText: htmlToText(x.html) })),
      ],
      [naiveItems.length, items.length, items.length],
    );
    const [a, b, c] = [naiveRate!.median, compiled!.median, whole!.median];
    const best = (r: { best: number }) => `best round ${r.best.toFixed(0)}`;
    const tagged = items.reduce((n, x) => n + matchItem(matcher, x.item).length, 0);
    out.push(
      `T=${String(t).padEnd(5)} naive ${a.toFixed(0).padStart(7)} items/s | compiled ${b.toFixed(0).padStart(7)} items/s (${(b / a).toFixed(0)}× naive; ${best(compiled!)}) | ` +
        `HTML→tags ${c.toFixed(0).padStart(6)} items/s (${best(whole!)}) | matcher ${(bytes / 2 ** 20).toFixed(1)} MiB, ${trie.nodes.length / 8} trie nodes, ` +
        `compiled in ${compileMs.toFixed(0)} ms | ` +
        `${(tagged / items.length).toFixed(1)} tags/item`,
    );
  }
  return out;
}
