import type { MatchedTerm } from '../db/schema.js';
import { FIELDS, parseRule, type Field, type RuleNode } from './parse.js';
import { FOLD, foldText, isSpaceless, isWordCodePoint, NEEDS_CONTEXT, SPACELESS_CODE_UNIT, WORD_CHAR, words } from './text.js';

/**
 * All topics' rules compiled into one matcher. Every distinct term of every rule goes into one
 * character trie over folded text, in which a phrase's words are joined by a "separator" edge
 * that stands for any run of non-word characters. Each field of an item is folded once and
 * read once: a walk down the trie starts at every word start (and at every character of a
 * spaceless script), so a hit is at a word boundary by construction and only whole words,
 * whole phrases or prefixes end in a terminal. Only the topics that own a term that occurred
 * have their boolean expressions evaluated.
 */

/** The parts of an item a rule can look at, as plain text. */
export interface MatchableItem {
  title: string;
  summary: string;
  contentText: string;
  author: string;
  categories: string[];
  url: string;
  feedTitle: string;
  language: string;
}

export interface TopicRule {
  id: number;
  slug: string;
  rule: string;
}

export interface TopicMatch {
  topicId: number;
  slug: string;
  terms: MatchedTerm[];
}

// Unscoped terms look at what a reader sees of the item.
export const DEFAULT_FIELDS: Field[] = ['title', 'summary', 'content', 'category'];
const FIELD_BIT = Object.fromEntries(FIELDS.map((f, i) => [f, 1 << i])) as Record<Field, number>;
const DEFAULT_MASK = DEFAULT_FIELDS.reduce((m, f) => m | FIELD_BIT[f], 0);

export const FIELD_TEXT: Record<Field, (item: MatchableItem) => string> = {
  title: (i) => i.title,
  summary: (i) => i.summary,
  content: (i) => i.contentText,
  author: (i) => i.author,
  category: (i) => i.categories.join('\n'),
  url: (i) => i.url,
  feed: (i) => i.feedTitle,
  lang: (i) => i.language,
};

interface TrieNode {
  /** Children by character class (build time only: the matcher reads the flattened form). */
  keys: number[];
  kids: TrieNode[];
  /** The separator edge: any run of non-word characters between the words of a phrase. */
  sep: TrieNode | null;
  /** Terms that end here at a word end. */
  whole: number[] | null;
  /** Terms that end here whatever follows (prefixes, spaceless-script terms). */
  open: number[] | null;
}

type Expr = { kind: 'term'; term: number; label: string } | { kind: 'and' | 'or'; children: Expr[] } | { kind: 'not'; child: Expr };

interface CompiledTopic {
  topic: TopicRule;
  expr: Expr;
}

/**
 * The trie flattened into typed arrays (node 0 is the root; -1 is "no node"), so that the hot
 * loop touches only monomorphic, contiguous memory: each node is one record of NODE_SIZE ints.
 */
export interface FlatTrie {
  /** Per node: DENSE, CHILD_START, CHILD_COUNT, SEP, WHOLE_START, WHOLE_COUNT, OPEN_START, OPEN_COUNT. */
  nodes: Int32Array;
  /** Rows of `width` targets for nodes with many children. */
  denseTargets: Int32Array;
  /** (class, target) pairs for nodes with few children. */
  children: Int32Array;
  terms: Int32Array;
  /** Number of classes + 1: the width of a dense row. */
  width: number;
}
const NODE_SIZE = 8;
const DENSE = 0, CHILD_START = 1, CHILD_COUNT = 2, SEP = 3, WHOLE_START = 4, WHOLE_COUNT = 5, OPEN_START = 6, OPEN_COUNT = 7;

export interface TopicMatcher {
  readonly topics: CompiledTopic[];
  readonly trie: FlatTrie;
  /** Class of each folded BMP code unit that occurs in some term (0: in none, so no walk goes on). */
  readonly classOf: Uint16Array;
  readonly astralClass: Map<number, number>;
  /** Per term: the fields it may match in, as a bit mask. */
  readonly termMask: Uint8Array;
  /** Per term: the indexes of the topics that use it. */
  readonly termTopics: number[][];
  /** The fields any term looks at, as a bit mask: the others are never read. */
  readonly usedFields: number;
  readonly hasSpaceless: boolean;
}

