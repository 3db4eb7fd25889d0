import { decodeHTML } from 'entities';
import { Parser } from 'htmlparser2';
import sanitize from 'sanitize-html';

export const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'td',
  'th',
  'tr',
  'ul',
]);
// Text that a reader never sees as prose.
const SKIPPED_TAGS = new Set(['script', 'style', 'noscript', 'template', 'head', 'title']);

/**
 * How deep elements may nest before the deeper tags are dropped (their text kept), as browsers
 * cap DOM depth. htmlparser2 and sanitize-html take time quadratic in the depth: 100,000 nested
 * tags in one item (800 KB) took 7 s of CPU to read; 20,000 take 0.1 s (the fuzzer found it).
 */
export const MAX_NESTING = 512;
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*>/g;
// Elements that never hold others, and those closed by their next sibling: neither deepens.
const FLAT = new Set(
  'area base br col embed hr img input link meta param source track wbr p li dt dd option tr td th'.split(' '),
);

/** The HTML with tags nested deeper than `max` removed; most HTML (fewer tags than that) as it is. */
export function limitNesting(html: string, max = MAX_NESTING): string {
  // Deeper than `max` takes more than `max` tags.
  let tags = 0;
  for (let at = html.indexOf('<'); at >= 0 && tags <= max; at = html.indexOf('<', at + 1)) tags++;
  if (tags <= max) return html;
  let depth = 0;
  return html.replace(TAG, (tag: string, close: string, name: string) => {
    if (FLAT.has(name.toLowerCase()) || tag.endsWith('/>')) return tag;
    if (!close) return ++depth > max ? '' : tag;
    const dropped = depth > max;
    depth = Math.max(0, depth - 1);
    return dropped ? '' : tag;
  });
}

/**
 * HTML → its readable text: entities decoded, tags and scripts gone, blocks on their own
 * lines, runs of spaces folded. This is what topics match against and search reads.
 */
export function htmlToText(html: string): string {
  if (!/[<&]/.test(html)) return foldWhitespace(html);
  const out: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (SKIPPED_TAGS.has(name)) skipping++;
        else if (BLOCK_TAGS.has(name)) out.push('\n');
      },
      onclosetag(name, isImplied) {
        if (SKIPPED_TAGS.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCK_TAGS.has(name) && !isImplied) out.push('\n');
      },
      ontext(text) {
        // Entities decoded here, per run of text, with the decoder the parser would use: a parser
        // that decodes steps through text one character at a time; one that does not skips to the
        // next '<' (60 → 32 µs per 7 KB item). A run never spans a tag, so neither does an entity.
        if (!skipping) out.push(text.includes('&') ? decodeHTML(text) : text);
      },
    },
    { decodeEntities: false, lowerCaseTags: true },
  );
  parser.write(limitNesting(html));
  parser.end();
  return foldWhitespace(out.join(''));
}

/** 1 for the UTF-16 units that /\s/ matches (all of them are in the BMP), taken from the runtime's own regex. */
const SPACE = (() => {
  const table = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) if (/\s/.test(String.fromCharCode(c))) table[c] = 1;
  return table;
})();
/** Where whitespace may need folding: anything but one space between words (global: its lastIndex is set before each use). */
const UNUSUAL_SPACE = /[^\S ]| {2}/g;

/**
 * Folds spaces within lines and blank lines between them; trims: each run of whitespace becomes
 * one space, or, when it has line breaks (\n, \r\n or \r), one line break, or two when it has
 * two or more (one blank line); none at either end. A regular expression finds the runs that
 * may change (most are one space, left as they are); the text between them is copied in
 * slices. (Four replacing regular expressions cost ~60 µs per 7 KB item, more than parsing the
 * HTML; this ~13 µs.)
 */
export function foldWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE[text.charCodeAt(start)] === 1) start++;
  while (end > start && SPACE[text.charCodeAt(end - 1)] === 1) end--;
  let out = '';
  let from = start; // the text from here to `end` is not in `out` yet
  UNUSUAL_SPACE.lastIndex = start;
  for (let m = UNUSUAL_SPACE.exec(text); m !== null && m.index < end; m = UNUSUAL_SPACE.exec(text)) {
    let i = m.index;
    while (i > from && SPACE[text.charCodeAt(i - 1)] === 1) i--; // one space before a line break
    let j = i;
    let breaks = 0;
    for (; SPACE[text.charCodeAt(j)] === 1; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x0a) breaks++;
      else if (c === 0x0d) {
        breaks++;
        if (text.charCodeAt(j + 1) === 0x0a) j++;
      }
    }
    UNUSUAL_SPACE.lastIndex = j;
    const fold = breaks === 0 ? ' ' : breaks === 1 ? '\n' : '\n\n';
    if (j - i === fold.length && text.slice(i, j) === fold) continue;
    out += text.slice(from, i) + fold;
    from = j;
  }
  return out + text.slice(from, end);
}

