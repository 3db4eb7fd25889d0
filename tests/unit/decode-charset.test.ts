import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeFeedBytes, repairDoubleEncoding } from '../../src/pipeline/parse/decode-charset.js';

const xml = (encoding: string, body: string) =>
  `<?xml version="1.0" encoding="${encoding}"?><rss><title>${body}</title></rss>`;

describe('decodeFeedBytes', () => {
  it.each([
    ['ISO-8859-1', 'Zürich café'],
    ['windows-1252', 'don’t – “quoted”'],
    ['ISO-8859-7', 'Καλημέρα'],
    ['KOI8-R', 'Москва'],
    ['windows-1251', 'Новости'],
    ['Shift_JIS', '東京のニュース'],
    ['EUC-JP', '日本語の記事'],
    ['GB18030', '北京新闻'],
    ['Big5', '臺北新聞'],
    ['EUC-KR', '서울 뉴스'],
  ])('when the XML declaration says %s, then the text decodes', (encoding, text) => {
    const bytes = iconv.encode(xml(encoding, text), encoding);
    expect(decodeFeedBytes(bytes).text).toContain(text);
  });

  it('when a UTF-16 byte order mark is present, then it wins over the declaration', () => {
    const bytes = iconv.encode('\uFEFF' + xml('ISO-8859-1', 'हिन्दी'), 'utf-16le', { addBOM: false });
    expect(decodeFeedBytes(bytes)).toMatchObject({ charset: 'utf-16le' });
    expect(decodeFeedBytes(bytes).text).toContain('हिन्दी');
  });

  it('when the HTTP header names a charset, then it wins over the declaration', () => {
    const bytes = iconv.encode(xml('UTF-8', 'Москва'), 'koi8-r');
    expect(decodeFeedBytes(bytes, 'application/rss+xml; charset=KOI8-R').text).toContain('Москва');
  });

  it('when bytes declared UTF-8 are not UTF-8, then they are read as windows-1252', () => {
    const bytes = iconv.encode(xml('UTF-8', 'café'), 'windows-1252');
    expect(decodeFeedBytes(bytes).text).toContain('café');
  });

  it('when text was UTF-8 encoded twice, then each run is repaired and real text is left alone', () => {
    expect(repairDoubleEncoding('fÃ¼r â€žMÃ¼nchenâ€œ')).toBe('für „München“');
    expect(repairDoubleEncoding('Ã la carte — São Paulo')).toBe('Ã la carte — São Paulo');
  });
});
