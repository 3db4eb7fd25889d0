import Parser from 'rss-parser';
import { isCdf, parseCdf } from './parse-cdf.js';
import { parseJsonFeed } from './parse-json-feed.js';
import { rebuildXml, repairXml } from './repair-xml.js';
import { FeedError, type ParsedFeed, type ParsedItem, type ParsedLink, type TextValue } from '../types.js';
import { firstText, nodeAttr, nodeChildren, nodeText } from './xml-node.js';

const ITEM_ELEMENTS = [
  'title',
  'dc:title',
  'link',
  'atom:link',
  'guid',
  'id',
  'description',
  'dc:description',
  'summary',
  'content',
  'content:encoded',
  'xhtml-body',
  'fullitem',
  'author',
  'dc:creator',
  'dc:author',
  'itunes:author',
  'category',
  'dc:subject',
  'pubDate',
  'dc:date',
  'published',
  'updated',
  'issued',
  'modified',
  'created',
  'dcterms:modified',
  'dcterms:created',
  'dcterms:issued',
  'enclosure',
  'source',
  'dc:language',
  'language',
  'media:content',
  'media:title',
  'media:description',
  'media:category',
  'media:group',
  'itunes:summary',
  'itunes:subtitle',
  'feedburner:origLink',
] as const;
const FEED_ELEMENTS = [
  'title',
  'dc:title',
  'subtitle',
  'tagline',
  'description',
  'dc:description',
  'info',
  'link',
  'atom:link',
  'atom10:link',
  'language',
  'dc:language',
  'updated',
  'modified',
  'lastBuildDate',
  'pubDate',
  'dc:date',
  'ttl',
  'sy:updatePeriod',
  'sy:updateFrequency',
  'itunes:subtitle',
  'itunes:summary',
  'dcterms:modified',
  'dcterms:issued',
  'published',
  'issued',
] as const;
const RAW = 'raw:';

type Raw = Record<string, unknown>;

type RssParserMethod = (this: Parser, arg: unknown) => Raw;
const rssParserMethod = (name: string) => (Parser.prototype as unknown as Record<string, RssParserMethod>)[name]!;

function withChannel(root: Raw): void {
  if (typeof root !== 'object' || root === null) return;
  const channel = Array.isArray(root.channel) ? (root.channel[0] as unknown) : undefined;
  if (typeof channel !== 'object' || channel === null) root.channel = [{ ...root }];
  else if (!Array.isArray(root.item) && Array.isArray((channel as Raw).item)) root.item = (channel as Raw).item;
}

/**
 * rss-parser reads the XML (RSS 0.9x/1.0/2.0, Atom) and hands us each element's raw nodes
 * through custom fields; we map them ourselves because its own mapping drops Atom categories,
 * returns XHTML titles as objects and throws on one bad Atom date.
 */
class RawFieldsParser extends Parser<Raw, Raw> {
  // Items written straight under <rss> or <rdf:RDF>, with no <channel>, are still items.
  buildRSS2(xmlObj: { rss: Raw }): Raw {
    withChannel(xmlObj.rss);
    return rssParserMethod('buildRSS2').call(this, xmlObj);
  }

  buildRSS0_9(xmlObj: { rss: Raw }): Raw {
    withChannel(xmlObj.rss);
    return rssParserMethod('buildRSS0_9').call(this, xmlObj);
  }

  buildRSS1(xmlObj: { 'rdf:RDF': Raw }): Raw {
    withChannel(xmlObj['rdf:RDF']);
    return rssParserMethod('buildRSS1').call(this, xmlObj);
  }

  parseItemAtom(entry: Raw): Raw {
    try {
      return rssParserMethod('parseItemAtom').call(this, entry);
    } catch {
      const item: Raw = {};
      for (const name of ITEM_ELEMENTS) if (entry[name] !== undefined) item[RAW + name] = entry[name];
      return item;
    }
  }
}

const PARSER_OPTIONS = {
  defaultRSS: 2,
  xml2js: { strict: true },
  customFields: {
    feed: FEED_ELEMENTS.map((n) => [n, RAW + n, { keepArray: true }]) as unknown as string[],
    item: ITEM_ELEMENTS.map((n) => [n, RAW + n, { keepArray: true }]),
  },
};

/** Decoded feed text (XML or JSON Feed) → the feed's fields as written, not yet cleaned. */
export async function parseFeed(text: string): Promise<ParsedFeed> {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) return parseJsonFeed(start);
  if (!start.startsWith('<')) throw new FeedError('not_a_feed', 'not a feed: the document is neither XML nor JSON');
  if (isCdf(start)) return parseCdf(start);

  const xml = repairXml(start);
  let result: Raw;
  try {
    result = await parseXml(xml);
  } catch (first) {
    try {
      result = await parseXml(rebuildXml(xml));
    } catch {
      throw new FeedError('not_a_feed', `not a feed: ${describeXmlError(first)}`);
    }
  }
  return mapFeed(result, xml);
}

