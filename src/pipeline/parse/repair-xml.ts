import { decodeHTMLStrict } from 'entities';
import { parseDocument } from 'htmlparser2';
import render from 'dom-serializer';
import { limitNesting } from '../html.js';

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
  const declared = internalEntities(text);
  text = withoutDoctype(text);
  text = mapOutsideCdata(text, (s) => fixEntities(s, declared));
  return wrapXhtml(lowerCaseCoreElements(unprefixCoreElements(text)));
}

/** A lenient second chance for XML that is still not well-formed: parse forgivingly, re-serialize. */
export function rebuildXml(xml: string): string {
  // The declaration is dropped: the text is decoded already, and dom-serializer writes it back without its "?".
  // Nesting capped first: the forgiving parser takes time quadratic in the depth, and the
  // serializer recurses (100,000 nested elements: 20 s, then a stack overflow).
  const doc = parseDocument(limitNesting(xml.replace(/^\s*<\?xml[^>]*\?>/, '')), {
    xmlMode: true,
    decodeEntities: false,
    recognizeCDATA: true,
  });
  return render(doc, { xmlMode: true, decodeEntities: false, encodeEntities: false });
}

// XML 1.0 §2.2: C0 controls other than tab, LF, CR, and the non-characters FFFE/FFFF.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const DOCTYPE = /<!DOCTYPE(?:[^[>]*\[[\s\S]*?\]\s*>|[^>]*>)/gi;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
// Feeds take their entities from the XHTML 1.0 sets, where these two differ from HTML 5's.
const XHTML1_ONLY: Record<string, string> = { lang: '\u2329', rang: '\u232A' };

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

/**
 * Entities a DOCTYPE declares with plain text values (`<!ENTITY id "tag:example.com,">`). Only
 * literal values are kept: none that refers to another entity or holds markup, none external,
 * at most 64 of at most 1,000 characters, so an expansion can never grow past what was written.
 */
function internalEntities(text: string): Map<string, string> {
  const entities = new Map<string, string>();
  const doctype = /<!DOCTYPE[^[>]*\[([\s\S]*?)\]\s*>/i.exec(text.slice(0, 20_000));
  if (!doctype) return entities;
  for (const m of doctype[1]!.matchAll(/<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(["'])([^"'&<%]{0,1000})\2\s*>/g)) {
    if (entities.size < 64 && !XML_ENTITIES.has(m[1]!)) entities.set(m[1]!, m[3]!);
  }
  return entities;
}

function fixEntities(text: string, declared: Map<string, string>): string {
  return text.replace(/&(#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?/g, (whole, ref: string | undefined) => {
    if (!ref) return '&amp;';
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      // HTML reads references to C1 controls as the windows-1252 characters their authors meant.
      if (code >= 0x80 && code <= 0x9f) return WINDOWS_1252_C1[code - 0x80] ?? '';
      return isXmlChar(code) ? whole : '';
    }
    const name = ref.slice(0, -1);
    if (XML_ENTITIES.has(name)) return whole;
    const own = declared.get(name);
    if (own !== undefined) return escapeXmlText(own);
    const decoded = XHTML1_ONLY[name] ?? decodeHTMLStrict(whole);
    if (decoded === whole) return '&amp;' + ref;
    return escapeXmlText(decoded);
  });
}

const WINDOWS_1252_C1 = Array.from('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ', (c) =>
  c.charCodeAt(0) < 0xa0 ? '' : `&#${c.charCodeAt(0)};`,
);

// Namespaces whose elements are the feed's own: a document that gives them a prefix means the plain names.
const CORE_NAMESPACES = [
  'http://purl.org/rss/1.0/',
  'http://backend.userland.com/rss2',
  'http://backend.userland.com/rss',
];
const ATOM_NAMESPACES = ['http://www.w3.org/2005/Atom', 'http://purl.org/atom/ns#'];

function unprefixCoreElements(text: string): string {
  const root = /<([A-Za-z_][\w.-]*):(?:feed|rss)\b/.exec(text);
  let out = text;
  for (const m of text.matchAll(/xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']+)["']/g)) {
    const [, prefix, uri] = m;
    const isCore = CORE_NAMESPACES.includes(uri!) || (ATOM_NAMESPACES.includes(uri!) && root?.[1] === prefix);
    if (isCore && prefix !== 'rdf') out = out.replace(new RegExp(`<(/?)${prefix}:`, 'g'), '<$1');
  }
  return out;
}

// RSS's own element names, which some feeds write in other cases (<TITLE>, <pubdate>).
const CORE_NAMES = new Map(
  [
    'rss',
    'channel',
    'item',
    'title',
    'link',
    'description',
    'guid',
    'author',
    'category',
    'comments',
    'enclosure',
    'source',
    'language',
    'copyright',
    'ttl',
    'image',
    'url',
    'pubDate',
    'lastBuildDate',
    'managingEditor',
    'webMaster',
  ].map((n) => [n.toLowerCase(), n]),
);

function lowerCaseCoreElements(text: string): string {
  return text.replace(/<(\/?)([A-Za-z]+)(?=[\s/>])/g, (whole, slash: string, name: string) => {
    const canonical = CORE_NAMES.get(name.toLowerCase());
    return canonical && canonical !== name ? `<${slash}${canonical}` : whole;
  });
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
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
