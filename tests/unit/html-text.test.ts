import fc from 'fast-check';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { runs } from '../helpers/property.js';
import {
  BLOCK_TAGS,
  foldWhitespace,
  htmlToText,
  limitNesting,
  MAX_NESTING,
  sanitizeHtml,
} from '../../src/pipeline/html.js';

/** What foldWhitespace does, said as plainly as possible (its first version: four replacements). */
const plainFold = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

const PIECES = [
  'a',
  'word',
  'रूस',
  '東京',
  ' ',
  '  ',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\v',
  'x y',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }).map((parts) => parts.join(''));

describe('folding whitespace', () => {
  it('agrees with the plain replacements on random texts of words, spaces and line breaks', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(foldWhitespace(t)).toBe(plainFold(t));
      }),
      { numRuns: runs(20000) },
    );
  });

  it.each([
    ['one space between words stays', 'a b', 'a b'],
    ['runs of spaces and tabs become one space', 'a  \t b', 'a b'],
    ['other spaces become a space', 'a\u00a0b\u3000c', 'a b c'],
    ['spaces around a line break go', 'a  \n\t b', 'a\nb'],
    ['a line break of any kind is one', 'a\r\nb\rc\nd', 'a\nb\nc\nd'],
    ['many line breaks are one blank line', 'a\n\n\n \n\r\nb', 'a\n\nb'],
    ['ends are trimmed', ' \n\ufeff a b \r\n ', 'a b'],
    ['all whitespace is nothing', ' \n\t ', ''],
    ['empty', '', ''],
  ])('%s', (_, input, want) => {
    expect(foldWhitespace(input)).toBe(want);
  });
});

/** htmlToText as first written: the parser decodes entities as it goes. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head', 'title']);
function plainHtmlToText(html: string): string {
  const out: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentagname: (name) => (SKIPPED.has(name) ? skipping++ : BLOCK_TAGS.has(name) && out.push('\n')),
      onclosetag: (name, implied) =>
        SKIPPED.has(name) ? (skipping = Math.max(0, skipping - 1)) : BLOCK_TAGS.has(name) && !implied && out.push('\n'),
      ontext: (text) => skipping === 0 && out.push(text),
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return foldWhitespace(out.join(''));
}

const HTML_PIECES = [
  '<p>',
  '</p>',
  '<b>',
  '</b>',
  '<br/>',
  '<script>',
  '</script>',
  '<title>',
  '</title>',
  '<a href="?a=1&amp;b=2">',
  '</a>',
  '<!-- c -->',
  '&amp;',
  '&lt;',
  '&gt;',
  '&copy',
  '&copy;',
  '&#65;',
  '&#x41',
  '&am',
  '&',
  '&nbsp;',
  '&notit;',
  '&ampx',
  'AT&T',
  'word',
  'रूस',
  ' ',
  '\n',
  '<',
  '>',
  ';',
  '#',
];
const html = fc.array(fc.constantFrom(...HTML_PIECES), { maxLength: 25 }).map((parts) => parts.join(''));

describe('HTML to text', () => {
  it('decodes entities as a decoding parser would, on random HTML of tags, entities and text', () => {
    fc.assert(
      fc.property(html, (h) => {
        expect(htmlToText(h)).toBe(plainHtmlToText(h));
      }),
      { numRuns: runs(20000) },
    );
  });

  it('decodes entities in a textarea as browsers do (the decoding parser missed one after a "<")', () => {
    expect(htmlToText('<p>a</p><textarea><&lt; &amp;</textarea>')).toBe('a\n<< &');
  });

  it('puts blocks on their own lines, drops scripts and decodes entities', () => {
    expect(htmlToText('<p>Russia &amp; <b>North</b>\n  Korea</p><script>x()</script><p>  next  </p>')).toBe(
      'Russia & North\nKorea\n\nnext',
    );
  });
});

describe('limitNesting', () => {
  const depthOf = (html: string) => {
    let depth = 0;
    let most = 0;
    for (const [, close] of html.matchAll(/<(\/?)x>/g)) most = Math.max(most, close ? depth-- : ++depth);
    return most;
  };

  it('when tags nest 100,000 deep, then the tags past MAX_NESTING go and every word stays', () => {
    const deep = `<p>start ${'<x>'.repeat(100_000)}middle${'</x>'.repeat(100_000)} end</p>`;
    const limited = limitNesting(deep);
    expect(depthOf(limited)).toBe(MAX_NESTING);
    expect(htmlToText(deep)).toBe('start middle end');
    expect(sanitizeHtml(deep, 'https://example.com/')).toBe('<p>start middle end</p>');
  });

  it('when HTML is shallow, then it is returned as it is, however many tags it has', () => {
    const wide = `<div>${'<p>para <b>bold</b> <a href="/x">link</a></p>'.repeat(2000)}</div>`;
    expect(limitNesting(wide)).toBe(wide);
    const unclosed = '<p>one'.repeat(3000);
    expect(limitNesting(unclosed)).toBe(unclosed);
  });
});
