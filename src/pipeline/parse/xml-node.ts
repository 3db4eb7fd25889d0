/**
 * Readers for the element trees xml2js builds (through rss-parser's custom fields): an element
 * is a string when it has only text, else an object with its text in `_` and attributes in `$`.
 */
export type XmlNode = string | { _?: string; $?: Record<string, string>; [child: string]: unknown };

export function nodeText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object' && typeof (node as { _?: unknown })._ === 'string') {
    return (node as { _: string })._;
  }
  return '';
}

export function nodeAttr(node: unknown, name: string): string {
  if (node && typeof node === 'object') {
    const attrs = (node as { $?: Record<string, string> }).$;
    if (attrs) {
      const key = Object.keys(attrs).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key !== undefined) return attrs[key] ?? '';
    }
  }
  return '';
}

export function nodeChildren(node: unknown, name: string): unknown[] {
  if (node && typeof node === 'object') {
    const value = (node as Record<string, unknown>)[name];
    if (Array.isArray(value)) return value;
  }
  return [];
}

/** The first non-empty text among the named children of an element. */
export function firstText(element: Record<string, unknown>, names: string[]): string {
  for (const name of names) {
    for (const node of nodeChildren(element, name)) {
      const text = nodeText(node).trim();
      if (text) return text;
    }
  }
  return '';
}
