import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverFeeds, looksLikeHtml } from '../../src/pipeline/parse/discover-feeds.js';
import { REPO_ROOT } from '../helpers/paths.js';

const page = (name: string) => readFileSync(path.join(REPO_ROOT, 'tests/fixtures/pages', name), 'utf8');

describe('feed autodiscovery', () => {
  it('when a WordPress page advertises its feeds, then they come in page order, resolved, titles decoded', () => {
    expect(discoverFeeds(page('wordpress-blog.html'), 'https://blog.example/2024/post/')).toEqual([
      { url: 'https://blog.example/feed/', title: 'A Small Blog » Feed', type: 'application/rss+xml' },
      {
        url: 'https://blog.example/comments/feed/',
        title: 'A Small Blog » Comments Feed',
        type: 'application/rss+xml',
      },
    ]);
  });

  it('when a page sets <base> and writes tags in capitals, then links resolve against the base', () => {
    expect(discoverFeeds(page('news-site.html'), 'https://news.example/').map((f) => f.url)).toEqual([
      'https://cdn.news.example/edition/atom.xml',
      'https://news.example/feed.json',
    ]);
  });

  it('when a page advertises no feed, then nothing is found', () => {
    expect(discoverFeeds(page('no-feed.html'), 'https://plain.example/')).toEqual([]);
  });

  it('tells HTML pages from feeds', () => {
    expect(looksLikeHtml('text/html; charset=utf-8', '')).toBe(true);
    expect(looksLikeHtml('', '<!DOCTYPE html><html>')).toBe(true);
    expect(looksLikeHtml('application/xml', '<?xml version="1.0"?><rss/>')).toBe(false);
  });
});
