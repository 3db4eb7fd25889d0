import type { MatchedTerm } from '../db/schema.js';
import { parseRule, type Field, type RuleNode } from './parse.js';
import { foldText, isSpaceless, words } from './text.js';

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

interface CompiledTerm {
  key: string;
  label: string;
  field: Field | null;
  /** " w1 w2 " (folded words between spaces) for word/phrase matching; raw folded text for substring terms. */
  needle: string;
  mode: 'words' | 'prefix' | 'substring';
}

type Compiled = { kind: 'term'; term: CompiledTerm } | { kind: 'and' | 'or'; children: Compiled[] } | { kind: 'not'; child: Compiled };

export interface TopicMatcher {
  topics: { topic: TopicRule; tree: Compiled }[];
}

// Unscoped terms look at what a reader sees of the item.
const DEFAULT_FIELDS: Field[] = ['title', 'summary', 'content', 'category'];

/** Parses every topic's rule once; a topic whose rule no longer parses is left out (it was validated when saved). */
export function compileTopics(topics: TopicRule[]): TopicMatcher {
  const compiled: TopicMatcher['topics'] = [];
  for (const topic of topics) {
    try {
      compiled.push({ topic, tree: compileNode(parseRule(topic.rule)) });
    } catch {
      continue;
    }
  }
  return { topics: compiled };
}

function compileNode(node: RuleNode): Compiled {
  if (node.kind === 'term') return { kind: 'term', term: compileTerm(node) };
  if (node.kind === 'not') return { kind: 'not', child: compileNode(node.child) };
  return { kind: node.kind, children: node.children.map(compileNode) };
}

function compileTerm(node: Extract<RuleNode, { kind: 'term' }>): CompiledTerm {
  const folded = foldText(node.text);
  const termWords = words(folded);
  const label = (node.field ? `${node.field}:` : '') + (node.phrase ? `"${node.text}"` : node.text + (node.prefix ? '*' : ''));
  if (isSpaceless(folded) || termWords.length === 0) {
    const needle = termWords.length ? termWords.join('') : folded.trim();
    return { key: `s|${node.field}|${needle}`, label, field: node.field, needle, mode: 'substring' };
  }
  const needle = ' ' + termWords.join(' ') + (node.prefix ? '' : ' ');
  const mode = node.prefix ? 'prefix' : 'words';
  return { key: `${mode}|${node.field}|${needle}`, label, field: node.field, needle, mode };
}

interface PreparedField {
  spaced: string;
  compact: string;
}

/** Topics whose rules match the item, each with the terms that occurred and where. */
export function matchItem(matcher: TopicMatcher, item: MatchableItem): TopicMatch[] {
  const fields = new Map<Field, PreparedField>();
  const fieldText: Record<Field, () => string> = {
    title: () => item.title,
    summary: () => item.summary,
    content: () => item.contentText,
    author: () => item.author,
    category: () => item.categories.join('\n'),
    url: () => item.url,
    feed: () => item.feedTitle,
    lang: () => item.language,
  };
  const prepared = (field: Field): PreparedField => {
    let p = fields.get(field);
    if (!p) {
      const folded = foldText(fieldText[field]());
      const w = words(folded);
      p = { spaced: ' ' + w.join(' ') + ' ', compact: w.join('') };
      fields.set(field, p);
    }
    return p;
  };
  const termCache = new Map<string, string[]>();
  const occurrences = (term: CompiledTerm): string[] => {
    let found = termCache.get(term.key);
    if (!found) {
      found = [];
      for (const field of term.field ? [term.field] : DEFAULT_FIELDS) {
        const p = prepared(field);
        const hit = term.mode === 'substring' ? p.compact.includes(term.needle) : p.spaced.includes(term.needle);
        if (hit) found.push(field);
      }
      termCache.set(term.key, found);
    }
    return found;
  };
  const evaluate = (node: Compiled, hits: Map<string, string[]>): boolean => {
    switch (node.kind) {
      case 'term': {
        const found = occurrences(node.term);
        if (found.length) hits.set(node.term.label, found);
        return found.length > 0;
      }
      case 'not':
        return !evaluate(node.child, new Map());
      case 'and':
        return node.children.map((c) => evaluate(c, hits)).every(Boolean);
      case 'or':
        return node.children.map((c) => evaluate(c, hits)).some(Boolean);
    }
  };
  const matches: TopicMatch[] = [];
  for (const { topic, tree } of matcher.topics) {
    const hits = new Map<string, string[]>();
    if (evaluate(tree, hits)) {
      matches.push({ topicId: topic.id, slug: topic.slug, terms: [...hits].map(([term, f]) => ({ term, fields: f })) });
    }
  }
  return matches;
}
