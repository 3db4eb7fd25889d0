import render from 'dom-serializer';
import { Document, Element, Text, isTag } from 'domhandler';
import { Parser, parseDocument } from 'htmlparser2';
import { FeedError } from '../feed-error.js';

export interface OpmlFeed {
  url: string;
  title: string;
  siteUrl: string;
  /** The titles of the outlines it is nested in, outermost first, and its `category` attribute. */
  tags: string[];
}

/** OPML 1.0/2.0 → the feeds it lists (outlines with an xmlUrl), with their folders as tags. */
export function parseOpml(text: string): OpmlFeed[] {
  const unclosed = unclosedAtEnd(text);
  if (unclosed) throw new FeedError('not_opml', `not OPML: the document is cut off (<${unclosed}> is never closed)`);
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { xmlMode: true });
  const opml = doc.children.find((n): n is Element => isTag(n) && n.name.toLowerCase() === 'opml');
  const body = opml?.children.find((n): n is Element => isTag(n) && n.name.toLowerCase() === 'body');
  if (!body) throw new FeedError('not_opml', 'not OPML: no <opml> with a <body>');
  const feeds: OpmlFeed[] = [];
  const walk = (parent: Element, folders: string[]) => {
    for (const node of parent.children) {
      if (!isTag(node) || node.name.toLowerCase() !== 'outline') continue;
      const a = lowerKeys(node.attribs);
      const title = (a.title || a.text || '').trim();
      if (a.xmlurl) {
        const categories = (a.category ?? '')
          .split(',')
          .map((c) => c.trim().replace(/^\//, ''))
          .filter(Boolean);
        feeds.push({
          url: a.xmlurl.trim(),
          title,
          siteUrl: (a.htmlurl ?? '').trim(),
          tags: [...new Set([...folders, ...categories])],
        });
      }
      walk(node, a.xmlurl || !title ? folders : [...folders, title]);
    }
  };
  walk(body, []);
  return feeds;
}

function lowerKeys(attrs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Feeds → OPML 2.0, one folder per first tag, written by dom-serializer (it does the escaping). */
export function buildOpml(feeds: OpmlFeed[], title: string, now = new Date()): string {
  const outline = (f: OpmlFeed) =>
    new Element('outline', {
      type: 'rss',
      text: f.title || f.url,
      title: f.title || f.url,
      xmlUrl: f.url,
      ...(f.siteUrl ? { htmlUrl: f.siteUrl } : {}),
      ...(f.tags.length > 1 ? { category: f.tags.slice(1).join(',') } : {}),
    });
  const folders = new Map<string, OpmlFeed[]>();
  const loose: OpmlFeed[] = [];
  for (const f of feeds) {
    if (f.tags[0]) folders.set(f.tags[0], [...(folders.get(f.tags[0]) ?? []), f]);
    else loose.push(f);
  }
  const body = new Element('body', {}, [
    ...[...folders].map(([name, list]) => new Element('outline', { text: name, title: name }, list.map(outline))),
    ...loose.map(outline),
  ]);
  const head = new Element('head', {}, [
    new Element('title', {}, [new Text(title)]),
    new Element('dateCreated', {}, [new Text(now.toUTCString())]),
  ]);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    render(new Document([new Element('opml', { version: '2.0' }, [head, body])]), {
      xmlMode: true,
      encodeEntities: 'utf8',
    }) +
    '\n'
  );
}

/**
 * The innermost element still open when the document ends, or null: a file cut off in transfer
 * parses leniently into fewer feeds, which must not pass for the whole list.
 */
function unclosedAtEnd(text: string): string | null {
  let ending = false;
  let innermost: string | null = null;
  const parser = new Parser(
    {
      onclosetag(name) {
        if (ending) innermost ??= name;
      },
    },
    { xmlMode: true },
  );
  parser.write(text);
  ending = true;
  parser.end();
  return innermost;
}
