import type { MatchedTerm } from '../db/schema.js';
import { FIELDS, parseRule, type Field, type RuleNode } from './parse.js';
import { foldText, isSpaceless, isWordCodePoint, isWordCodeUnit, SPACELESS_CODE_UNIT, words } from './text.js';

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

const SEPARATOR = -1;

interface TrieNode {
  ascii: (TrieNode | undefined)[] | null;
  other: Map<number, TrieNode> | null;
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

export interface TopicMatcher {
  readonly topics: CompiledTopic[];
  readonly root: TrieNode;
  /** Per term: the fields it may match in, as a bit mask. */
  readonly termMask: Uint8Array;
  /** Per term: the indexes of the topics that use it. */
  readonly termTopics: number[][];
  /** The fields any term looks at, as a bit mask: the others are never read. */
  readonly usedFields: number;
  readonly hasSpaceless: boolean;
}

const newNode = (): TrieNode => ({ ascii: null, other: null, sep: null, whole: null, open: null });

function child(node: TrieNode, code: number, create: true): TrieNode;
function child(node: TrieNode, code: number, create: false): TrieNode | undefined;
function child(node: TrieNode, code: number, create: boolean): TrieNode | undefined {
  if (code === SEPARATOR) {
    if (!node.sep && create) node.sep = newNode();
    return node.sep ?? undefined;
  }
  if (code < 128) {
    let next = node.ascii?.[code];
    if (!next && create) {
      node.ascii ??= new Array(128);
      next = node.ascii[code] = newNode();
    }
    return next;
  }
  let next = node.other?.get(code);
  if (!next && create) {
    node.other ??= new Map();
    next = newNode();
    node.other.set(code, next);
  }
  return next;
}

/** Parses and compiles every topic's rule; a rule that no longer parses is left out (it was checked when saved). */
export function compileTopics(topics: TopicRule[]): TopicMatcher {
  const root = newNode();
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
        if (i > 0) at = child(at, SEPARATOR, true);
        for (const ch of word) at = child(at, ch.codePointAt(0)!, true);
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
  return { topics: compiled, root, termMask: Uint8Array.from(masks), termTopics, usedFields, hasSpaceless };
}


/** Marks in `hits` (per term, a mask of fields) every term that occurs in one folded field text. */
function scanField(m: TopicMatcher, text: string, fieldBit: number, hits: Uint8Array, touched: number[]): void {
  const n = text.length;
  const isWordAt = (i: number) => {
    const c = text.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff ? isWordCodePoint(text.codePointAt(i)!) : isWordCodeUnit(c);
  };
  const record = (terms: number[] | null) => {
    if (!terms) return;
    for (const t of terms) {
      if (!(m.termMask[t]! & fieldBit)) continue;
      if (!hits[t]) touched.push(t);
      hits[t]! |= fieldBit;
    }
  };
  let prevWord = false;
  for (let i = 0; i < n; ) {
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    const word = isWordAt(i);
    if (word && (!prevWord || (m.hasSpaceless && code < 0x10000 && SPACELESS_CODE_UNIT[code]))) walk(m.root, text, i, n, isWordAt, record);
    prevWord = word;
    i += width;
  }
}

function walk(
  root: TrieNode,
  text: string,
  start: number,
  n: number,
  isWordAt: (i: number) => boolean,
  record: (terms: number[] | null) => void,
): void {
  let node: TrieNode | undefined = root;
  let j = start;
  for (;;) {
    while (j < n && isWordAt(j)) {
      const code = text.codePointAt(j)!;
      node = code < 128 ? node.ascii?.[code] : node.other?.get(code);
      if (!node) return;
      record(node.open);
      j += code > 0xffff ? 2 : 1;
    }
    record(node.whole);
    if (!node.sep) return;
    let k = j;
    while (k < n && !isWordAt(k)) k++;
    if (k >= n) return;
    node = node.sep;
    j = k;
  }
}

/** Topics whose rules match the item, each with the terms that occurred and where. */
export function matchItem(m: TopicMatcher, item: MatchableItem): TopicMatch[] {
  if (m.topics.length === 0) return [];
  const hits = new Uint8Array(m.termMask.length);
  const touched: number[] = [];
  FIELDS.forEach((field) => {
    const bit = FIELD_BIT[field];
    if (!(m.usedFields & bit)) return;
    const text = FIELD_TEXT[field](item);
    if (text) scanField(m, foldText(text), bit, hits, touched);
  });
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
