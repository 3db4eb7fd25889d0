import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../src/pipeline/read-feed.js';
import { parseFeed } from '../../src/pipeline/parse/parse-feed.js';
import { fixture } from '../helpers/paths.js';

const read = (file: string, opts: { contentType?: string; documentUrl?: string } = {}) =>
  readFeed(readFileSync(fixture(file)), opts);

describe('reading feeds as servers send them (tests/fixtures)', () => {
  it.each([
    {
      name: 'RSS 1.0 (RDF) with a BOM',
      file: 'feeds/rdf-with-bom.rdf',
      feed: { title: 'Nachrichten Beispiel', siteUrl: 'https://nachrichten.example.at/' },
      item: {
        title: 'Chor aus Graz mit Stern auf dem „Walk of Fame“ geehrt',
        url: 'https://nachrichten.example.at/stories/1001/',
        published: '2024-03-04T09:00:00Z',
      },
    },
    {
      name: 'RSS 2.0 with description and guid',
      file: 'seed/feeds/english-wire.rss',
      feed: { title: 'World Wire', siteUrl: 'https://world-wire.example/', language: 'en' },
      item: {
        title: 'North Korea ratifies landmark mutual defence treaty with Russia',
        published: '2024-11-12T04:12:00Z',
      },
    },
    {
      name: 'Atom 1.0 with relative links resolved against the URL it was fetched from',
      file: 'feeds/atom-relative-links.atom',
      documentUrl: 'https://journal.example/feed/all',
      feed: {
        title: 'All Journal News',
        siteUrl: 'https://journal.example',
        feedUrl: 'https://journal.example/account/feed/all/k3y',
      },
      item: {
        url: 'https://journal.example/desk/city-council-approves-new-budget',
      },
    },
    {
      name: 'JSON Feed 1.1',
      file: 'seed/feeds/hindi-republisher-c.json',
      feed: {},
      item: {
        guid: 'https://khabar-sansar-c.example/p/russia-north-korea-treaty',
        title: 'उत्तर कोरिया ने रूस के साथ ऐतिहासिक पारस्परिक रक्षा संधि की पुष्टि की',
      },
    },
    {
      name: 'KOI8-R declared in the XML declaration',
      file: 'feeds/koi8-r.rss',
      feed: { title: 'Пример ленты новостей', language: 'ru' },
      item: { title: 'Первая новость дня', summary: 'Текст первой новости.' },
    },
    {
      name: 'windows-1251',
      file: 'feeds/windows-1251.rss',
      feed: { title: 'Новости области / Раздел «Город»' },
      item: { title: 'Главные стройки года – детский сад и ледовый дворец' },
    },
    {
      name: 'EUC-JP',
      file: 'feeds/euc-jp.rdf',
      feed: { title: 'ある日記' },
      item: { title: '2005-09-06のコメント[6] (山田)', summary: '雨の日の散歩について。' },
    },
    {
      name: 'Shift_JIS',
      file: 'feeds/shift_jis.rdf',
      feed: { title: '【野球】今日の試合', siteUrl: 'https://keijiban.example/test/read.cgi/news/1155970287/' },
      item: { title: '試合の結果について', url: 'https://rss.keijiban.example/news/1155970287/1' },
    },
    {
      name: 'ISO-8859-1 with &#160;',
      file: 'seed/feeds/french-latin1.rss',
      feed: {},
      item: { title: 'La Corée du Nord ratifie un traité de défense avec la Russie' },
    },
    {
      name: 'escaped HTML in a title',
      file: 'feeds/escaped-html-title.rss',
      feed: { title: 'bar' },
      item: { title: 'Topicwire rocks', url: 'https://topicwire.example/' },
    },
    {
      name: 'UTF-8 text double-encoded in the file itself',
      file: 'feeds/double-encoded-utf8.rss',
      feed: {},
      item: {
        title: 'Kältewelle in Europa: Flüchtlinge suchen Schutz in Zügen',
        summary: 'Die Kälte hält an; Straßen sind gesperrt.',
      },
    },
  ])('when the feed is $name, then it reads correctly', async ({ file, feed, item, documentUrl }) => {
    const result = await read(file, { documentUrl });
    expect(result.feed).toMatchObject(feed);
    expect(result.items[0]).toMatchObject(item);
  });

  it('when a local file has relative links and no base, then they are kept as written, not guessed', async () => {
    const { items } = await read('feeds/atom-relative-links.atom');
    expect(items[0]!.url).toBe('/desk/city-council-approves-new-budget');
  });

  it('when HTML content has relative links, then they are made absolute and the HTML is sanitized', async () => {
    const { items } = await read('feeds/relative-html-urls.rss');
    expect(items[0]!.contentHtml).toContain('href="https://example.com/posts/post-1"');
    expect(items[0]!.contentHtml).not.toMatch(/href="\/|href="\.\//);
  });

  it('when the seed Hindi article carries share-button boilerplate and a utm link, then the text and URL are kept as written', async () => {
    const { items } = await read('seed/feeds/hindi-republisher-a.rss');
    expect(items).toHaveLength(2);
    expect(items[0]!.contentText).toContain('उत्तर कोरिया ने रूस के साथ');
    expect(items[0]!.contentHtml).not.toMatch(/<script|onclick=/i);
  });

  it.each([
    'english-wire.rss',
    'french-latin1.rss',
    'hindi-other-story.rdf',
    'hindi-republisher-a.rss',
    'hindi-republisher-b.atom',
    'hindi-republisher-c.json',
  ])(
    'when the seed feed %s is read, then every item has a title, a URL and a publication date in UTC',
    async (name) => {
      const { items } = await read(`seed/feeds/${name}`);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        expect(item.title).not.toBe('');
        expect(item.url).toMatch(/^https:\/\//);
        expect(item.published).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
    },
  );

  it('when the Atom entry title is XHTML, then it becomes plain text and the entry keeps its categories', async () => {
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>x</id>
      <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>bold</b> move</div></title>
      <category term="politics"/><category term="world" label="World"/></entry></feed>`;
    const { items } = await readFeed(Buffer.from(xml));
    expect(items[0]).toMatchObject({ title: 'A bold move', categories: ['politics', 'world'] });
  });

  it('when the XML is cut off before its end, then what arrived is read', async () => {
    const { feed, items } = await read('feeds/cut-off-after-channel-head.rss');
    expect(feed.title).toBe('Wire: Most Read Stories');
    expect(items).toEqual([]);
    const cut =
      '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>One</title></item><item><title>Tw';
    expect((await readFeed(Buffer.from(cut))).items.map((i) => i.title)).toEqual(['One', 'Tw']);
  });

  it('when the feed is Microsoft CDF, then its channel and items are read', async () => {
    const cdf = `<?xml version="1.0"?><CHANNEL HREF="http://example.org/" LASTMOD="2004-04-06T23:05:43-05:00"><TITLE>Old news</TITLE>
      <ABSTRACT>Channel abstract</ABSTRACT><ITEM HREF="http://example.org/1"><TITLE>First</TITLE><ABSTRACT>Item abstract</ABSTRACT></ITEM></CHANNEL>`;
    const { feed, items } = await readFeed(Buffer.from(cdf));
    expect(feed).toMatchObject({
      title: 'Old news',
      description: 'Channel abstract',
      siteUrl: 'http://example.org/',
      updated: '2004-04-07T04:05:43Z',
    });
    expect(items).toMatchObject([{ title: 'First', summary: 'Item abstract', url: 'http://example.org/1' }]);
  });

  it('when a DOCTYPE declares a plain-text entity, then it is used; nested and external ones are not', async () => {
    const xml = `<!DOCTYPE rss [<!ENTITY id "tag:example.com,"><!ENTITY nest "&id;&id;"><!ENTITY ext SYSTEM "file:///etc/hostname">]>
      <rss version="2.0"><channel><TITLE>Upper &lang;case&rang;</TITLE><item><guid isPermaLink="false">&id;2006:/blog/</guid><title>&nest;&ext;</title></item></channel></rss>`;
    const { feed, items } = await readFeed(Buffer.from(xml));
    // U+2329/U+232A, then NFC (their canonical forms are U+3008/U+3009).
    expect(feed.title).toBe('Upper \u3008case\u3009');
    expect(items[0]!.guid).toBe('tag:example.com,2006:/blog/');
    expect(items[0]!.title).toBe('&nest;&ext;');
  });

  it('when the document is not a feed, then a clear error says so', async () => {
    await expect(readFeed(Buffer.from('<html><body>hello</body></html>'))).rejects.toThrow(/not a feed/);
    await expect(readFeed(Buffer.from('just text'))).rejects.toThrow(/not a feed/);
    await expect(readFeed(Buffer.from('{"not":"a feed"}'))).rejects.toThrow(/jsonfeed\.org/);
  });

  it('when the XML has a bare ampersand and HTML entities, then the feed is still read', async () => {
    const xml =
      '<rss version="2.0"><channel><title>Tom & Jerry &eacute;t&eacute;</title><item><title>A&nbsp;&mdash;&nbsp;B</title></item></channel></rss>';
    const { feed, items } = await readFeed(Buffer.from(xml));
    expect(feed.title).toBe('Tom & Jerry été');
    expect(items[0]!.title).toBe('A — B');
  });

  it('when a DOCTYPE declares entities (billion laughs), then none is expanded and the feed is read', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>
      <rss version="2.0"><channel><title>&lol3;</title><item><title>&ext;</title></item></channel></rss>`;
    const { feed, items } = await readFeed(Buffer.from(lol));
    expect(feed.title.length).toBeLessThan(20);
    expect(items[0]!.title).not.toContain('root:');
  });

  it('when content carries scripts, handlers and javascript: URLs, then none survives sanitizing', async () => {
    const xml = `<rss version="2.0"><channel><item><title>x</title><link>https://a.example/p</link><description><![CDATA[
      <p onclick="steal()">Hi <a href="javascript:alert(1)">link</a><script>alert(1)</script><img src="/i.png" onerror="x()"><iframe src="https://evil.example"></iframe></p>]]></description></item></channel></rss>`;
    const { items } = await readFeed(Buffer.from(xml), { documentUrl: 'https://a.example/feed' });
    const html = items[0]!.contentHtml;
    expect(html).not.toMatch(/onclick|onerror|javascript:|<script|<iframe/i);
    expect(html).toContain('src="https://a.example/i.png"');
    expect(items[0]!.contentText).toBe('Hi link');
  });
});

describe('one document does not change how the next is read', () => {
  const rss = (items: string) =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://t.test/</link>${items}</channel></rss>`;
  const good = rss('<item><guid>g1</guid><title>First</title></item><item><guid>g2</guid><title>Second</title></item>');
  // A closing tag carrying 2 MB of junk: strict XML refuses it at its first character, and the
  // lenient second reading repairs it.
  const junkInClosingTag = rss(`<item><guid>j</guid><title>J</title></item x="${'y'.repeat(2 * 2 ** 20)}">`);
  // Documents after which rss-parser's one shared XML parser kept their state: it no longer
  // stopped at errors, and read the junk above one error per character (~6 s instead of ~40 ms).
  const poisons = [good + good, `${good}text after the root`, good.replace('<channel>', '<channel><?php x')];
  const outcome = (text: string) =>
    parseFeed(text).then(
      (f) => `items ${f.items.map((i) => i.guid).join(',')}`,
      (e: Error) => `refused: ${e.message.split('\n')[0]}`,
    );

  it('when a malformed document came first, then the next one is read as when alone, as fast', async () => {
    const alone = [await outcome(junkInClosingTag), await outcome(good)];
    for (const poison of poisons) {
      await outcome(poison);
      const started = performance.now();
      expect([await outcome(junkInClosingTag), await outcome(good)]).toEqual(alone);
      expect(performance.now() - started).toBeLessThan(1500);
    }
  });
});