/**
 * xml2js parses a string synchronously, but an exception thrown inside its callback leaves
 * rss-parser's promise pending forever; a promise still pending one macrotask later has hung.
 */
async function parseXml(xml: string): Promise<Raw> {
  const hung = new Promise<never>((_, reject) =>
    setImmediate(() => reject(new Error('the XML parser gave no answer'))),
  );
  // A parser per document: rss-parser keeps one xml2js parser, whose SAX state and listeners a
  // document that failed half way leaves behind for the next (the fuzzer saw a later document
  // take 10-19 s instead of 30 ms).
  const parser = new RawFieldsParser(PARSER_OPTIONS);
  return (await Promise.race([parser.parseString(xml), hung])) as Raw;
}

function describeXmlError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/not recognized/i.test(message)) return 'no RSS, Atom or RDF root element';
  return `malformed XML (${message.split('\n').join(' ').slice(0, 200)})`;
}

function raw(obj: Raw, name: string): unknown[] {
  const value = obj[RAW + name];
  return Array.isArray(value) ? value : [];
}

function rawText(obj: Raw, names: string[]): string {
  for (const name of names) {
    for (const node of raw(obj, name)) {
      const t = nodeText(node).trim();
      if (t) return t;
    }
  }
  return '';
}

/** Like rawText, but a date element written twice counts by its last value (a later write overrides). */
function rawDate(obj: Raw, names: string[]): string {
  for (const name of names) {
    const values = raw(obj, name)
      .map((n) => nodeText(n).trim())
      .filter(Boolean);
    if (values.length) return values[values.length - 1]!;
  }
  return '';
}

function mapFeed(result: Raw, xml: string): ParsedFeed {
  const root = /<(rss|rdf:RDF|feed)\b([^>]*)>/i.exec(xml);
  const rootName = root?.[1]?.toLowerCase() ?? 'rss';
  const format = rootName === 'feed' ? 'atom' : rootName === 'rdf:rdf' ? 'rdf' : 'rss';
  const rootAttrs = root?.[2] ?? '';
  const items = Array.isArray(result.items) ? (result.items as Raw[]) : [];
  const ttl = Number.parseInt(rawText(result, ['ttl']), 10);
  return {
    format,
    title: textValue(result, ['title', 'dc:title'], format),
    description: textValue(
      result,
      ['subtitle', 'tagline', 'description', 'dc:description', 'info', 'itunes:subtitle', 'itunes:summary'],
      format,
      'html',
    ),
    links: [...raw(result, 'link'), ...raw(result, 'atom:link'), ...raw(result, 'atom10:link')].map(toLink),
    language: rawText(result, ['language', 'dc:language']) || attrFrom(rootAttrs, 'xml:lang'),
    updated: rawDate(result, [
      'updated',
      'modified',
      'dcterms:modified',
      'lastBuildDate',
      'pubDate',
      'dc:date',
      'published',
      'issued',
      'dcterms:issued',
    ]),
    base: attrFrom(rootAttrs, 'xml:base'),
    ttlMinutes: Number.isFinite(ttl) && ttl > 0 ? ttl : null,
    syndicationSeconds: syndicationSeconds(
      rawText(result, ['sy:updatePeriod']),
      rawText(result, ['sy:updateFrequency']),
    ),
    items: items.map((item) => mapItem(item, format)),
  };
}

function attrFrom(attrs: string, name: string): string {
  const m = new RegExp(`${name}\\s*=\\s*["']([^"']*)["']`).exec(attrs);
  return m ? m[1]! : '';
}

const PERIOD_SECONDS: Record<string, number> = {
  hourly: 3600,
  daily: 86400,
  weekly: 604800,
  monthly: 2592000,
  yearly: 31536000,
};

function syndicationSeconds(period: string, frequency: string): number | null {
  const seconds = PERIOD_SECONDS[period.toLowerCase()];
  if (!seconds) return null;
  const freq = Number.parseInt(frequency || '1', 10);
  return Math.round(seconds / (Number.isFinite(freq) && freq > 0 ? freq : 1));
}

function toLink(node: unknown): ParsedLink {
  const href = nodeAttr(node, 'href') || nodeText(node);
  return {
    href: href.trim(),
    rel: nodeAttr(node, 'rel') || 'alternate',
    type: nodeAttr(node, 'type'),
    length: nodeAttr(node, 'length'),
  };
}

/** The first named element as text or HTML, by its type attribute (Atom) or by the format's habit (RSS). */
function textValue(
  obj: Raw,
  names: string[],
  format: ParsedFeed['format'],
  rssDefault: 'html' | 'sniff' = 'sniff',
): TextValue | null {
  for (const name of names) {
    for (const node of raw(obj, name)) {
      const value = nodeValue(node, format, rssDefault);
      if (value) return value;
    }
  }
  return null;
}

