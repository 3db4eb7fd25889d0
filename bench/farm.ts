import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng, vocab, zipf } from './rules.js';

/*
 * The feed farm: N generated feeds served from many loopback hosts, for the ingest benchmark
 * (`npm run bench -- ingest`). Everything is drawn from a seeded generator, so a run serves the
 * same bytes every time. Feeds are RSS 2.0, Atom 1.0 or JSON Feed 1.1 with 20–80 items of
 * 0.8–4 KB of text as HTML each, in English, Hindi, Japanese or French; a known share of items are planted
 * copies of an item of another feed (republished with small edits, or a translation that
 * credits the original with a "Source:" link), so that story grouping can be scored. Bodies
 * are rendered before the clock starts and answered with ETag and Last-Modified (304 when
 * unchanged); `change(fraction)` gives that share of feeds one to three new items.
 */

export type FarmFormat = 'rss' | 'atom' | 'json';
type Lang = 'en' | 'hi' | 'ja' | 'fr';

export interface FarmItem {
  guid: string;
  url: string;
  title: string;
  html: string;
  published: Date;
  /** The planted story this item belongs to (the original and its copies), if any. */
  story: number | null;
}

export interface FarmFeed {
  index: number;
  host: string;
  path: string;
  format: FarmFormat;
  lang: Lang;
  title: string;
  items: FarmItem[];
  version: number;
  body: Buffer;
  etag: string;
  lastModified: string;
}

export interface FarmOptions {
  feeds: number;
  /** Feeds served by one host (its own loopback address); 1 as on the internet. */
  feedsPerHost?: number;
  seed?: number;
  /** Share of items that are planted copies of another feed's item. */
  copies?: number;
  /** Items per feed; 20–80 (50 on average) when not given. */
  items?: number;
}

const LANGS: Lang[] = ['en', 'hi', 'ja', 'fr'];
const KANA = [...'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん'];
const KANJI = [...'日本東京政府経済会議国際首相発表市場企業社会問題地域教育技術研究'];
const FRENCH = ['le', 'la', 'les', 'un', 'une', 'de', 'du', 'et', 'à', 'pour', 'avec', 'gouvernement', 'été', 'accord'];
const START = Date.parse('2026-12-04T00:00:00Z');

/** The loopback address of host number h (1-based): 127.x.y.z, never 127.0.0.1. */
export function hostAddress(h: number): string {
  return `127.${1 + ((h >> 16) & 0x7f)}.${(h >> 8) & 255}.${h & 255}`;
}

function words(lang: Lang, n: number, rand: () => number): string {
  if (lang === 'ja') {
    return Array.from({ length: n }, () =>
      Array.from({ length: 2 + Math.floor(rand() * 3) }, () =>
        rand() < 0.4 ? KANJI[Math.floor(rand() * KANJI.length)] : KANA[Math.floor(rand() * KANA.length)],
      ).join(''),
    ).join(rand() < 0.1 ? '、' : '');
  }
  if (lang === 'fr') {
    return Array.from({ length: n }, () =>
      rand() < 0.4 ? FRENCH[Math.floor(rand() * FRENCH.length)] : zipf(vocab.en, rand),
    ).join(' ');
  }
  return Array.from({ length: n }, () => zipf(vocab[lang], rand)).join(' ');
}

function article(lang: Lang, rand: () => number): { title: string; html: string } {
  const size = 800 + Math.floor(rand() * 3200);
  const paragraphs: string[] = [];
  let bytes = 0;
  while (bytes < size) {
    const p = words(lang, 25 + Math.floor(rand() * 30), rand);
    paragraphs.push(p);
    bytes += Buffer.byteLength(p);
  }
  const html = paragraphs
    .map((p, k) =>
      k % 4 === 1
        ? `<p>${p.slice(0, 40)} <a href="https://ref.example/${k}">${p.slice(40, 70)}</a>${p.slice(70)}</p>`
        : `<p>${p}</p>`,
    )
    .join('\n');
  return { title: words(lang, lang === 'ja' ? 5 : 9, rand), html };
}

