/** Scripts written without spaces: a term there is any run of characters, no word boundary. */
const SPACELESS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const WORD = '[\\p{L}\\p{N}\\p{M}]';

/** A matched term of a rule (`korea*`, `"north korea"`, `title:x`) as the text to find and whether it is a prefix. */
function pattern(term: string): string | null {
  let t = term.replace(/^[a-z]+:/, '').trim();
  const prefix = t.endsWith('*');
  t = t.replace(/^"|"$|\*$/g, '').trim();
  if (!t) return null;
  const body = t
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^\\p{L}\\p{N}]+');
  if (SPACELESS.test(t)) return body;
  return `(?<!${WORD})${body}${prefix ? `${WORD}*` : `(?!${WORD})`}`;
}

/**
 * A text folded as topic rules fold it for matching (lower case; accents off Latin letters:
 * "Corée" reads "coree"), with, for each unit of the folded text, where it came from in the
 * original, so that a match in the folded text marks the original's characters.
 */
function folded(text: string): { text: string; from: number[] } {
  let out = '';
  const from: number[] = [];
  let at = 0;
  for (const ch of text) {
    let f = ch.normalize('NFD');
    if (/\p{Script=Latin}/u.test(f[0]!)) f = f.replace(/\p{M}/gu, '');
    f = f.toLowerCase();
    for (let k = 0; k < f.length; k++) from.push(at);
    out += f;
    at += ch.length;
  }
  from.push(at);
  return { text: out, from };
}

/**
 * A text with the terms that matched marked (<mark>): case- and accent-insensitively as rules
 * match, whole words outside scripts written without spaces. Plain text only: never HTML.
 */
export function Highlight({ text, terms }: { text: string; terms: string[] }) {
  const parts = terms.map((t) => pattern(folded(t).text)).filter((p): p is string => p !== null);
  if (!text || parts.length === 0) return <>{text}</>;
  const re = new RegExp(parts.join('|'), 'gu');
  const fold = folded(text);
  const out: (string | preact.JSX.Element)[] = [];
  let at = 0;
  for (const m of fold.text.matchAll(re)) {
    if (!m[0]) continue;
    const start = fold.from[m.index!]!;
    const end = fold.from[m.index! + m[0].length]!;
    if (start < at) continue;
    out.push(text.slice(at, start));
    out.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}

/** The words and phrases of a search (its operators, fields and NOTs left out) as terms to mark. */
export function termsOfQuery(q: string): string[] {
  const terms: string[] = [];
  const re = /(-|NOT\s+)?("[^"]*"|[^\s()"]+)/g;
  for (const m of q.matchAll(re)) {
    const word = m[2]!;
    if (m[1] || word === 'AND' || word === 'OR' || word === 'NOT') continue;
    terms.push(word);
  }
  return terms;
}
