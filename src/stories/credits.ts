import { decodeHTML, decodeHTMLAttribute } from 'entities';
import { Parser } from 'htmlparser2';
import { BLOCK_TAGS } from '../pipeline/html.js';
import { storyUrl } from '../pipeline/dedupe/identity.js';
import { lineKey } from './boilerplate.js';

/*
 * Which links in an item's content credit another article as the source of this one
 * (docs/dedupe.md, "Credited sources"). A link is a credit when it ends its block (paragraph,
 * list item, …) and the block says nothing but that it is a credit:
 *   - the link's own text is a credit label, alone in the block or after a sentence:
 *     "<p><a>Source link</a></p>", "… licence. Read the <a>original article</a>.";
 *   - or the block's text before the link is a credit lead: "Source: <a>World Wire</a>",
 *     "Originally published at <a>…</a>.", "स्रोत: <a>…</a>".
 * A link inside prose, share buttons, tag pages and links to the item's own site never are.
 */

// Link texts that name the link as the source (case-folded, edge punctuation removed).
const LABELS = new Set(
  [
    'source',
    'source link',
    'source article',
    'original',
    'original article',
    'original story',
    'original post',
    'original report',
    'read the original',
    'read the original article',
    'read original article',
    'read the original story',
    'स्रोत',
    'स्रोत लिंक',
    'मूल लेख',
    'मूल खबर',
    'मूल स्रोत',
    'source originale',
    'article original',
    "article d'origine",
    'quelle',
    'originalartikel',
    'fuente',
    'fuente original',
    'artículo original',
    'fonte',
    'источник',
    'оригинал',
    '原文',
    '原文链接',
    '出典',
    '出处',
    '来源',
    'المصدر',
  ].map((l) => lineKey(l)),
);
// Texts that, ending the block before a link, make that link the source.
const LEADS = new RegExp(
  '(?:^|[.!?।]\\s)(?:' +
    [
      'source',
      'sources',
      'via',
      'originally published (?:at|on|in|by)',
      'first published (?:at|on|in|by)',
      'republished from',
      'reproduced from',
      'this article (?:was|is) (?:originally |first )?(?:published|republished) (?:at|on|in|by|from)',
      'read (?:the )?(?:original|full) (?:article|story) (?:at|on)',
      'स्रोत',
      'मूल स्रोत',
      'साभार',
      'quelle',
      'fuente',
      'source originale',
    ].join('|') +
    ')$',
  'u',
);
// What may precede a label link in its block: nothing, or a finished sentence and "read the".
const BEFORE_LABEL = /(?:^|[.!?।]\s?(?:read(?: the)?)?)$/u;

/** The URLs this content credits as its source, absolute, in document order. */
export function creditedLinks(contentHtml: string, itemUrl: string): string[] {
  if (!contentHtml.includes('<a')) return [];
  const ownHost = hostOf(itemUrl);
  const found: string[] = [];
  let block = ''; // text of the current block so far
  let open: { href: string; before: string; text: string } | null = null;
  let pending: { href: string; before: string; text: string } | null = null; // the last link, if nothing followed it yet

  const endBlock = () => {
    if (
      pending &&
      lineKey(block.slice(pending.before.length + pending.text.length)) === '' &&
      isCredit(pending.before, pending.text)
    ) {
      found.push(pending.href);
    }
    pending = null;
    block = '';
  };
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (BLOCK_TAGS.has(name)) endBlock();
        else if (name === 'a' && attribs.href && !open) {
          const href = attribs.href.includes('&') ? decodeHTMLAttribute(attribs.href) : attribs.href;
          open = { href, before: block, text: '' };
        }
      },
      ontext(raw) {
        // Entities decoded a run of text at a time, as htmlToText does: a parser that decodes them
        // itself steps through the text one character at a time (twice the cost of this pass).
        const text = raw.includes('&') ? decodeHTML(raw) : raw;
        block += text;
        if (open) open.text += text;
      },
      onclosetag(name) {
        if (name === 'a' && open) {
          pending = open;
          open = null;
        } else if (BLOCK_TAGS.has(name)) endBlock();
      },
    },
    { decodeEntities: false, lowerCaseTags: true },
  );
  parser.write(contentHtml);
  parser.end();
  endBlock();
  return [...new Set(found)].filter((href) => /^https?:\/\//i.test(href) && hostOf(href) !== ownHost);
}

function isCredit(before: string, text: string): boolean {
  const lead = lineKey(before);
  if (LABELS.has(lineKey(text))) return BEFORE_LABEL.test(lead);
  return LEADS.test(lead);
}

/** The host without "www.", so that a link to the item's own site is recognised as such. */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}

/**
 * The story URLs an item credits: its declared source (RSS `<source url>`, a canonical link in its
 * content) and the credit links of its content, canonical, without home pages or its own URL.
 */
export function storyCredits(item: { url: string; contentHtml: string; sourceUrl: string }): string[] {
  const own = storyUrl(item.url);
  const urls = [item.sourceUrl, ...creditedLinks(item.contentHtml, item.url)].map(storyUrl);
  return [...new Set(urls)].filter((u) => u && u !== own);
}