/** One small edit of a republished copy: a word changed in a few paragraphs. */
function republished(html: string, rand: () => number): string {
  return html.replace(/<p>(\S+)/g, (whole, first: string) => (rand() < 0.3 ? `<p>${first.toUpperCase()}` : whole));
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function render(feed: Omit<FarmFeed, 'body' | 'etag' | 'lastModified'>, origin: string): Buffer {
  const self = `${origin}${feed.path}`;
  const site = `http://${feed.host}/`;
  if (feed.format === 'json') {
    return Buffer.from(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: feed.title,
        home_page_url: site,
        feed_url: self,
        language: feed.lang,
        items: feed.items.map((i) => ({
          id: i.guid,
          url: i.url,
          title: i.title,
          content_html: i.html,
          summary: i.title,
          date_published: i.published.toISOString(),
        })),
      }),
    );
  }
  if (feed.format === 'atom') {
    return Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${feed.lang}"><title>${escapeXml(feed.title)}</title>` +
        `<id>${self}</id><link rel="alternate" href="${site}"/><link rel="self" href="${self}"/><updated>${feed.items[0]!.published.toISOString()}</updated>` +
        feed.items
          .map(
            (i) =>
              `<entry><id>${escapeXml(i.guid)}</id><title>${escapeXml(i.title)}</title><link rel="alternate" href="${escapeXml(i.url)}"/>` +
              `<published>${i.published.toISOString()}</published><updated>${i.published.toISOString()}</updated>` +
              `<content type="html">${escapeXml(i.html)}</content></entry>`,
          )
          .join('') +
        '</feed>',
    );
  }
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>` +
      `<title>${escapeXml(feed.title)}</title><link>${site}</link><description>Farm feed ${feed.index}</description><language>${feed.lang}</language>` +
      feed.items
        .map(
          (i) =>
            `<item><guid isPermaLink="false">${escapeXml(i.guid)}</guid><title>${escapeXml(i.title)}</title><link>${escapeXml(i.url)}</link>` +
            `<pubDate>${i.published.toUTCString()}</pubDate><description>${escapeXml(i.title)}</description>` +
            `<content:encoded><![CDATA[${i.html}]]></content:encoded></item>`,
        )
        .join('') +
      '</channel></rss>',
  );
}

/** The farm's feeds, generated from the seed: the same options give the same bytes. */
export class Farm {
  readonly feeds: FarmFeed[] = [];
  private readonly rand: () => number;
  private nextItem = 0;
  private port = 0;

  constructor(readonly options: FarmOptions) {
    this.rand = prng(options.seed ?? 16);
  }

  private newItem(feed: { index: number; host: string; lang: Lang }, at: Date): FarmItem {
    const n = this.nextItem++;
    const { title, html } = article(feed.lang, this.rand);
    return {
      guid: `farm-${feed.index}-${n}`,
      url: `http://${feed.host}/news/${feed.index}/${n}`,
      title,
      html,
      published: at,
      story: null,
    };
  }

  /** Generates every feed and its planted copies (before listening: the URLs need the port). */
  generate(port: number): this {
    this.port = port;
    const { feeds, feedsPerHost = 1, copies = 0.02 } = this.options;
    const drafts = Array.from({ length: feeds }, (_, index) => {
      const host = hostAddress(1 + Math.floor(index / feedsPerHost));
      const lang = LANGS[index % LANGS.length]!;
      const format = (['rss', 'atom', 'json'] as const)[index % 3]!;
      const count = this.options.items ?? 20 + Math.floor(this.rand() * 61);
      const feed = { index, host, lang, format, path: `/feeds/${index}.${format === 'json' ? 'json' : 'xml'}` };
      const items = Array.from({ length: count }, (_, k) =>
        this.newItem(feed, new Date(START + ((index * 7919 + k * 3_600_000) % (48 * 3_600_000)))),
      );
      return { ...feed, title: `Farm ${lang} ${index}`, items, version: 1 };
    });
    // Planted stories: an item of one feed copied into other feeds, republished or translated.
    const total = drafts.reduce((n, f) => n + f.items.length, 0);
    const planted = Math.floor((total * copies) / 2);
    for (let story = 0; story < planted; story++) {
      const from = drafts[Math.floor(this.rand() * drafts.length)]!;
      const original = from.items[Math.floor(this.rand() * from.items.length)]!;
      if (original.story !== null) continue;
      original.story = story;
      for (let c = 0; c < 1 + Math.floor(this.rand() * 3); c++) {
        const to = drafts[Math.floor(this.rand() * drafts.length)]!;
        if (to === from) continue;
        const slot = Math.floor(this.rand() * to.items.length);
        if (to.items[slot]!.story !== null) continue;
        const translate = to.lang !== from.lang && this.rand() < 0.5;
        const copy = translate
          ? {
              ...article(to.lang, this.rand),
              credit: `<p>Source: <a href="${original.url}">${escapeXml(from.title)}</a></p>`,
            }
          : { title: original.title, html: republished(original.html, this.rand), credit: '' };
        to.items[slot] = {
          ...to.items[slot]!,
          title: copy.title,
          html: copy.html + copy.credit,
          published: new Date(original.published.getTime() + 3_600_000),
          story,
        };
      }
    }
    for (const draft of drafts) this.feeds.push(this.rendered(draft));
    return this;
  }

  private rendered(draft: Omit<FarmFeed, 'body' | 'etag' | 'lastModified'>): FarmFeed {
    const body = render(draft, `http://${draft.host}:${this.port}`);
    return {
      ...draft,
      body,
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      lastModified: new Date(START + draft.version * 60_000).toUTCString(),
    };
  }

  /** Gives `fraction` of the feeds (every k-th) one to three new items; returns how many changed. */
  change(fraction: number, at = new Date()): { feeds: number; items: number } {
    const step = Math.max(1, Math.round(1 / fraction));
    let items = 0;
    let changed = 0;
    for (let i = 0; i < this.feeds.length; i += step) {
      const feed = this.feeds[i]!;
      const fresh = Array.from({ length: 1 + Math.floor(this.rand() * 3) }, () => this.newItem(feed, at));
      items += fresh.length;
      changed++;
      this.feeds[i] = this.rendered({ ...feed, items: [...fresh, ...feed.items], version: feed.version + 1 });
    }
    return { feeds: changed, items };
  }

  url(feed: FarmFeed): string {
    return `http://${feed.host}:${this.port}${feed.path}`;
  }

  /** Every item of every feed, and the planted stories: which items are one article. */
  get itemCount(): number {
    return this.feeds.reduce((n, f) => n + f.items.length, 0);
  }
}

