import { canonicalLinkIn, htmlToText, resolveUrl, sanitizeHtml, toOneLine } from '../html.js';
import { parseDate } from './parse-date.js';
import type {
  Enclosure,
  NormalizedFeed,
  NormalizedItem,
  ParsedFeed,
  ParsedItem,
  ParsedLink,
  TextValue,
} from '../types.js';

/**
 * The feed as written → the contract of docs/contract.md: plain text where text is promised, sanitized
 * HTML with absolute URLs where HTML is, ISO dates in UTC, no missing keys.
 * `documentUrl` is where the feed was fetched from ("" for a local file): with xml:base, the
 * base that relative links resolve against (RFC 4287 §2, RFC 3986 §5.1).
 */
export function normalizeFeed(parsed: ParsedFeed, documentUrl = ''): NormalizedFeed {
  // No NUL character leaves this stage: PostgreSQL text cannot hold one (a JSON Feed can carry
  // "\u0000" anywhere), and a feed's odd byte must not become an error of ours at storage.
  return withoutNul(normalize(parsed, documentUrl));
}

/** Every string in a value with its NUL characters removed (the value itself when it has none). */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replace(/\0/g, '') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = withoutNul(v);
  }
  return value;
}

function normalize(parsed: ParsedFeed, documentUrl: string): NormalizedFeed {
  const feedBase = resolveUrl(parsed.base, documentUrl) || documentUrl;
  const siteUrl = pickLink(parsed.links, feedBase, ['alternate']);
  const feedUrl = pickLink(parsed.links, feedBase, ['self']) || resolveUrl(documentUrl, '');
  return {
    feed: {
      title: plainText(parsed.title),
      siteUrl,
      feedUrl,
      description: plainText(parsed.description),
      language: clean(parsed.language),
      updated: parseDate(parsed.updated),
      hubs: parsed.links
        .filter((l) => l.rel === 'hub')
        .map((l) => resolveUrl(l.href, feedBase))
        .filter(Boolean),
    },
    items: parsed.items.map((item) => normalizeItem(item, feedBase, parsed.language)),
  };
}

function normalizeItem(item: ParsedItem, feedBase: string, feedLanguage: string): NormalizedItem {
  const base = resolveUrl(item.base, feedBase) || feedBase;
  const guidUrl = item.guidIsPermaLink ? resolveUrl(item.guid, '') : '';
  const url = pickLink(item.links, base, ['alternate']) || guidUrl || unresolvedLink(item.links);
  const body = item.content ?? item.summary;
  const contentHtml = body ? sanitizeHtml(asHtml(body), url && !item.base ? url : base) : '';
  return {
    guid: clean(item.guid),
    url,
    title: plainText(item.title),
    summary: plainText(item.summary),
    contentHtml,
    contentText: body ? clean(body.type === 'html' ? htmlToText(body.value) : body.value) : '',
    author: authorName(item.author),
    categories: [...new Set(item.categories.map((c) => clean(toOneLine(c))).filter(Boolean))],
    language: clean(item.language || feedLanguage),
    published: parseDate(item.published),
    updated: parseDate(item.updated),
    enclosures: item.links
      .filter((l) => l.rel === 'enclosure')
      .map((l) => toEnclosure(l, base))
      .filter((e) => e.url),
    canonicalLink: pickLink(item.links, base, ['canonical']),
    sourceUrl:
      resolveUrl(item.sourceUrl, base) || (body?.type === 'html' ? resolveUrl(canonicalLinkIn(body.value), base) : ''),
  };
}

/**
 * A relative item link when there is nothing to resolve it against (a local file with no
 * xml:base): kept as written rather than guessed. Fetched feeds always have their URL as base.
 */
function unresolvedLink(links: ParsedLink[]): string {
  const link = links.find((l) => l.rel === 'alternate' && /^[/.?#\w-]/.test(l.href) && !/^\w+:/.test(l.href));
  return link ? link.href.trim() : '';
}

/** The first link of one of `rels` (HTML first), absolute. */
function pickLink(links: ParsedLink[], base: string, rels: string[]): string {
  const candidates = links.filter((l) => rels.includes(l.rel));
  const preferred = candidates.find((l) => !l.type || l.type.includes('html')) ?? candidates[0];
  return preferred ? resolveUrl(preferred.href, base) : '';
}

function toEnclosure(link: ParsedLink, base: string): Enclosure {
  const length = Number.parseInt(link.length ?? '', 10);
  return {
    url: resolveUrl(link.href, base),
    type: clean(link.type),
    length: Number.isFinite(length) && length > 0 ? length : 0,
  };
}

function asHtml(value: TextValue): string {
  if (value.type === 'html') return value.value;
  return value.value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>');
}

function plainText(value: TextValue | null): string {
  if (!value) return '';
  return clean(toOneLine(value.type === 'html' ? htmlToText(value.value) : value.value));
}

/** "jo@example.com (Jo Doe)", "Jo Doe <jo@example.com>" → "Jo Doe"; a bare address stays. */
function authorName(author: string): string {
  const text = clean(toOneLine(author));
  const m = /^\S+@\S+\s*\((.+)\)$/.exec(text) ?? /^(.+?)\s*[(<]\S+@[^)>]+[)>]$/.exec(text);
  return m ? m[1]!.trim() : text;
}

function clean(text: string): string {
  return text.trim().normalize('NFC');
}
