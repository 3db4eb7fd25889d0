import { describe, expect, it } from 'vitest';
import { canonicalUrl, dedupeItems, itemIdentity, storyUrl } from '../../src/pipeline/dedupe/identity.js';
import type { NormalizedItem } from '../../src/pipeline/types.js';

const item = (over: Partial<NormalizedItem>): NormalizedItem => ({
  guid: '',
  url: '',
  title: '',
  summary: '',
  contentHtml: '',
  contentText: '',
  author: '',
  categories: [],
  language: '',
  published: null,
  updated: null,
  enclosures: [],
  canonicalLink: '',
  sourceUrl: '',
  ...over,
});

describe('canonicalUrl', () => {
  it.each([
    ['lower-cases scheme and host', 'HTTPS://News.Example.COM/Path', 'https://news.example.com/Path'],
    ['drops the default port', 'https://a.example:443/x', 'https://a.example/x'],
    ['drops the fragment', 'https://a.example/x#comments', 'https://a.example/x'],
    [
      'drops utm_* and click ids, keeps the rest in order',
      'https://a.example/x?b=2&utm_source=t&a=1&fbclid=z&gclid=y',
      'https://a.example/x?b=2&a=1',
    ],
    ['drops an emptied query', 'https://a.example/x?utm_medium=rss', 'https://a.example/x'],
    ['refuses non-http schemes', 'javascript:alert(1)', ''],
    ['refuses garbage', 'not a url', ''],
  ])('%s', (_name, input, expected) => {
    expect(canonicalUrl(input)).toBe(expected);
  });
});

describe('itemIdentity and dedupeItems', () => {
  it('uses the guid first, then the canonical URL, then title and date', () => {
    expect(itemIdentity(item({ guid: 'g1', url: 'https://a/1' }))).toBe(
      itemIdentity(item({ guid: 'g1', url: 'https://a/2' })),
    );
    expect(itemIdentity(item({ url: 'https://a.example/1?utm_source=x' }))).toBe(
      itemIdentity(item({ url: 'https://a.example/1' })),
    );
    expect(itemIdentity(item({ title: 'T', published: '2024-01-01T00:00:00Z' }))).not.toBe(
      itemIdentity(item({ title: 'T', published: '2024-01-02T00:00:00Z' })),
    );
  });

  it('keeps the first of items that share an identity within one fetch', () => {
    const kept = dedupeItems([
      item({ guid: 'a', title: 'first' }),
      item({ guid: 'b' }),
      item({ guid: 'a', title: 'second' }),
    ]);
    expect(kept.map((i) => i.title)).toEqual(['first', '']);
  });
});

describe('canonicalUrl for stories (docs/dedupe.md)', () => {
  it.each([
    ['drops index.html', 'https://a.example/news/index.html', 'https://a.example/news'],
    ['drops default.aspx, any case', 'https://a.example/news/Default.ASPX?id=4', 'https://a.example/news?id=4'],
    ['drops a trailing slash, not the root', 'https://a.example/news/story/', 'https://a.example/news/story'],
    ['drops index.php', 'https://a.example/index.php', 'https://a.example/'],
    ['keeps other documents', 'https://a.example/news/story.html', 'https://a.example/news/story.html'],
    ['drops the trailing dot of a host', 'https://a.example./x', 'https://a.example/x'],
    ['drops mc_cid, mc_eid and ref', 'https://a.example/x?mc_cid=1&id=2&mc_eid=3&ref=tw', 'https://a.example/x?id=2'],
    ['drops the default http port', 'http://A.example:80/x', 'http://a.example/x'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalUrl(input)).toBe(expected);
  });

  it('names no article with a home page, which every item of a site shares', () => {
    expect(storyUrl('https://a.example/')).toBe('');
    expect(storyUrl('https://a.example/?utm_source=rss')).toBe('');
    expect(storyUrl('https://a.example/index.html')).toBe('');
    expect(storyUrl('https://a.example/?p=48213')).toBe('https://a.example/?p=48213');
    expect(storyUrl('https://a.example/2024/story#comments')).toBe('https://a.example/2024/story');
  });

  it('leaves item identities as they were first keyed, so that no stored item comes back as new', () => {
    expect(itemIdentity(item({ url: 'https://a.example/news/index.html' }))).not.toBe(
      itemIdentity(item({ url: 'https://a.example/news/' })),
    );
  });
});