/**
 * Serves a farm on every loopback address at one port (a socket from outside 127.0.0.0/8 is
 * closed at once): the request's own address says which host it reached.
 */
export async function serveFarm(
  options: FarmOptions,
  port = 0,
): Promise<{ farm: Farm; server: http.Server; politeness: Politeness; control: FarmControl }> {
  const byPath = new Map<string, FarmFeed>();
  let farm: Farm | null = null;
  const politeness = new Politeness();
  const control: FarmControl = { hangUntil: 0, lastRequestAt: new Map() };
  const server = http.createServer(async (req, res) => {
    politeness.started(req.socket.localAddress ?? '', res);
    const feed = farm?.feeds[byPath.get(req.url ?? '')?.index ?? -1];
    if (!feed || req.socket.localAddress !== feed.host) {
      res.writeHead(404).end();
      return;
    }
    control.lastRequestAt.set(feed.index, Date.now());
    const hang = control.hangUntil - Date.now();
    if (hang > 0) await new Promise((r) => setTimeout(r, hang));
    if (res.destroyed) return;
    const headers = { etag: feed.etag, 'last-modified': feed.lastModified };
    if (req.headers['if-none-match'] === feed.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const type =
      feed.format === 'json'
        ? 'application/feed+json'
        : feed.format === 'atom'
          ? 'application/atom+xml'
          : 'application/rss+xml';
    res.writeHead(200, { ...headers, 'content-type': type, 'content-length': feed.body.length }).end(feed.body);
  });
  server.on('connection', (socket) => {
    if (!socket.remoteAddress?.startsWith('127.') && !socket.remoteAddress?.startsWith('::ffff:127.')) socket.destroy();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
  farm = new Farm(options).generate((server.address() as AddressInfo).port);
  for (const feed of farm.feeds) byPath.set(feed.path, feed);
  return { farm, server, politeness, control };
}

/** What a test may do to a served farm: make it hang, and see when each feed was last asked for. */
export interface FarmControl {
  /** Until this time (ms since the epoch) every answer waits: a farm that hangs. */
  hangUntil: number;
  /** Each feed's (by index) latest request. */
  lastRequestAt: Map<number, number>;
}

/** What the farm saw of the service's manners: most requests at once to one host, least time between two. */
export class Politeness {
  private readonly inFlight = new Map<string, number>();
  private readonly lastStart = new Map<string, number>();
  maxConcurrent = 0;
  minGapMs = Infinity;

  started(host: string, res: http.ServerResponse): void {
    const now = performance.now();
    const last = this.lastStart.get(host);
    if (last !== undefined) this.minGapMs = Math.min(this.minGapMs, now - last);
    this.lastStart.set(host, now);
    const n = (this.inFlight.get(host) ?? 0) + 1;
    this.inFlight.set(host, n);
    this.maxConcurrent = Math.max(this.maxConcurrent, n);
    res.once('close', () => this.inFlight.set(host, (this.inFlight.get(host) ?? 1) - 1));
  }

  /** Starts counting afresh (a new pass). */
  reset(): void {
    this.maxConcurrent = 0;
    this.minGapMs = Infinity;
    this.lastStart.clear();
  }
}
