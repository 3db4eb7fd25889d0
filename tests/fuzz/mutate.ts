/*
 * Seeded mutations of feed documents, for the feed fuzzer: each takes a document's bytes and a
 * random source and returns hostile bytes of one kind (corrupt, cut, bloated, badly encoded),
 * so that a failing case can be named and replayed from its seed.
 */

export type Rand = () => number;

/** A small, fast, seeded generator (mulberry32): the same seed gives the same cases. */
export function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rand: Rand, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Rand, list: readonly T[]): T => list[int(rand, list.length)]!;

/** Where the first element of a kind starts in the text ("<item", "<entry", a JSON item), or -1. */
function firstItem(text: string): { start: number; end: number } | null {
  for (const [open, close] of [
    ['<item', '</item>'],
    ['<entry', '</entry>'],
  ] as const) {
    const start = text.indexOf(open);
    const end = text.indexOf(close, start);
    if (start >= 0 && end > start) return { start, end: end + close.length };
  }
  return null;
}

const BOMB = `<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY ext SYSTEM "file:///etc/passwd">
]>`;

export interface Mutation {
  name: string;
  apply(doc: Buffer, rand: Rand): Buffer;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'bytes flipped',
    apply(doc, rand) {
      const out = Buffer.from(doc);
      for (let i = 0, n = 1 + int(rand, 40); i < n && out.length; i++) out[int(rand, out.length)] = int(rand, 256);
      return out;
    },
  },
  { name: 'cut off', apply: (doc, rand) => doc.subarray(0, int(rand, doc.length)) },
  {
    name: 'slice repeated',
    apply(doc, rand) {
      const at = int(rand, doc.length);
      const slice = doc.subarray(at, at + 1 + int(rand, 2000));
      return Buffer.concat([doc.subarray(0, at), ...Array(1 + int(rand, 50)).fill(slice), doc.subarray(at)]);
    },
  },
  {
    name: 'nested entities and an external entity',
    apply(doc) {
      const text = doc.toString('latin1');
      const decl = /^\s*<\?xml[^>]*\?>/.exec(text)?.[0] ?? '';
      const body = text.slice(decl.length).replace(/<title>/, '<title>&e;&ext;');
      return Buffer.from(decl + BOMB + body, 'latin1');
    },
  },
  {
    name: 'huge attribute',
    apply(doc, rand) {
      const text = doc.toString('latin1');
      const at = text.indexOf('<', 1 + int(rand, Math.max(1, text.length - 1)));
      if (at < 0) return doc;
      const tagEnd = text.indexOf('>', at);
      const huge = ` data-x="${'x'.repeat(1 + int(rand, 4 * 2 ** 20))}"`;
      return Buffer.from(text.slice(0, tagEnd) + huge + text.slice(tagEnd), 'latin1');
    },
  },
  {
    name: 'deep nesting',
    apply(doc, rand) {
      const depth = 1000 + int(rand, 200_000);
      const text = doc.toString('latin1');
      const item = firstItem(text);
      const at = item ? text.indexOf('>', item.start) + 1 : text.length >> 1;
      return Buffer.from(
        text.slice(0, at) + '<x>'.repeat(depth) + '</x>'.repeat(rand() < 0.5 ? depth : 0) + text.slice(at),
        'latin1',
      );
    },
  },
  {
    name: 'invalid UTF-8',
    apply(doc, rand) {
      const bad = [[0xc3, 0x28], [0xff], [0x80], [0xe2, 0x82], [0xf0, 0x90, 0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf]];
      let out = doc;
      for (let i = 0, n = 1 + int(rand, 20); i < n; i++) {
        const at = int(rand, out.length);
        out = Buffer.concat([out.subarray(0, at), Buffer.from(pick(rand, bad)), out.subarray(at)]);
      }
      return out;
    },
  },
  {
    name: 'UTF-16, declared or not, with lone surrogates',
    apply(doc, rand) {
      let text = doc.toString('utf8');
      if (rand() < 0.5) text = text.replace(/<title>/, '<title>\ud800x\udfff');
      if (rand() < 0.3) text = text.replace(/encoding="[^"]*"/, 'encoding="utf-16"');
      const le = Buffer.from(text, 'utf16le');
      const bom = rand() < 0.5 ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0);
      if (rand() < 0.5) return Buffer.concat([bom, le]);
      const be = Buffer.from(le);
      be.swap16();
      return Buffer.concat([rand() < 0.5 ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), be]);
    },
  },
  {
    name: 'thousands of items',
    apply(doc, rand) {
      const text = doc.toString('utf8');
      const item = firstItem(text);
      if (!item) return doc;
      const one = text.slice(item.start, item.end);
      // Thousands, as long as the document stays within what a fetch reads (the item may be huge already).
      const count = Math.min(2000 + int(rand, 8000), Math.floor((16 * 2 ** 20) / Math.max(1, one.length)));
      const copies = Array.from({ length: count }, (_, i) =>
        rand() < 0.5 ? one : one.replace(/(<guid[^>]*>|<id>)/, `$1${i}-`),
      );
      return Buffer.from(text.slice(0, item.start) + copies.join('') + text.slice(item.start), 'utf8');
    },
  },
  {
    name: 'NUL and control characters',
    apply(doc, rand) {
      let out = doc;
      for (let i = 0, n = 1 + int(rand, 30); i < n; i++) {
        const at = int(rand, out.length);
        out = Buffer.concat([
          out.subarray(0, at),
          Buffer.from([pick(rand, [0, 1, 8, 0x1b, 0x7f, 0x0b])]),
          out.subarray(at),
        ]);
      }
      return out;
    },
  },
  {
    name: 'encoding declared wrongly',
    apply(doc, rand) {
      const text = doc.toString('latin1');
      const enc = pick(rand, ['utf-7', 'x-unknown', 'ebcdic-cp-us', 'utf-32', 'iso-2022-jp', '', 'shift_jis', 'ucs-2']);
      const out = /encoding="[^"]*"/.test(text)
        ? text.replace(/encoding="[^"]*"/, `encoding="${enc}"`)
        : `<?xml version="1.0" encoding="${enc}"?>${text}`;
      return Buffer.from(out, 'latin1');
    },
  },
  {
    name: 'hostile markup in content',
    apply(doc, rand) {
      const payload = pick(rand, [
        '<![CDATA[<script>alert(1)</script><img src=x onerror=alert(1)>]]>',
        '&lt;iframe src="javascript:alert(1)"&gt;',
        '<![CDATA[' + '<div>'.repeat(50_000) + ']]>',
        '<![CDATA[<a href="' + 'javascript:'.repeat(10_000) + '">x</a>]]>',
        '&#0;&#xD800;&#x110000;&#99999999999;&amp;&unknown;',
      ]);
      return Buffer.from(
        doc.toString('utf8').replace(/<(description|content|summary)([^>]*)>/, `<$1$2>${payload}`),
        'utf8',
      );
    },
  },
];