const DENSE_FROM = 8;
const newNode = (): TrieNode => ({ keys: [], kids: [], sep: null, whole: null, open: null });

function step(node: TrieNode, cls: number): TrieNode | undefined {
  const keys = node.keys;
  for (let k = 0; k < keys.length; k++) if (keys[k] === cls) return node.kids[k];
  return undefined;
}

/** Parses and compiles every topic's rule; a rule that no longer parses is left out (it was checked when saved). */
export function compileTopics(topics: TopicRule[]): TopicMatcher {
  const root = newNode();
  const classOf = new Uint16Array(0x10000);
  const astralClass = new Map<number, number>();
  let classes = 0;
  const classFor = (cp: number): number => {
    if (cp < 0x10000) return (classOf[cp] ||= ++classes);
    let cls = astralClass.get(cp);
    if (!cls) astralClass.set(cp, (cls = ++classes));
    return cls;
  };
  const termIds = new Map<string, number>();
  const masks: number[] = [];
  const termTopics: number[][] = [];
  const compiled: CompiledTopic[] = [];
  let usedFields = 0;
  let hasSpaceless = false;

  const addTerm = (node: Extract<RuleNode, { kind: 'term' }>, topicIndex: number): number => {
    const folded = words(foldText(node.text));
    const spaceless = isSpaceless(node.text);
    const mask = node.field ? FIELD_BIT[node.field] : DEFAULT_MASK;
    const kind = spaceless || node.prefix ? 'open' : 'whole';
    const key = `${kind}|${mask}|${folded.join(' ')}`;
    let id = termIds.get(key);
    if (id === undefined) {
      id = masks.length;
      termIds.set(key, id);
      masks.push(mask);
      termTopics.push([]);
      usedFields |= mask;
      hasSpaceless ||= spaceless;
      let at = root;
      folded.forEach((word, i) => {
        if (i > 0) at = at.sep ??= newNode();
        for (const ch of word) {
          const cls = classFor(ch.codePointAt(0)!);
          let next = step(at, cls);
          if (!next) {
            at.keys.push(cls);
            at.kids.push((next = newNode()));
          }
          at = next;
        }
      });
      (at[kind] ??= []).push(id);
    }
    const owners = termTopics[id]!;
    if (owners[owners.length - 1] !== topicIndex) owners.push(topicIndex);
    return id;
  };

  const compileNode = (node: RuleNode, topicIndex: number): Expr => {
    if (node.kind === 'term') {
      const label = (node.field ? `${node.field}:` : '') + (node.phrase ? `"${node.text}"` : node.text + (node.prefix ? '*' : ''));
      return { kind: 'term', term: addTerm(node, topicIndex), label };
    }
    if (node.kind === 'not') return { kind: 'not', child: compileNode(node.child, topicIndex) };
    return { kind: node.kind, children: node.children.map((c) => compileNode(c, topicIndex)) };
  };

  for (const topic of topics) {
    let tree: RuleNode;
    try {
      tree = parseRule(topic.rule);
    } catch {
      continue;
    }
    compiled.push({ topic, expr: compileNode(tree, compiled.length) });
  }
  return { topics: compiled, trie: flatten(root, classes + 1), classOf, astralClass, termMask: Uint8Array.from(masks), termTopics, usedFields, hasSpaceless };
}

