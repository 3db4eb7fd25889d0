import { describe, expect, it } from 'vitest';
import { renderTopicFeed } from '../../src/render/topic-feed.js';
import type { ItemWithTopics } from '../../src/db/items.repository.js';
import type { TopicRow } from '../../src/db/schema.js';
import { readFeed } from '../../src/pipeline/read-feed.js';

const topic: TopicRow = {
  id: 1,
  slug: 'korea',
  name: 'Korea & Co',
  rule: 'korea*',
  version: 1,
  retag_status: 'done',
  retagged_items: 0,
  retag_total: null,
  retag_through_id: null,
  visibility: 'public',
  feed_key: 'key',
  created_at: new Date('2024-01-01T00:00:00Z'),
  updated_at: new Date('2024-01-01T00:00:00Z'),
};
const item = (id: number, over: Partial<ItemWithTopics> = {}): ItemWithTopics => ({
  id,
  feed_id: 1,
  feedTitle: 'News',
  identity_hash: 'h',
  guid: `g${id}`,
  url: `https://news.example/${id}`,
  canonical_url: '',
  title: `Title ${id}`,
  summary: 'Summary',
  content_html: '<p>Body</p>',
  content_text: 'Body',
  author: 'Reporter',
  categories: ['world'],
  language: 'en',
  enclosures: [],
  published_at: new Date('2024-11-12T04:12:00Z'),
  updated_at: null,
  sort_at: new Date('2024-11-12T04:12:00Z'),
  fetched_at: new Date('2024-11-12T05:00:00Z'),
  content_hash: 'c',
  story_id: null,
  story_pinned: false,
  simhash: null,
  credited_urls: [],
  topics: [],
  sources: [],
  ...over,
});

const hostile = item(2, {
  title: 'AT&T <blink> "quotes" ]]> end',
  content_html: '<p>Text with ]]&gt; and &amp; and <b>bold</b></p>',
  summary: 'a < b & c',
});

describe('topic feeds as Atom, RSS and JSON Feed', () => {
  it.each(['atom', 'rss', 'json'] as const)(
    'when rendered as %s, then our own parser reads back every entry intact',
    async (format) => {
      const body = renderTopicFeed(format, topic, [item(1), hostile], 'https://tw.example');
      const back = await readFeed(Buffer.from(body));
      expect(back.feed.title).toBe('Korea & Co');
      expect(back.items.map((i) => i.title)).toEqual(['Title 1', 'AT&T <blink> "quotes" ]]> end']);
      expect(back.items[0]).toMatchObject({
        url: 'https://news.example/1',
        published: '2024-11-12T04:12:00Z',
        guid: 'https://tw.example/api/v1/items/1',
      });
      expect(back.items[1]!.contentText).toContain('Text with ]]> and & and bold');
    },
  );

  it('when rendered as Atom, then it has a self link, an id and RFC 3339 dates', () => {
    const body = renderTopicFeed('atom', topic, [item(1)], 'https://tw.example');
    expect(body).toContain('<link rel="self" href="https://tw.example/topics/korea/feed.atom"/>');
    expect(body).toContain('<id>https://tw.example/topics/korea</id>');
    expect(body).toMatch(/<updated>2024-11-12T04:12:00(\.000)?Z<\/updated>/);
  });

  it('when rendered as JSON Feed, then it is version 1.1 with authors and language', () => {
    const doc = JSON.parse(renderTopicFeed('json', topic, [item(1)], 'https://tw.example'));
    expect(doc.version).toBe('https://jsonfeed.org/version/1.1');
    expect(doc.feed_url).toBe('https://tw.example/topics/korea/feed.json');
    expect(doc.items[0]).toMatchObject({
      id: 'https://tw.example/api/v1/items/1',
      authors: [{ name: 'Reporter' }],
      language: 'en',
    });
    expect(doc.items[0].author).toBeUndefined();
  });

  it('when an entry is a story with other sources, then Atom lists them as related links and everything else survives', async () => {
    const sources = [
      {
        id: 7,
        feedId: 2,
        feedTitle: 'हिंदी समाचार "दर्पण" & <co>',
        url: 'https://hi.example/a?x=1&y="2"',
        title: 'उत्तर कोरिया',
        language: 'hi-IN',
        inPublicTopic: true,
      },
      {
        id: 8,
        feedId: 3,
        feedTitle: '',
        url: 'https://b.example/b',
        title: 'Copy B',
        language: '',
        inPublicTopic: true,
      },
    ];
    const body = renderTopicFeed(
      'atom',
      topic,
      [item(1, { sources }), { ...hostile, author: 'समाचार डेस्क & co' }],
      'https://tw.example',
    );
    expect(body.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    expect(body).toContain(
      '<link rel="related" href="https://hi.example/a?x=1&amp;y=&quot;2&quot;" title="हिंदी समाचार &quot;दर्पण&quot; &amp; &lt;co&gt;" hreflang="hi-IN"/>',
    );
    expect(body).toContain('<link rel="related" href="https://b.example/b" title="Copy B"/>');
    expect(body).toContain('समाचार डेस्क &amp; co'); // not turned into numeric references
    const back = await readFeed(Buffer.from(body));
    expect(back.items.map((i) => i.title)).toEqual(['Title 1', 'AT&T <blink> "quotes" ]]> end']);
    expect(back.items[1]).toMatchObject({ author: 'समाचार डेस्क & co' });
    expect(back.items[1]!.contentText).toContain('Text with ]]> and & and bold');
    const json = JSON.parse(renderTopicFeed('json', topic, [item(1, { sources })], 'https://tw.example'));
    expect(json.items[0]._topicwire.sources.map((s: { id: number }) => s.id)).toEqual([7, 8]);
  });
});
