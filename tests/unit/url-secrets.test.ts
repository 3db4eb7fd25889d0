import { describe, expect, it } from 'vitest';
import { logSerializers } from '../../src/logger.js';
import { isSecretParam, maskUrl, maskUrlsIn, splitCredentials } from '../../src/pipeline/fetch/url-secrets.js';

describe('maskUrl', () => {
  it.each([
    ['https://alice:s3cret@example.com/feed.xml', 'https://***:***@example.com/feed.xml'],
    ['https://TOKEN123@example.com/feed.xml', 'https://***@example.com/feed.xml'],
    ['https://example.com/rss?apikey=abc123&lang=en', 'https://example.com/rss?apikey=***&lang=en'],
    [
      'https://example.com/rss?lang=en&api_key=abc&x-auth-token=t',
      'https://example.com/rss?lang=en&api_key=***&x-auth-token=***',
    ],
    [
      'https://example.com/rss?token=a&access_token=b&sig=c&key=d',
      'https://example.com/rss?token=***&access_token=***&sig=***&key=***',
    ],
    [
      'https://example.com/rss?Password=p&session_id=s&hash=h',
      'https://example.com/rss?Password=***&session_id=***&hash=***',
    ],
    ['https://u:p@example.com/rss?secret=s#frag', 'https://***:***@example.com/rss?secret=***#frag'],
  ])('%s → %s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  it.each([
    'https://example.com/feed.xml',
    'https://example.com/rss?keyword=russia&page=2&monkey=1&format=atom',
    'https://example.com/search?q=a%20b&sort=new',
    'https://example.com/rss?token=',
    'not a url',
  ])('leaves %s as it is', (url) => {
    expect(maskUrl(url)).toBe(url);
  });

  it('masks every URL inside a message, and nothing else', () => {
    expect(maskUrlsIn('GET https://u:pw@a.example/x?key=k failed; see http://b.example/?apikey=z.')).toBe(
      'GET https://***:***@a.example/x?key=*** failed; see http://b.example/?apikey=***.',
    );
    expect(maskUrlsIn('HTTP 404 Not Found')).toBe('HTTP 404 Not Found');
  });

  it('names secret parameters by their parts, not by substrings', () => {
    expect(isSecretParam('API-Key')).toBe(true);
    expect(isSecretParam('auth')).toBe(true);
    expect(isSecretParam('author')).toBe(false);
    expect(isSecretParam('passage')).toBe(false);
  });
});

describe('splitCredentials', () => {
  it('turns user:password@ into HTTP Basic and strips it from the URL', () => {
    const { url, authorization } = splitCredentials(new URL('http://al%40ice:p%3Ass@h.example/f?x=1'));
    expect(url.href).toBe('http://h.example/f?x=1');
    expect(Buffer.from(authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('al@ice:p:ss');
  });

  it('leaves a URL without credentials alone', () => {
    expect(splitCredentials(new URL('http://h.example/f')).authorization).toBeNull();
  });
});

describe('log serializers', () => {
  it('mask feed URLs and URLs in errors', () => {
    expect(logSerializers.url('https://u:p@h.example/f?token=t')).toBe('https://***:***@h.example/f?token=***');
    expect(logSerializers.err('cannot fetch https://h.example/f?apikey=k')).toBe(
      'cannot fetch https://h.example/f?apikey=***',
    );
    const err = logSerializers.err(new Error('refused https://u:p@h.example/')) as { message: string; stack: string };
    expect(err.message).toBe('refused https://***:***@h.example/');
    expect(err.stack).not.toContain('u:p@');
  });
});
