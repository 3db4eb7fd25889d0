import { FIELDS, parseRule, type Field, type RuleNode } from './parse.js';
import { foldText, isSpaceless, isWordCodePoint, SPACELESS_CODE_UNIT, words } from './text.js';
import {
  buildWordIndex,
  type Hits,
  SPACELESS_BIT,
  UNIT,
  WORD_BIT,
  type WordIndex,
  type WordTerm,
} from './word-index.js';

/**
 * All topics' rules compiled into one matcher. Each field of an item is read once, folded unit
 * by unit through a table, and:
 * - terms of words (scripts written with spaces) are found by hashing each word as it is read
 *   and looking its hash up in one table of all terms' last words (`word-index.ts`);
 * - terms with characters of scripts written without spaces are found by walking one character
 *   trie from each word start and each such character, a phrase's words joined by a "separator"
 *   edge that stands for any run of non-word characters.
 * A text whose folding needs context (not NFC, or a character that folds into several) is folded
 * whole and read code point by code point through a trie of all terms. Only the topics that own
 * a term that occurred have their boolean expressions evaluated.
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

/** Why an item is in a topic: a term of the rule and the fields it was found in. */
export interface MatchedTerm {
  term: string;
  fields: readonly string[];
}

export interface TopicRule {
  id: number;
  slug: string;
  rule: string;
}

export interface TopicMatch {
  topicId: number;
  slug: string;
  /** Shared between items and frozen: made once per term and set of fields. */
  terms: readonly Readonly<MatchedTerm>[];
}

// Unscoped terms look at what a reader sees of the item.
export const DEFAULT_FIELDS: Field[] = ['title', 'summary', 'content', 'category'];
const FIELD_BIT = Object.fromEntries(FIELDS.map((f, i) => [f, 1 << i])) as Record<Field, number>;
const DEFAULT_MASK = DEFAULT_FIELDS.reduce((m, f) => m | FIELD_BIT[f], 0);
/** The field names of each field bit mask. */
const FIELDS_OF = Array.from({ length: 1 << FIELDS.length }, (_, mask) =>
  Object.freeze(FIELDS.filter((f) => mask & FIELD_BIT[f])),
);

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

type Expr =
  | { kind: 'term'; term: number; label: string }
  | { kind: 'and' | 'or'; children: Expr[] }
  | { kind: 'not'; child: Expr };

const NO_EXPLANATION: Readonly<MatchedTerm> = Object.freeze({ term: '', fields: [] });

// Postfix operations: a term id (≥ 0) pushes whether it occurred; these pop their operands.
const OP_NOT = -1;
const OP_AND = -2; // followed by the operand count
const OP_OR = -3; // followed by the operand count

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
const DENSE = 0,
  CHILD_START = 1,
  CHILD_COUNT = 2,
  SEP = 3,
  WHOLE_START = 4,
  WHOLE_COUNT = 5,
  OPEN_START = 6,
  OPEN_COUNT = 7;

export interface TopicMatcher {
  /** The topics that compiled, in order: the index of each is its number in the arrays below. */
  readonly topics: TopicRule[];
  /** Every term: what the slow path (text folded whole) walks. */
  readonly trie: FlatTrie;
  /** Terms with characters of scripts written without spaces: what the fast path walks. */
  readonly spacelessTrie: FlatTrie;
  /** Terms of words: what the fast path looks up by hash; its `hits` are the terms an item has. */
  readonly words: WordIndex;
  /** Class of each folded BMP code unit that occurs in some term (0: in none, so no walk goes on). */
  readonly classOf: Uint16Array;
  readonly astralClass: Map<number, number>;
  /** Topics without required groups (a rule like `a OR -b`): evaluated for every item. */
  readonly alwaysTopics: number[];
  /** The fields any term looks at, as a bit mask: the others are never read. */
  readonly usedFields: number;
  readonly hasSpaceless: boolean;
  /**
   * Per topic k, its expression in postfix (see toProgram) at programs[programStart[k],
   * programStart[k + 1]), evaluated without recursion or allocation.
   */
  readonly programs: Int32Array;
  readonly programStart: Int32Array;
  /**
   * Per topic k, the positive terms of its rule in rule order, one per label, at
   * explainStart[k] ... explainStart[k + 1] - 1 of explainTerms: what a tag's explanation lists.
   */
  readonly explainTerms: Int32Array;
  readonly explainStart: Int32Array;
  /**
   * Per explained term: its label, and the explanation last made for it (frozen, shared between
   * items) with the fields it names: a term tends to occur in the same fields item after item.
   */
  readonly explainLabels: string[];
  readonly explanations: Readonly<MatchedTerm>[];
  readonly explanationFields: Uint8Array;
  /** Scratch space of run: as deep as the longest program. */
  readonly stack: Uint8Array;
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
  const spacelessRoot = newNode();
  const wordTerms: WordTerm[] = [];
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
  const compiled: TopicRule[] = [];
  let usedFields = 0;
  let hasSpaceless = false;

