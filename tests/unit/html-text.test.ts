import fc from 'fast-check';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { runs } from '../helpers/property.js';
import { BLOCK_TAGS, foldWhitespace, htmlToText } from '../../src/pipeline/html.js';

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