function nodeValue(node: unknown, format: ParsedFeed['format'], rssDefault: 'html' | 'sniff'): TextValue | null {
  let value = nodeText(node);
  if (!value.trim()) return null;
  const type = nodeAttr(node, 'type').toLowerCase();
  const mode = nodeAttr(node, 'mode').toLowerCase();
  if (mode === 'base64') value = Buffer.from(value, 'base64').toString('utf8');
  if (
    type === 'html' ||
    type === 'xhtml' ||
    type.endsWith('/html') ||
    type.endsWith('xhtml+xml') ||
    mode === 'escaped'
  ) {
    return { value, type: 'html' };
  }
  if (type === 'text' || type === 'text/plain') return { value, type: 'text' };
  if (type && !type.startsWith('text/') && !type.endsWith('xml')) {
    // RFC 4287 §4.1.3.3: any other media type is base64-encoded.
    const decoded = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
    return { value: decoded, type: looksLikeHtml(decoded) ? 'html' : 'text' };
  }
  if (format === 'atom') return { value, type: 'text' };
  return { value, type: rssDefault === 'html' || looksLikeHtml(value) ? 'html' : 'text' };
}

function looksLikeHtml(value: string): boolean {
  return /<\/?[A-Za-z][^>]*>|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);/.test(value);
}

function mapItem(item: Raw, format: ParsedFeed['format']): ParsedItem {
  const guidNode =
    raw(item, 'guid')[0] ??
    raw(item, 'id')[0] ??
    (typeof item['rdf:about'] === 'string' ? item['rdf:about'] : undefined);
  const links = [...raw(item, 'link'), ...raw(item, 'atom:link')].map(toLink).filter((l) => l.href);
  // FeedBurner rewrote item links to its own redirector and kept the article's URL here.
  const origLink = rawText(item, ['feedburner:origLink']);
  if (origLink) links.push({ href: origLink, rel: 'canonical', type: '' });
  for (const enc of [...raw(item, 'enclosure'), ...raw(item, 'media:content')]) {
    const url = nodeAttr(enc, 'url');
    if (url)
      links.push({
        href: url,
        rel: 'enclosure',
        type: nodeAttr(enc, 'type'),
        length: nodeAttr(enc, 'length') || nodeAttr(enc, 'fileSize'),
      });
  }
  const contentNode = textValue(item, ['content:encoded', 'xhtml-body', 'fullitem', 'content'], format, 'html');
  const summaryNames =
    format === 'atom'
      ? ['summary']
      : ['description', 'dc:description', 'summary', 'itunes:summary', 'itunes:subtitle', 'media:description'];
  const group = raw(item, 'media:group')[0];
  return {
    guid: nodeText(guidNode).trim(),
    guidIsPermaLink: nodeAttr(guidNode, 'isPermaLink').toLowerCase() !== 'false' && raw(item, 'guid').length > 0,
    links,
    title: textValue(item, ['title', 'dc:title', 'media:title'], format),
    summary: textValue(item, summaryNames, format, 'html') ?? mediaGroupText(group, 'media:description'),
    content: contentNode,
    author: authorOf(item),
    categories: categoriesOf(item),
    language: rawText(item, ['dc:language', 'language']),
    published: rawDate(item, [
      'published',
      'pubDate',
      'issued',
      'dcterms:issued',
      'created',
      'dcterms:created',
      'dc:date',
    ]),
    updated: rawDate(item, ['updated', 'modified', 'dcterms:modified', 'dc:date']),
    base: baseOf(item),
    sourceUrl:
      raw(item, 'source')
        .map((s) => nodeAttr(s, 'url'))
        .find(Boolean) ?? '',
  };
}

/** xml:base declared on the entry's content or links: what relative URLs in it resolve against. */
function baseOf(item: Raw): string {
  for (const name of ['content', 'summary', 'content:encoded', 'link']) {
    for (const node of raw(item, name)) {
      const base = nodeAttr(node, 'xml:base');
      if (base) return base;
    }
  }
  return '';
}

function mediaGroupText(group: unknown, name: string): TextValue | null {
  const value = nodeChildren(group, name)
    .map(nodeText)
    .find((t) => t.trim());
  return value ? { value, type: 'text' } : null;
}

function authorOf(item: Raw): string {
  for (const node of [
    ...raw(item, 'author'),
    ...raw(item, 'dc:creator'),
    ...raw(item, 'dc:author'),
    ...raw(item, 'itunes:author'),
  ]) {
    if (node && typeof node === 'object' && ('name' in node || 'email' in node)) {
      const person = node as Record<string, unknown>;
      const name = firstText(person, ['name']);
      if (name) return name;
      const email = firstText(person, ['email']);
      if (email) return email;
      continue;
    }
    const text = nodeText(node).trim();
    if (text) return text;
  }
  return '';
}

function categoriesOf(item: Raw): string[] {
  const out: string[] = [];
  for (const node of [...raw(item, 'category'), ...raw(item, 'dc:subject'), ...raw(item, 'media:category')]) {
    const value = (nodeAttr(node, 'term') || nodeText(node) || nodeAttr(node, 'label')).trim();
    if (value) out.push(value);
  }
  return out;
}