/** JSON Feed mutations: wrong types, huge and odd values in the places readers look. */
export function mutateJsonFeed(doc: Buffer, rand: Rand): Buffer {
  let feed: any;
  try {
    feed = JSON.parse(doc.toString('utf8'));
  } catch {
    return doc;
  }
  const odd = [
    null,
    1e308,
    -1,
    '',
    '\u0000',
    [],
    {},
    true,
    'x'.repeat(100_000),
    '2026-99-99T99:99:99Z',
    '+275760-09-13T00:00:00Z',
  ];
  const items: any[] = Array.isArray(feed.items) ? feed.items : [];
  for (let i = 0, n = 1 + int(rand, 10); i < n; i++) {
    const target = items.length && rand() < 0.8 ? pick(rand, items) : feed;
    if (target && typeof target === 'object') {
      const key = pick(rand, [
        'id',
        'url',
        'title',
        'content_html',
        'content_text',
        'date_published',
        'authors',
        'tags',
        'items',
        'language',
        'attachments',
        'summary',
      ]);
      target[key] = pick(rand, odd);
    }
  }
  let text: string;
  try {
    text = JSON.stringify(feed);
  } catch {
    return doc; // nested too deep to write back (an earlier mutation): keep it as it is
  }
  if (rand() >= 0.2 || !text.startsWith('{')) return Buffer.from(text);
  // Nesting deeper than any reader expects, written as text (JSON.stringify would recurse).
  const depth = 1000 + int(rand, 100_000);
  return Buffer.from(`{"extra":${'{"x":'.repeat(depth)}{}${'}'.repeat(depth)},${text.slice(1)}`);
}
