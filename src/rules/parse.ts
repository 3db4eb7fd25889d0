/**
 * The topic rule language (docs/rules.md).
 *
 *   russia                 whole word, case- and accent-insensitive
 *   "north korea"          phrase: the words in order, across any spaces or punctuation
 *   korea*                 prefix of a word
 *   a b   a AND b          both (juxtaposition is AND)
 *   a OR b                 either
 *   -a   NOT a             not
 *   ( … )                  grouping
 *   title:x  title:"a b"  title:(a OR b)
 *                          field scope: title summary content author category url feed lang
 *
 * Precedence, tightest first: NOT, AND, OR. Operators are upper case; lower-case "and", "or",
 * "not" are ordinary words. A rule that matches nothing or (nearly) everything is refused.
 */

export const FIELDS = ['title', 'summary', 'content', 'author', 'category', 'url', 'feed', 'lang'] as const;
export type Field = (typeof FIELDS)[number];

export type RuleNode =
  | { kind: 'term'; text: string; phrase: boolean; prefix: boolean; field: Field | null }
  | { kind: 'and' | 'or'; children: RuleNode[] }
  | { kind: 'not'; child: RuleNode };

export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'RuleSyntaxError';
  }
}

type Token =
  | { type: 'word'; text: string; pos: number; prefix: boolean }
  | { type: 'phrase'; text: string; pos: number }
  | { type: 'field'; field: Field; pos: number }
  | { type: '(' | ')' | 'AND' | 'OR' | 'NOT' | 'end'; pos: number };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const c = rule[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c, pos: i++ });
    } else if (c === '"') {
      const end = rule.indexOf('"', i + 1);
      if (end < 0) throw new RuleSyntaxError('unterminated phrase: expected a closing "', i);
      const text = rule.slice(i + 1, end).trim();
      if (!/[\p{L}\p{N}]/u.test(text)) throw new RuleSyntaxError('a phrase needs at least one letter or digit', i);
      tokens.push({ type: 'phrase', text, pos: i });
      i = end + 1;
    } else if (c === '-' && (tokens.length === 0 || /[\s(]/.test(rule[i - 1] ?? ' '))) {
      tokens.push({ type: 'NOT', pos: i++ });
    } else {
      const start = i;
      while (i < rule.length && !/[\s()"]/.test(rule[i]!)) {
        if (rule[i] === ':' && i > start) break;
        i++;
      }
      const text = rule.slice(start, i);
      if (rule[i] === ':') {
        const field = text.toLowerCase() as Field;
        if (!FIELDS.includes(field)) {
          throw new RuleSyntaxError(`unknown field "${text}": expected one of ${FIELDS.join(', ')}`, start);
        }
        tokens.push({ type: 'field', field, pos: start });
        i++;
      } else if (text === 'AND' || text === 'OR' || text === 'NOT') {
        tokens.push({ type: text, pos: start });
      } else {
        const prefix = text.endsWith('*');
        const bare = prefix ? text.slice(0, -1) : text;
        if (!bare || bare.includes('*')) throw new RuleSyntaxError('"*" must end a word of at least one letter', start);
        if (!/[\p{L}\p{N}]/u.test(bare)) throw new RuleSyntaxError(`"${bare}" has no letter or digit to match`, start);
        tokens.push({ type: 'word', text: bare, pos: start, prefix });
      }
    }
  }
  tokens.push({ type: 'end', pos: rule.length });
  return tokens;
}

/** Rule text → syntax tree; throws RuleSyntaxError naming the position and what was expected. */
export function parseRule(rule: string): RuleNode {
  const tokens = tokenize(rule);
  let at = 0;
  const peek = () => tokens[at]!;
  const next = () => tokens[at++]!;

  const parseOr = (field: Field | null): RuleNode => {
    const children = [parseAnd(field)];
    while (peek().type === 'OR') {
      next();
      children.push(parseAnd(field));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  };
  const parseAnd = (field: Field | null): RuleNode => {
    const children = [parseUnary(field)];
    for (;;) {
      const t = peek().type;
      if (t === 'AND') {
        next();
        children.push(parseUnary(field));
      } else if (t === 'word' || t === 'phrase' || t === 'field' || t === '(' || t === 'NOT') {
        children.push(parseUnary(field));
      } else break;
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  };
  const parseUnary = (field: Field | null): RuleNode => {
    if (peek().type === 'NOT') {
      next();
      return { kind: 'not', child: parseUnary(field) };
    }
    return parsePrimary(field);
  };
  const parsePrimary = (field: Field | null): RuleNode => {
    const t = next();
    switch (t.type) {
      case 'word':
        return { kind: 'term', text: t.text, phrase: false, prefix: t.prefix, field };
      case 'phrase':
        return { kind: 'term', text: t.text, phrase: true, prefix: false, field };
      case 'field':
        if (field) throw new RuleSyntaxError(`field "${t.field}:" inside "${field}:"`, t.pos);
        return parsePrimary(t.field);
      case '(': {
        const inner = parseOr(field);
        const close = next();
        if (close.type !== ')') throw new RuleSyntaxError('expected ")"', close.pos);
        return inner;
      }
      case 'end':
        throw new RuleSyntaxError('expected a word, a "phrase" or "(" but the rule ended', t.pos);
      default:
        throw new RuleSyntaxError(`expected a word, a "phrase" or "(" but found ${t.type}`, t.pos);
    }
  };

  if (peek().type === 'end') throw new RuleSyntaxError('the rule is empty', 0);
  const tree = parseOr(null);
  const rest = peek();
  if (rest.type !== 'end') throw new RuleSyntaxError(`unexpected ${rest.type === ')' ? '")"' : rest.type}`, rest.pos);
  if (matchesWithoutTerms(tree)) {
    throw new RuleSyntaxError(
      'the rule matches items that contain none of its terms (a NOT needs a positive term beside it)',
      0,
    );
  }
  return tree;
}

/** True when the rule would match an item containing none of its terms: such a rule matches nearly everything. */
function matchesWithoutTerms(node: RuleNode): boolean {
  switch (node.kind) {
    case 'term':
      return false;
    case 'not':
      return !matchesWithoutTerms(node.child);
    case 'and':
      return node.children.every(matchesWithoutTerms);
    case 'or':
      return node.children.some(matchesWithoutTerms);
  }
}
