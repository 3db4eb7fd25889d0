import { DEFAULT_FIELDS } from './compile.js';
import type { Field, RuleNode } from './parse.js';
import { searchQueryKeys } from './search-keys.js';
import { isSpaceless } from './text.js';

/*
 * A search in the rule language is answered in two steps: the search index (items.search_keys)
 * finds candidates, and the rule's own matcher decides. This module turns a rule into what the
 * index can check: a condition over keys that every item the rule matches satisfies (a superset:
 * the matcher then drops the rest). What the index cannot narrow (a NOT, a Latin prefix, a field
 * it does not hold) is `any`.
 */

/** Keys an item must hold: all of `keys`, a combination of conditions, or nothing to require. */
export type KeyCondition =
  { kind: 'keys'; keys: number[] } | { kind: 'and' | 'or'; children: KeyCondition[] } | { kind: 'any' };

const ANY: KeyCondition = { kind: 'any' };

// The index holds each item's title, summary, text and categories: the fields an unscoped term reads.
const INDEXED = new Set<Field>(DEFAULT_FIELDS);

/** The condition on index keys that every item matching `rule` meets. */
export function keyCondition(rule: RuleNode): KeyCondition {
  switch (rule.kind) {
    case 'term': {
      if (rule.field !== null && !INDEXED.has(rule.field)) return ANY;
      // A prefix's last word is no whole word to look up: only what comes before it is (in
      // scripts without spaces a term is a run of characters anywhere, and its pairs are kept).
      const keys = searchQueryKeys(rule.prefix ? withoutOpenWord(rule.text) : rule.text);
      return keys.length ? { kind: 'keys', keys } : ANY;
    }
    case 'not':
      return ANY;
    case 'and': {
      const parts = rule.children.map(keyCondition).filter((c) => c.kind !== 'any');
      if (parts.length === 0) return ANY;
      // Keys required side by side are one lookup.
      const keys = parts.filter((c) => c.kind === 'keys').flatMap((c) => c.keys);
      const rest = parts.filter((c) => c.kind !== 'keys');
      const merged: KeyCondition[] = keys.length ? [{ kind: 'keys', keys: [...new Set(keys)] }, ...rest] : rest;
      return merged.length === 1 ? merged[0]! : { kind: 'and', children: merged };
    }
    case 'or': {
      const parts = rule.children.map(keyCondition);
      return parts.some((c) => c.kind === 'any') ? ANY : { kind: 'or', children: parts };
    }
  }
}

/** The text without its last word, unless that word is in a script without spaces. */
function withoutOpenWord(text: string): string {
  const chars = [...text];
  while (chars.length && /[\p{L}\p{N}\p{M}]/u.test(chars.at(-1)!) && !isSpaceless(chars.at(-1)!)) chars.pop();
  return chars.join('');
}