  const addTerm = (node: Extract<RuleNode, { kind: 'term' }>): number => {
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
      insert(root, folded, kind, id);
      if (spaceless) insert(spacelessRoot, folded, kind, id);
      else wordTerms.push({ id, words: folded, prefix: node.prefix, fields: mask });
    }
    return id;
  };

  const insert = (trieRoot: TrieNode, folded: string[], kind: 'open' | 'whole', id: number): void => {
    let at = trieRoot;
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
  };

  const compileNode = (node: RuleNode): Expr => {
    if (node.kind === 'term') {
      const label =
        (node.field ? `${node.field}:` : '') + (node.phrase ? `"${node.text}"` : node.text + (node.prefix ? '*' : ''));
      return { kind: 'term', term: addTerm(node), label };
    }
    if (node.kind === 'not') return { kind: 'not', child: compileNode(node.child) };
    return { kind: node.kind, children: node.children.map(compileNode) };
  };

  const alwaysTopics: number[] = [];
  const topicGroups: number[] = [];
  const programs: number[][] = [];
  const explained: { label: string; term: number }[][] = [];
  for (const topic of topics) {
    let tree: RuleNode;
    try {
      tree = parseRule(topic.rule);
    } catch {
      continue;
    }
    const expr = compileNode(tree);
    const groups = requiredGroups(expr);
    if (groups) groups.forEach((group, g) => group.forEach((t) => termTopics[t]!.push(compiled.length, 1 << g)));
    else alwaysTopics.push(compiled.length);
    topicGroups.push(groups ? (1 << groups.length) - 1 : 0);
    compiled.push(topic);
    programs.push(toProgram(expr));
    explained.push(explainedTerms(expr));
  }
  // Per term, the fields it may match in (bits). A topic is evaluated only when each of its
  // required groups (see requiredGroups) has a term that occurred.
  const wordIndex = buildWordIndex(wordTerms, Uint8Array.from(masks), {
    ...toPairs(termTopics),
    full: Int32Array.from(topicGroups),
    always: Int32Array.from(alwaysTopics),
  });
  return {
    topics: compiled,
    trie: flatten(root, classes + 1),
    spacelessTrie: flatten(spacelessRoot, classes + 1),
    words: wordIndex,
    classOf,
    astralClass,
    alwaysTopics,
    usedFields,
    hasSpaceless,
    programs: Int32Array.from(programs.flat()),
    programStart: starts(programs),
    explainTerms: Int32Array.from(explained.flat().map((x) => x.term)),
    explainStart: starts(explained),
    explainLabels: explained.flat().map((x) => x.label),
    explanations: explained.flat().map(() => NO_EXPLANATION),
    explanationFields: new Uint8Array(explained.flat().length),
    stack: new Uint8Array(Math.max(1, ...programs.map((p) => p.length))),
  };
}

/** Where each list starts when the lists are laid end to end, and where the last one ends. */
function starts(lists: unknown[][]): Int32Array {
  const start = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => (start[i + 1] = start[i]! + l.length));
  return start;
}

/** Per-term lists of (topic, group bit) pairs as flat arrays (compressed sparse rows): no pointer chasing. */
function toPairs(lists: number[][]): { start: Int32Array; pairs: Int32Array } {
  return { start: starts(lists).map((n) => n / 2), pairs: Int32Array.from(lists.flat()) };
}

/**
 * Groups of terms such that the rule can hold only if each group has a term that occurred: the
 * trigger sets of the children of a top-level AND (up to 30 of them), else the rule's own; null
 * when there is none (the rule can hold with none of its terms present).
 */
function requiredGroups(e: Expr): Set<number>[] | null {
  const groups =
    e.kind === 'and'
      ? e.children
          .map(triggerTerms)
          .filter((g): g is Set<number> => g !== null)
          .slice(0, 30)
      : [triggerTerms(e)].filter((g): g is Set<number> => g !== null);
  return groups.length ? groups : null;
}

function toProgram(e: Expr): number[] {
  if (e.kind === 'term') return [e.term];
  if (e.kind === 'not') return [...toProgram(e.child), OP_NOT];
  return [...e.children.flatMap(toProgram), e.kind === 'and' ? OP_AND : OP_OR, e.children.length];
}