/** Numbers the nodes breadth-first and writes the trie into typed arrays; nodes with many children get a dense row. */
function flatten(root: TrieNode, width: number): FlatTrie {
  const order: TrieNode[] = [root];
  const index = new Map<TrieNode, number>([[root, 0]]);
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    for (const kid of node.sep ? [...node.kids, node.sep] : node.kids) {
      index.set(kid, order.length);
      order.push(kid);
    }
  }
  const nodes = new Int32Array(order.length * NODE_SIZE);
  const dense: number[] = [], children: number[] = [], terms: number[] = [];
  order.forEach((node, i) => {
    const at = i * NODE_SIZE;
    nodes[at + DENSE] = -1;
    if (node.keys.length >= DENSE_FROM) {
      nodes[at + DENSE] = dense.length;
      const row = new Array<number>(width).fill(-1);
      node.keys.forEach((cls, k) => (row[cls] = index.get(node.kids[k]!)! * NODE_SIZE));
      dense.push(...row);
    } else {
      nodes[at + CHILD_START] = children.length;
      nodes[at + CHILD_COUNT] = node.keys.length;
      node.keys.forEach((cls, k) => children.push(cls, index.get(node.kids[k]!)! * NODE_SIZE));
    }
    nodes[at + SEP] = node.sep ? index.get(node.sep)! * NODE_SIZE : -1;
    nodes[at + WHOLE_START] = terms.length;
    nodes[at + WHOLE_COUNT] = node.whole?.length ?? 0;
    terms.push(...(node.whole ?? []));
    nodes[at + OPEN_START] = terms.length;
    nodes[at + OPEN_COUNT] = node.open?.length ?? 0;
    terms.push(...(node.open ?? []));
  });
  return { nodes, denseTargets: Int32Array.from(dense), children: Int32Array.from(children), terms: Int32Array.from(terms), width };
}

/** The child of `node` (an offset into t.nodes) for a character class, or -1. */
function next(t: FlatTrie, node: number, cls: number): number {
  const nodes = t.nodes;
  const row = nodes[node + DENSE]!;
  if (row >= 0) return t.denseTargets[row + cls]!;
  const children = t.children;
  const start = nodes[node + CHILD_START]!;
  const end = start + 2 * nodes[node + CHILD_COUNT]!;
  for (let k = start; k < end; k += 2) if (children[k] === cls) return children[k + 1]!;
  return -1;
}

// Module-local aliases: V8 reads these faster than imported bindings in the hot loops below.
const FOLD_OF = FOLD;
const IS_WORD = WORD_CHAR;
const IS_SPACELESS = SPACELESS_CODE_UNIT;

/** A hit: term t seen in the field being scanned. */
type Hits = number[];

/**
 * Reads one raw field once, folding it unit by unit through FOLD, and lists every term that
 * occurs in it; null at the first unit that needs context (the caller then folds the whole text
 * and uses scanFolded). This is the hot loop: BMP only, table lookups only.
 */
function scanRaw(m: TopicMatcher, text: string, fieldBit: number): Hits | null {
  const found: Hits = [];
  const n = text.length;
  const spaceless = m.hasSpaceless;
  let prevWord = false;
  for (let i = 0; i < n; i++) {
    const c = FOLD_OF[text.charCodeAt(i)]!;
    if (c === NEEDS_CONTEXT) return null;
    const word = IS_WORD[c] === 1;
    if (word && (!prevWord || (spaceless && IS_SPACELESS[c] === 1)) && !walkRaw(m, text, i, fieldBit, found)) return null;
    prevWord = word;
  }
  return found;
}

/** Follows the trie from a word start as far as the text allows, listing the terminals passed; false: needs context. */
function walkRaw(m: TopicMatcher, text: string, start: number, fieldBit: number, found: Hits): boolean {
  const n = text.length;
  const classOf = m.classOf;
  const t = m.trie;
  let node = 0;
  let j = start;
  for (;;) {
    for (; j < n; j++) {
      const c = FOLD_OF[text.charCodeAt(j)]!;
      if (c === NEEDS_CONTEXT) return false;
      if (IS_WORD[c] !== 1) break;
      const cls = classOf[c]!;
      if (cls === 0) return true;
      node = next(t, node, cls);
      if (node < 0) return true;
      if (t.nodes[node + OPEN_COUNT]) collect(m, node + OPEN_START, fieldBit, found);
    }
    if (t.nodes[node + WHOLE_COUNT]) collect(m, node + WHOLE_START, fieldBit, found);
    const sep = t.nodes[node + SEP]!;
    if (sep < 0) return true;
    for (; j < n; j++) {
      const c = FOLD_OF[text.charCodeAt(j)]!;
      if (c === NEEDS_CONTEXT) return false;
      if (IS_WORD[c] === 1) break;
    }
    if (j >= n) return true;
    node = sep;
  }
}

/** The same reading over a text folded already (by foldText), code point by code point. */
function scanFolded(m: TopicMatcher, text: string, fieldBit: number): Hits {
  const found: Hits = [];
  let prevWord = false;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const word = isWordCodePoint(cp);
    if (word && (!prevWord || (m.hasSpaceless && cp < 0x10000 && SPACELESS_CODE_UNIT[cp] === 1))) walkFolded(m, text, i, fieldBit, found);
    prevWord = word;
    i += cp > 0xffff ? 2 : 1;
  }
  return found;
}

