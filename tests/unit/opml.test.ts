import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpml, parseOpml } from '../../src/pipeline/parse/opml.js';
import { fixture } from '../helpers/paths.js';

describe('OPML', () => {
  it('when outlines are nested (an OPML 1.1 file), then each feed keeps its folders as tags', () => {
    expect(parseOpml(readFileSync(fixture('opml-nested.opml'), 'utf8'))).toEqual([
      {
        url: 'https://blog.example.net/index.rdf',
        title: 'blog.example.net',
        siteUrl: 'https://blog.example.net/',
        tags: ['Subscriptions', 'Foo'],
      },
      {
        url: 'https://notes.example.org/daily/rss',
        title: 'Notes::Daily',
        siteUrl: 'https://notes.example.org/daily/',
        tags: ['Subscriptions', 'Bar', 'Baz'],
      },
    ]);
  });

  it('when attributes differ in case and carry OPML 2.0 categories, then they are read', () => {
    const opml = `<opml version="2.0"><body><outline text="News &amp; more"><outline TEXT="A &lt;b&gt;" XMLURL="https://a.example/feed?x=1&amp;y=2" category="/Tech,/World"/></outline></body></opml>`;
    expect(parseOpml(opml)).toEqual([
      { url: 'https://a.example/feed?x=1&y=2', title: 'A <b>', siteUrl: '', tags: ['News & more', 'Tech', 'World'] },
    ]);
  });

  it('when a document is not OPML, then it is refused', () => {
    expect(() => parseOpml('<rss><channel/></rss>')).toThrow(/not OPML/);
  });

  it('when an OPML file is cut off, then it is refused as a whole, not read as fewer feeds', () => {
    const whole = readFileSync(fixture('opml-nested.opml'), 'utf8');
    for (const end of [whole.indexOf('<outline title="Bar">'), whole.indexOf('</body>'), whole.length - 4]) {
      expect(() => parseOpml(whole.slice(0, end))).toThrow(/cut off/);
    }
    expect(parseOpml(whole + '\n')).toHaveLength(2);
  });

  it('when feeds are exported, then the export reads back to the same feeds, escaped correctly', () => {
    const feeds = [
      {
        url: 'https://a.example/feed?x=1&y=2',
        title: 'Tom & "Jerry" <3',
        siteUrl: 'https://a.example/',
        tags: ['News', 'World'],
      },
      { url: 'https://b.example/rss', title: '', siteUrl: '', tags: [] },
    ];
    const back = parseOpml(buildOpml(feeds, 'mine'));
    expect(back).toEqual([feeds[0], { ...feeds[1], title: 'https://b.example/rss' }]);
  });
});