/** The positive terms (terms under NOT explain nothing), first occurrence of each label. */
function explainedTerms(e: Expr, out: { label: string; term: number }[] = []): { label: string; term: number }[] {
  if (e.kind === 'term') {
    if (!out.some((x) => x.label === e.label)) out.push({ label: e.label, term: e.term });
  } else if (e.kind !== 'not') {
    for (const c of e.children) explainedTerms(c, out);
  }
  return out;
}

/**
 * Terms of which at least one occurs whenever the expression holds, as few as can be told from
 * its shape; null when it can hold with none of its terms present (under a NOT). A term: itself;
 * OR: all its children's sets; AND: the smallest of its children's sets.
 */
function triggerTerms(e: Expr): Set<number> | null {
  if (e.kind === 'term') return new Set([e.term]);
  if (e.kind === 'not') return null;
  const sets = e.children.map(triggerTerms);
  if (e.kind === 'or') return sets.includes(null) ? null : new Set(sets.flatMap((x) => [...x!]));
  const known = sets.filter((x): x is Set<number> => x !== null);
  return known.length ? known.reduce((a, b) => (b.size < a.size ? b : a)) : null;
}

/** Numbers the nodes breadth-first and writes the trie into typed arrays; nodes with many children get a dense row. */
function flatten(root: TrieNode, width: number): FlatTrie {
  // Breadth-first, each node's children (then its separator) are numbered right after those of
  // the nodes before it: so writing the nodes in that order counts the numbers as it goes, with
  // no map from node to number (its lookups, and the arrays spread into others, were most of the
  // time of compiling T = 1000 topics spent here).
  const order: TrieNode[] = [root];
  let denseRows = 0,
    childInts = 0,
    termCount = 0;
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    for (const kid of node.kids) order.push(kid);
    if (node.sep) order.push(node.sep);
    if (node.keys.length >= DENSE_FROM) denseRows++;
    else childInts += 2 * node.keys.length;
    termCount += (node.whole?.length ?? 0) + (node.open?.length ?? 0);
  }
  const nodes = new Int32Array(order.length * NODE_SIZE);
  const denseTargets = new Int32Array(denseRows * width).fill(-1);
  const children = new Int32Array(childInts);
  const terms = new Int32Array(termCount);
  let next = 1,
    row = 0,
    child = 0,
    term = 0;
  order.forEach((node, i) => {
    const at = i * NODE_SIZE;
    const keys = node.keys;
    if (keys.length >= DENSE_FROM) {
      nodes[at + DENSE] = row;
      for (const cls of keys) denseTargets[row + cls] = next++ * NODE_SIZE;
      row += width;
    } else {
      nodes[at + DENSE] = -1;
      nodes[at + CHILD_START] = child;
      nodes[at + CHILD_COUNT] = keys.length;
      for (const cls of keys) {
        children[child++] = cls;
        children[child++] = next++ * NODE_SIZE;
      }
    }
    nodes[at + SEP] = node.sep ? next++ * NODE_SIZE : -1;
    nodes[at + WHOLE_START] = term;
    nodes[at + WHOLE_COUNT] = node.whole?.length ?? 0;
    if (node.whole) for (const t of node.whole) terms[term++] = t;
    nodes[at + OPEN_START] = term;
    nodes[at + OPEN_COUNT] = node.open?.length ?? 0;
    if (node.open) for (const t of node.open) terms[term++] = t;
  });
  return { nodes, denseTargets, children, terms, width };
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

/**
 * Reads one raw field, folding it unit by unit, and adds every term that occurs in it to m.words.hits;
 * false, having added nothing, when the text is not in NFC or some unit folds only in context
 * (the caller then folds the whole text and uses scanFolded).
 */
function scanRaw(m: TopicMatcher, text: string): boolean {
  const found = m.words.hits;
  if (!m.words.read(text)) return false;
  if (!m.hasSpaceless) return true;
  let prevWord = false;
  for (let i = 0; i < text.length; i++) {
    const u = UNIT[text.charCodeAt(i)]!;
    const word = (u & WORD_BIT) !== 0;
    if (word && (!prevWord || (u & SPACELESS_BIT) !== 0)) walkRaw(m.spacelessTrie, m.classOf, text, i, found);
    prevWord = word;
  }
  return true;
}

/** Follows a trie from a word start as far as the text allows, listing the terminals passed. */
function walkRaw(t: FlatTrie, classOf: Uint16Array, text: string, start: number, found: Hits): void {
  const n = text.length;
  let node = 0;
  let j = start;
  for (;;) {
    for (; j < n; j++) {
      const u = UNIT[text.charCodeAt(j)]!;
      if ((u & WORD_BIT) === 0) break;
      const cls = classOf[u & 0xffff]!;
      if (cls === 0) return;
      node = next(t, node, cls);
      if (node < 0) return;
      if (t.nodes[node + OPEN_COUNT]) collect(t, node + OPEN_START, found);
    }
    if (t.nodes[node + WHOLE_COUNT]) collect(t, node + WHOLE_START, found);
    const sep = t.nodes[node + SEP]!;
    if (sep < 0) return;
    while (j < n && (UNIT[text.charCodeAt(j)]! & WORD_BIT) === 0) j++;
    if (j >= n) return;
    node = sep;
  }
}