function walkFolded(m: TopicMatcher, text: string, start: number, fieldBit: number, found: Hits): void {
  const t = m.trie;
  let node = 0;
  let j = start;
  for (;;) {
    while (j < text.length) {
      const cp = text.codePointAt(j)!;
      if (!isWordCodePoint(cp)) break;
      const cls = cp < 0x10000 ? m.classOf[cp]! : (m.astralClass.get(cp) ?? 0);
      node = cls ? next(t, node, cls) : -1;
      if (node < 0) return;
      if (t.nodes[node + OPEN_COUNT]) collect(m, node + OPEN_START, fieldBit, found);
      j += cp > 0xffff ? 2 : 1;
    }
    if (t.nodes[node + WHOLE_COUNT]) collect(m, node + WHOLE_START, fieldBit, found);
    const sep = t.nodes[node + SEP]!;
    if (sep < 0) return;
    while (j < text.length && !isWordCodePoint(text.codePointAt(j)!)) j += text.codePointAt(j)! > 0xffff ? 2 : 1;
    if (j >= text.length) return;
    node = sep;
  }
}

/** FOLD is exact only on NFC text; stored items are NFC, so this is almost always true at once. */
function isNfc(text: string): boolean {
  return text.normalize('NFC') === text;
}

/** Lists the terms of one terminal slot (node + WHOLE_START or node + OPEN_START) that may match in this field. */
function collect(m: TopicMatcher, slot: number, fieldBit: number, found: Hits): void {
  const terms = m.trie.terms;
  const start = m.trie.nodes[slot]!;
  const end = start + m.trie.nodes[slot + 1]!;
  for (let k = start; k < end; k++) {
    const term = terms[k]!;
    if (m.termMask[term]! & fieldBit) found.push(term);
  }
}

/** Topics whose rules match the item, each with the terms that occurred and where. */
export function matchItem(m: TopicMatcher, item: MatchableItem): TopicMatch[] {
  if (m.topics.length === 0) return [];
  const hits = new Uint8Array(m.termMask.length);
  const touched: number[] = [];
  for (const field of FIELDS) {
    const bit = FIELD_BIT[field];
    if (!(m.usedFields & bit)) continue;
    const text = FIELD_TEXT[field](item);
    if (!text) continue;
    const found = (isNfc(text) && scanRaw(m, text, bit)) || scanFolded(m, foldText(text), bit);
    for (const t of found) {
      if (!hits[t]) touched.push(t);
      hits[t]! |= bit;
    }
  }
  if (touched.length === 0) return [];

  const candidates = new Set<number>();
  for (const t of touched) for (const topicIndex of m.termTopics[t]!) candidates.add(topicIndex);
  const matches: TopicMatch[] = [];
  for (const index of [...candidates].sort((a, b) => a - b)) {
    const { topic, expr } = m.topics[index]!;
    if (!evaluate(expr, hits)) continue;
    const terms = new Map<string, string[]>();
    collectTerms(expr, hits, terms);
    matches.push({ topicId: topic.id, slug: topic.slug, terms: [...terms].map(([term, fields]) => ({ term, fields })) });
  }
  return matches;
}

function evaluate(e: Expr, hits: Uint8Array): boolean {
  switch (e.kind) {
    case 'term':
      return hits[e.term]! !== 0;
    case 'not':
      return !evaluate(e.child, hits);
    case 'and':
      return e.children.every((c) => evaluate(c, hits));
    case 'or':
      return e.children.some((c) => evaluate(c, hits));
  }
}

/** The positive terms that occurred (the explanation of a tag); terms under NOT explain nothing. */
function collectTerms(e: Expr, hits: Uint8Array, out: Map<string, string[]>): void {
  if (e.kind === 'term') {
    const mask = hits[e.term]!;
    if (mask && !out.has(e.label)) out.set(e.label, FIELDS.filter((f) => mask & FIELD_BIT[f]));
  } else if (e.kind !== 'not') {
    for (const c of e.children) collectTerms(c, hits, out);
  }
}
