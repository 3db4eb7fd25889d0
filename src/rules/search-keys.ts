import { foldText, isWordCodePoint, SPACELESS_CODE_UNIT, WORD_CHAR } from './text.js';

/*
 * Keys of the items search index (items.search_keys, a GIN index over int4[]): a text's words,
 * folded as topic rules fold them (case, NFKC, Latin accents: "Corée" = "coree"), each once, as
 * a 32-bit hash. In scripts written without spaces (Han, kana, Thai…) a word is a run of
 * characters with no boundary to find, so the keys there are each character and each pair of
 * neighbouring characters: any run of one or more characters is found by its pairs (or its one
 * character). A query's keys are made the same way; an item matches when it holds them all.
 *
 * Why not PostgreSQL's trigram index: its keys are every three characters of the text (~3,000
 * for a 3 KB item in Hindi) and storing an item cost ~1.5 ms of PostgreSQL CPU, which capped
 * ingestion near 600 items/s; these are ~180 keys per item (docs/benchmarks.md, "Ingest").
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units, as a signed 32-bit integer (PostgreSQL's int4). */
export function searchKeyOf(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return h | 0;
}

/**
 * The keys of a text, in one pass over its folded form without cutting it into strings: a word's
 * hash is built as its characters are read. As an item's (`query` false): every word, and in
 * spaceless runs every character and every pair. As a query's: every word, and in spaceless runs
 * every pair, or the character itself when it has no spaceless neighbour.
 */
function addKeys(text: string, query: boolean, into: KeyBuffer): void {
  const folded = foldText(text);
  let word = FNV_OFFSET;
  let inWord = false;
  let prev = -1; // the previous character, while in a spaceless run
  let run = 0; // characters in the current spaceless run
  const endWord = () => {
    if (inWord) into.add(word | 0);
    inWord = false;
    word = FNV_OFFSET;
  };
  const endRun = () => {
    if (query && run === 1) into.add(Math.imul(FNV_OFFSET ^ prev, FNV_PRIME) | 0);
    run = 0;
    prev = -1;
  };
  for (let i = 0; i < folded.length; i++) {
    const c = folded.charCodeAt(i);
    if (SPACELESS_CODE_UNIT[c] === 1) {
      endWord();
      const single = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
      if (!query) into.add(single | 0);
      if (run > 0) into.add(Math.imul(Math.imul(FNV_OFFSET ^ prev, FNV_PRIME) ^ c, FNV_PRIME) | 0);
      run++;
      prev = c;
      continue;
    }
    endRun();
    const astral = c >= 0xd800 && c <= 0xdbff && i + 1 < folded.length;
    const isWord = astral ? isWordCodePoint(folded.codePointAt(i)!) : WORD_CHAR[c] === 1;
    if (isWord) {
      word = Math.imul(word ^ c, FNV_PRIME);
      if (astral) word = Math.imul(word ^ folded.charCodeAt(i + 1), FNV_PRIME);
      inWord = true;
    } else {
      endWord();
    }
    if (astral) i++;
  }
  endWord();
  endRun();
}

/**
 * The texts of an item the index keys: those an unscoped rule term reads (title, summary, text,
 * categories), so that a search in the rule language finds every item its rule would match.
 */
export function searchTexts(item: { title: string; summary: string; content_text: string; categories: string[] }) {
  return [item.title, item.summary, item.content_text, item.categories.join('\n')];
}

/** The index keys of an item's texts, distinct and sorted. */
export function searchKeys(texts: readonly string[]): number[] {
  const keys = new KeyBuffer();
  for (const text of texts) addKeys(text, false, keys);
  return keys.distinct();
}

/** The keys an item must all hold to match a search; empty when the query has no word. */
export function searchQueryKeys(query: string): number[] {
  const keys = new KeyBuffer();
  addKeys(query, true, keys);
  return keys.distinct();
}

/** Keys as they are found, repeats included: a typed array sorted once is ~3× cheaper than a Set. */
class KeyBuffer {
  private keys = new Int32Array(1024);
  private size = 0;

  add(key: number): void {
    if (this.size === this.keys.length) {
      const grown = new Int32Array(this.size * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys[this.size++] = key;
  }

  distinct(): number[] {
    const sorted = this.keys.subarray(0, this.size).sort();
    const out: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
    return out;
  }
}
