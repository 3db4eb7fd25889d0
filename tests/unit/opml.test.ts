import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpml, parseOpml } from '../../src/pipeline/opml.js';
import { corpusFile } from '../helpers/paths.js';

describe('OPML', () => {
  it('when outlines are nested (a real OPML 1.1 file), then each feed keeps its folders as tags', () => {
    expect(parseOpml(readFileSync(corpusFile('plagger/t/samples/opml-nested.xml'), 'utf8'))).toEqual([
      {
        url: 'http://blog.bulknews.net/mt/index.rdf',
        title: 'blog.bulknews.net',
        siteUrl: 'http://blog.bulknews.net/mt/',
        tags: ['Subscriptions', 'Foo'],
      },
      {
        url: 'http://subtech.g.hatena.ne.jp/miyagawa/rss',
        title: 'Bulknews::Subtech',
        siteUrl: 'http://subtech.g.hatena.ne.jp/miyagawa/',
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
