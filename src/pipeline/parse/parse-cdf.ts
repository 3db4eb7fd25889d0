import { isTag, type Element } from 'domhandler';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ParsedFeed, ParsedItem, TextValue } from '../types.js';

/**
 * Microsoft's Channel Definition Format (1997), still found in old archives: a CHANNEL with
 * TITLE, ABSTRACT and ITEMs whose link and date are the HREF and LASTMOD attributes. Element
 * names are read case-insensitively, as CDF files were written in every case.
 */
export function isCdf(text: string): boolean {
  return /^(?:\s|<\?[^>]*\?>|<!--[\s\S]*?-->)*<channel[\s>]/i.test(text);
}

export function parseCdf(text: string): ParsedFeed {
  const doc = parseDocument(text, { xmlMode: false, lowerCaseTags: true, lowerCaseAttributeNames: true });
  const channel = DomUtils.getElementsByTagName('channel', doc, true, 1)[0];
  const items = channel ? DomUtils.getElementsByTagName('item', channel, true) : [];
  return {
    format: 'cdf',
    title: childText(channel, 'title'),
    description: childText(channel, 'abstract'),
    links: channel?.attribs.href ? [{ href: channel.attribs.href, rel: 'alternate', type: '' }] : [],
    language: '',
    updated: channel?.attribs.lastmod ?? '',
    base: '',
    ttlMinutes: null,
    syndicationSeconds: null,
    items: items.map(toItem),
  };
}

function toItem(item: Element): ParsedItem {
  return {
    guid: '',
    guidIsPermaLink: false,
    links: item.attribs.href ? [{ href: item.attribs.href, rel: 'alternate', type: '' }] : [],
    title: childText(item, 'title'),
    summary: childText(item, 'abstract'),
    content: null,
    author: '',
    categories: [],
    language: '',
    published: '',
    updated: item.attribs.lastmod ?? '',
    base: '',
    sourceUrl: '',
  };
}

function childText(parent: Element | undefined, name: string): TextValue | null {
  const el = parent?.children.find((c): c is Element => isTag(c) && c.name === name);
  const value = el ? DomUtils.textContent(el).trim() : '';
  return value ? { value, type: 'text' } : null;
}
