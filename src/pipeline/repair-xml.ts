import { decodeHTMLStrict } from 'entities';
import { parseDocument } from 'htmlparser2';
import render from 'dom-serializer';

/**
 * Feeds are XML written by people who think it is HTML. Before a strict XML parser sees the
 * text, this module makes the common faults well-formed without changing what they mean:
 * HTML entities XML does not define (&nbsp; &eacute;) become characters, a bare "&" becomes
 * "&amp;", characters XML forbids are dropped, and the DOCTYPE goes (no DTD is ever read, so
 * neither external entities nor "billion laughs" expansions can happen). Atom/RSS XHTML
 * content is wrapped as CDATA so that its markup reaches us as markup, in order.
 */
export function repairXml(xml: string): string {
  let text = xml.replace(/^\uFEFF/, '').replace(INVALID_XML_CHARS, '');
  text = withoutDoctype(text);
  text = mapOutsideCdata(text, fixEntities);
  return wrapXhtml(text);
}

/** A lenient second chance for XML that is still not well-formed: parse forgivingly, re-serialize. */
export function rebuildXml(xml: string): string {
  const doc = parseDocument(xml, { xmlMode: true, decodeEntities: false, recognizeCDATA: true });
  return render(doc, { xmlMode: true, decodeEntities: false, encodeEntities: false });
}

// XML 1.0 §2.2: C0 controls other than tab, LF, CR, and the non-characters FFFE/FFFF.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const DOCTYPE = /<!DOCTYPE(?:[^[>]*\[[\s\S]*?\]\s*>|[^>]*>)/gi;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/** The DOCTYPE can only stand in the prolog, before the root element. */
function withoutDoctype(text: string): string {
  const root = /<[A-Za-z]/.exec(text.replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length)));
  const prologEnd = root ? root.index : text.length;
  return mapOutsideCdata(text.slice(0, prologEnd), (s) => s.replace(DOCTYPE, '')) + text.slice(prologEnd);
}

function mapOutsideCdata(text: string, fn: (s: string) => string): string {
  const parts = text.split(/(<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->)/);
  return parts.map((p, i) => (i % 2 === 1 ? p : fn(p))).join('');
}

function fixEntities(text: string): string {
  return text.replace(/&(#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?/g, (whole, ref: string | undefined) => {
    if (!ref) return '&amp;';
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return isXmlChar(code) ? whole : '';
    }
    const name = ref.slice(0, -1);
    if (XML_ENTITIES.has(name)) return whole;
    const decoded = decodeHTMLStrict(whole);
    if (decoded === whole) return '&amp;' + ref;
    return escapeXmlText(decoded);
  });
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const TEXT_CONSTRUCT =
  /<((?:atom:)?(?:title|subtitle|tagline|summary|content|rights|info|description)|xhtml:body|body)(\s[^>]*?)?(?<!\/)>([\s\S]*?)<\/\1\s*>/g;

/**
 * Markup written as child elements of a text element (Atom type="xhtml", Atom 0.3 mode="xml",
 * XHTML <body> in RSS, or plain HTML pasted unescaped) becomes CDATA marked as HTML, so that it
 * reaches the normalizer as markup with its text in order.
 */
function wrapXhtml(text: string): string {
  return text.replace(TEXT_CONSTRUCT, (whole, tag: string, attrs: string | undefined, inner: string) => {
    if (inner.includes('<![CDATA[') || !/<[A-Za-z]/.test(inner)) return whole;
    const isBody = tag.endsWith('body');
    const html = inner.replace(/<(\/?)[A-Za-z_][\w.-]*:/g, '<$1');
    const otherAttrs = (attrs ?? '').replace(/\s(?:type|mode)\s*=\s*["'][^"']*["']/g, '');
    const name = isBody ? 'xhtml-body' : tag;
    return `<${name}${isBody ? '' : otherAttrs} type="html"><![CDATA[${html.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${name}>`;
  });
}
