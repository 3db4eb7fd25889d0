import { DEFAULT_FIELDS, FIELD_TEXT, type MatchableItem } from './compile.js';
import { parseRule, type Field, type RuleNode } from './parse.js';
import { foldText, isSpaceless, words } from './text.js';

/**
 * The rule semantics written for clarity, not speed: one regular expression per term, run over
 * each folded field, the expression evaluated as written. The property tests hold the compiled
 * matcher to this.
 *
 *  - a word or phrase: its words in order, separated by at least one non-word character, with
 *    no word character right before the first or right after the last;
 *  - a prefix (`word*`): the same without the condition after the last word;
 *  - a term in a script written without spaces: no condition after it, and none before it
 *    either when it starts with such a character.
 */
export function referenceMatches(rule: string, item: MatchableItem): boolean {
  return referenceMatcher(rule)(item);
}

/** The reference evaluator with the rule parsed and its regular expressions built once. */
export function referenceMatcher(rule: string): (item: MatchableItem) => boolean {
  type Node =
    | { kind: 'term'; re: RegExp; fields: Field[] }
    | { kind: 'and' | 'or'; children: Node[] }
    | { kind: 'not'; child: Node };
  const build = (node: RuleNode): Node => {
    if (node.kind === 'term')
      return {
        kind: 'term',
        re: termRegex(node.text, node.prefix),
        fields: node.field ? [node.field] : DEFAULT_FIELDS,
      };
    if (node.kind === 'not') return { kind: 'not', child: build(node.child) };
    return { kind: node.kind, children: node.children.map(build) };
  };
  const tree = build(parseRule(rule));
  return (item) => {
    const folded = new Map<Field, string>();
    const text = (f: Field) => {
      if (!folded.has(f)) folded.set(f, foldText(FIELD_TEXT[f](item)));
      return folded.get(f)!;
    };
    const evaluate = (node: Node): boolean => {
      switch (node.kind) {
        case 'term':
          return node.fields.some((f) => node.re.test(text(f)));
        case 'not':
          return !evaluate(node.child);
        case 'and':
          return node.children.every(evaluate);
        case 'or':
          return node.children.some(evaluate);
      }
    };
    return evaluate(tree);
  };
}

const W = '[\\p{L}\\p{M}\\p{N}]';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function termRegex(term: string, prefix: boolean): RegExp {
  const termWords = words(foldText(term));
  const spaceless = isSpaceless(term);
  const body = termWords.map(escape).join(`(?:(?!${W})[\\s\\S])+`);
  const before = spaceless && isSpaceless(termWords[0]!.slice(0, 2)) ? '' : `(?<!${W})`;
  const after = spaceless || prefix ? '' : `(?!${W})`;
  return new RegExp(before + body + after, 'u');
}