/** The same reading over a text folded already (by foldText), code point by code point. */
function scanFolded(m: TopicMatcher, text: string): void {
  const found = m.words.hits;
  let prevWord = false;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const word = isWordCodePoint(cp);
    if (word && (!prevWord || (m.hasSpaceless && cp < 0x10000 && SPACELESS_CODE_UNIT[cp] === 1)))
      walkFolded(m, text, i, found);
    prevWord = word;
    i += cp > 0xffff ? 2 : 1;
  }
}

function walkFolded(m: TopicMatcher, text: string, start: number, found: Hits): void {
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
      if (t.nodes[node + OPEN_COUNT]) collect(t, node + OPEN_START, found);
      j += cp > 0xffff ? 2 : 1;
    }
    if (t.nodes[node + WHOLE_COUNT]) collect(t, node + WHOLE_START, found);
    const sep = t.nodes[node + SEP]!;
    if (sep < 0) return;
    while (j < text.length && !isWordCodePoint(text.codePointAt(j)!)) j += text.codePointAt(j)! > 0xffff ? 2 : 1;
    if (j >= text.length) return;
    node = sep;
  }
}

/** Lists the terms of one terminal slot (node + WHOLE_START or node + OPEN_START) that may match in this field. */
function collect(t: FlatTrie, slot: number, found: Hits): void {
  const terms = t.terms;
  const start = t.nodes[slot]!;
  const end = start + t.nodes[slot + 1]!;
  for (let k = start; k < end; k++) {
    const term = terms[k]!;
    if (found.wants(term)) found.add(term);
  }
}

/** Topics whose rules match the item, each with the terms that occurred and where. */
export function matchItem(m: TopicMatcher, item: MatchableItem): TopicMatch[] {
  if (m.topics.length === 0) return [];
  try {
    return matchFields(m, item);
  } finally {
    m.words.hits.clear();
  }
}

function matchFields(m: TopicMatcher, item: MatchableItem): TopicMatch[] {
  const hits = m.words.hits;
  for (const field of FIELDS) {
    const bit = FIELD_BIT[field];
    if (!(m.usedFields & bit)) continue;
    const text = FIELD_TEXT[field](item);
    if (!text) continue;
    hits.field = bit;
    if (!scanRaw(m, text)) scanFolded(m, foldText(text));
  }
  if (hits.count === 0 && m.alwaysTopics.length === 0) return [];

  const found = hits.fields;
  const candidates = m.words.candidates();
  const matches: TopicMatch[] = [];
  const { explainTerms, explainStart, explanations, explanationFields } = m;
  for (let k = 0; k < candidates.length; k++) {
    const index = candidates[k]!;
    if (!run(m.programs, m.programStart[index]!, m.programStart[index + 1]!, found, m.stack)) continue;
    const terms: Readonly<MatchedTerm>[] = [];
    for (let x = explainStart[index]!, end = explainStart[index + 1]!; x < end; x++) {
      const fields = found[explainTerms[x]!]!;
      if (fields === 0) continue;
      if (explanationFields[x] !== fields) {
        explanations[x] = Object.freeze({ term: m.explainLabels[x]!, fields: FIELDS_OF[fields]! });
        explanationFields[x] = fields;
      }
      terms.push(explanations[x]!);
    }
    const topic = m.topics[index]!;
    matches.push({ topicId: topic.id, slug: topic.slug, terms });
  }
  return matches;
}

/** Runs the postfix program at program[from, to) over the hits; `stack` is scratch space as deep as any program needs. */
function run(program: Int32Array, from: number, to: number, hits: Uint8Array, stack: Uint8Array): boolean {
  let top = 0;
  for (let pc = from; pc < to; pc++) {
    const op = program[pc]!;
    if (op >= 0) {
      stack[top++] = hits[op]! !== 0 ? 1 : 0;
    } else if (op === OP_NOT) {
      stack[top - 1] = stack[top - 1]! ^ 1;
    } else {
      const count = program[++pc]!;
      let value = op === OP_AND ? 1 : 0;
      for (let k = top - count; k < top; k++) value = op === OP_AND ? value & stack[k]! : value | stack[k]!;
      top -= count;
      stack[top++] = value;
    }
  }
  return stack[0] === 1;
}