/** Plain text on one line (titles, authors, categories). */
export function toOneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const ALLOWED_TAGS = [
  'a',
  'abbr',
  'acronym',
  'address',
  'area',
  'article',
  'aside',
  'audio',
  'b',
  'bdi',
  'bdo',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'details',
  'dfn',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'font',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'i',
  'img',
  'ins',
  'kbd',
  'label',
  'li',
  'map',
  'mark',
  'ol',
  'p',
  'picture',
  'pre',
  'q',
  's',
  'samp',
  'section',
  'small',
  'source',
  'span',
  'strike',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'time',
  'tr',
  'tt',
  'u',
  'ul',
  'var',
  'video',
  'wbr',
];
const ALLOWED_ATTRIBUTES: sanitize.IOptions['allowedAttributes'] = {
  '*': ['title', 'lang', 'dir', 'align', 'valign', 'width', 'height', 'class'],
  a: ['href', 'name', 'rel', 'hreflang'],
  img: ['src', 'srcset', 'alt', 'longdesc', 'usemap'],
  area: ['href', 'alt', 'shape', 'coords'],
  audio: ['src', 'controls', 'preload'],
  video: ['src', 'poster', 'controls', 'preload'],
  source: ['src', 'srcset', 'type', 'media'],
  td: ['colspan', 'rowspan', 'headers', 'scope'],
  th: ['colspan', 'rowspan', 'headers', 'scope'],
  ol: ['start', 'type', 'reversed'],
  li: ['value'],
  q: ['cite'],
  blockquote: ['cite'],
  del: ['cite', 'datetime'],
  ins: ['cite', 'datetime'],
  time: ['datetime'],
  font: ['color', 'face', 'size'],
};
const URL_ATTRIBUTES: Record<string, string[]> = {
  a: ['href'],
  img: ['src', 'longdesc'],
  area: ['href'],
  audio: ['src'],
  video: ['src', 'poster'],
  source: ['src'],
  q: ['cite'],
  blockquote: ['cite'],
  del: ['cite'],
  ins: ['cite'],
};

/**
 * Untrusted HTML → HTML safe to serve: an allowlist of tags and attributes (no scripts, styles,
 * frames, forms or event handlers; only http, https, mailto URLs), relative URLs made absolute
 * against `base` so the content still works when read outside its site.
 */
export function sanitizeHtml(html: string, base: string): string {
  const resolve = (value: string): string => resolveUrl(value, base) || value;
  return sanitize(limitNesting(html), {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'longdesc', 'poster'],
    allowProtocolRelative: true,
    // Only these hide their text; an unclosed <object> or <iframe> must not swallow the prose after it.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template'],
    transformTags: {
      '*': (tagName, attribs) => {
        const urlAttrs = URL_ATTRIBUTES[tagName];
        if (!urlAttrs || !base) return { tagName, attribs };
        const next = { ...attribs };
        for (const name of urlAttrs) if (next[name]) next[name] = resolve(next[name]);
        if (tagName === 'a') next.rel = 'noopener noreferrer';
        return { tagName, attribs: next };
      },
    },
  }).trim();
}

const ABSOLUTE = /^(?:https?|ftp):\/\/[^/?#\s]+|^mailto:/i;

/** `href` resolved against `base`; "" when it cannot be made an absolute http(s)/mailto URL. */
export function resolveUrl(href: string, base: string): string {
  const value = href.trim();
  if (!value) return '';
  try {
    const url = base ? new URL(value, base) : new URL(value);
    if (!['http:', 'https:', 'mailto:', 'ftp:'].includes(url.protocol)) return '';
    // An absolute URL is kept as written: servers may treat path and query case or escapes as meaningful.
    return ABSOLUTE.test(value) && !/\s/.test(value) ? value : url.href;
  } catch {
    return '';
  }
}

/** The href of a `<link rel="canonical">` in an HTML fragment (a republished page naming its original), or "". */
export function canonicalLinkIn(html: string): string {
  if (!/rel\s*=\s*["']?canonical/i.test(html)) return '';
  let href = '';
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (!href && name === 'link' && /(?:^|\s)canonical(?:\s|$)/i.test(attribs.rel ?? '')) href = attribs.href ?? '';
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return href.trim();
}
