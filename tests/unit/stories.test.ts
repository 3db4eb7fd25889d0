import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../src/pipeline/read-feed.js';
import { articleText, lineKey, recurringLines } from '../../src/stories/boilerplate.js';
import { creditedLinks, storyCredits } from '../../src/stories/credits.js';
import { groupItem, storyReason, titlesAgree, type StoryItem } from '../../src/stories/group-item.js';
import { blockKeys, hammingDistance, MAX_DISTANCE, probeKeys, simhash, tokens } from '../../src/stories/simhash.js';
import { runs } from '../helpers/property.js';
import { seedFeed } from '../helpers/paths.js';
import { MemoryStoryStore } from '../helpers/memory-story-store.js';
import { storyItemsOf } from '../helpers/story-items.js';

const HOUR = 3600_000;
const WINDOW = 72 * HOUR;

const ENGLISH = `North Korea has ratified a mutual defence treaty with Russia, state media reported, amid reports that
about 11,000 North Korean troops have been sent to fight in Russia's war against Ukraine. Leader Kim Jong Un signed a
decree on Monday ratifying the Comprehensive Strategic Partnership Treaty, which takes effect once the two sides
exchange instruments of ratification, the Korean Central News Agency said.
The pact, first signed in Pyongyang in June during a state visit by Russian President Vladimir Putin, obliges each
country to give the other immediate military assistance by all means if it faces aggression.
Russia's parliament ratified the treaty on November 6. South Korean, US and Ukrainian intelligence say at least 11,000
North Korean soldiers have been deployed, most of them to Russia's Kursk region.
Ukraine's President Volodymyr Zelenskyy said on Monday that Moscow had assembled a force of 50,000 troops in Kursk,
including North Korean soldiers, as it prepared a major attack to retake territory lost to Ukrainian forces.
Moscow and Pyongyang have not commented directly on the presence of North Korean troops in Russia, but the implications
of such a move have raised concern among the international community and NATO members in Europe.
For South Korea, still technically at war with its northern neighbour, the cooperation has raised fears that Pyongyang
could receive advanced nuclear technology from Moscow in exchange for its support in Ukraine. South Korean President
Yoon Suk Yeol warned earlier this month that his country could send weapons to Ukraine if the North Korean troops were
not withdrawn, and said Seoul would review and carry out the measures needed for security on the Korean peninsula.`;
const OTHER_ENGLISH = `A chip maker unveiled a faster accelerator for AI workloads on Tuesday and said it would cut prices of
its previous generation, as competition for data centre customers grows and rivals prepare their own parts for next
year. The company said the new part doubles memory bandwidth and will ship to cloud providers in the spring, with
wider availability later. Analysts said the price cut was aimed at customers who had delayed orders.`;

describe('SimHash of an item text', () => {
  it('puts a copy with a paragraph dropped within MAX_DISTANCE, and a different article far beyond it', () => {
    // A republisher's edit: one sentence of eleven dropped, dashes and case changed.
    const copy = ENGLISH.replace("Russia's parliament ratified the treaty on November 6. ", '');
    expect(hammingDistance(simhash(ENGLISH)!, simhash(copy)!)).toBeLessThanOrEqual(MAX_DISTANCE);
    expect(hammingDistance(simhash(ENGLISH)!, simhash(ENGLISH.replace(/—|-/g, ' ').toUpperCase())!)).toBe(0);
    expect(hammingDistance(simhash(ENGLISH)!, simhash(OTHER_ENGLISH)!)).toBeGreaterThan(2 * MAX_DISTANCE);
  });

  it('does the same for Hindi: the republished copies are near, the Kursk story on the same war is not', async () => {
    const text = async (file: string) =>
      (await readFeed(Buffer.from(await import('node:fs').then((fs) => fs.readFileSync(seedFeed(file)))))).items[0]!
        .contentText;
    const a = simhash(articleText(await text('hindi-republisher-a.rss')))!;
    const b = simhash(articleText(await text('hindi-republisher-b.atom')))!;
    const c = simhash(articleText(await text('hindi-republisher-c.json')))!;
    const kursk = simhash(articleText(await text('hindi-other-story.rdf')))!;
    expect(hammingDistance(a, b)).toBeLessThanOrEqual(MAX_DISTANCE);
    expect(hammingDistance(a, c)).toBeLessThanOrEqual(MAX_DISTANCE);
    for (const copy of [a, b, c]) expect(hammingDistance(copy, kursk)).toBeGreaterThan(2 * MAX_DISTANCE);
  });

  it('says nothing about a text too short to compare', () => {
    expect(simhash('The film festival in Busan opened.')).toBeNull();
  });

  it('splits Han and Kana into character pairs, so that a Japanese copy is near its original', () => {
    const ja =
      '北朝鮮はロシアとの相互防衛条約を批准したと国営メディアが伝えた。約一万一千人の北朝鮮兵士がロシアの戦争に派遣されたとの報道がある中での批准となった。' +
      '条約は六月にプーチン大統領が平壌を訪問した際に署名され、いずれかの国が侵略を受けた場合には、あらゆる手段で直ちに軍事援助を行うことを双方に義務付けている。' +
      '韓国や米国、ウクライナの情報機関によると、派遣された兵士の多くはロシア西部のクルスク州に展開しているという。ロシア議会は十一月六日に条約を批准していた。';
    expect(simhash(ja)).not.toBeNull();
    expect(
      hammingDistance(simhash(ja)!, simhash(ja.replace('国営メディアが伝えた', '国営通信が報じた'))!),
    ).toBeLessThanOrEqual(MAX_DISTANCE);
  });

  it('reads the words of the regex definition: letter, mark and number runs, spaceless scripts as character pairs', () => {
    const spaceless =
      /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
    const plainTokens = (text: string) =>
      [
        ...text
          .normalize('NFKC')
          .toLowerCase()
          .matchAll(/[\p{L}\p{M}\p{N}]+/gu),
      ].flatMap(([word]) => {
        if (!spaceless.test(word)) return [word];
        const chars = [...word];
        return chars.length === 1 ? [word] : chars.slice(1).map((c, i) => chars[i]! + c);
      });
    const piece = fc.oneof(
      fc.constantFrom(
        ' ',
        '.',
        'Corée',
        'रूस',
        'ロシア',
        '北朝鮮',
        '𠀋𠀌',
        'ภาษาไทย',
        '๏',
        'ﾛｼｱ',
        '①',
        'Ⅻ',
        '𝔸b',
        '\ud83d',
        '\ude00x',
        'ΣΑΣ',
      ),
      fc.string({ maxLength: 5 }),
      fc.string({ unit: 'grapheme', maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const text = pieces.join('');
        expect(tokens(text)).toEqual(plainTokens(text));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('gives the fingerprints of the plain definition (weights per bit over every shingle), which stored items carry', () => {
    // The definition, written plainly: +1 for each shingle hash with the bit set, -1 without.
    const fnv = (text: string, seed: number) => {
      let h = seed >>> 0;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      return (h ^ (h >>> 16)) >>> 0;
    };
    const plain = (text: string): bigint | null => {
      const words = tokens(text);
      if (words.length < 24) return null;
      const weights = new Array<number>(64).fill(0);
      for (let i = 0; i + 3 <= words.length; i++) {
        const shingle = words.slice(i, i + 3).join(' ');
        const halves = [fnv(shingle, 0x811c9dc5), fnv(shingle, 0x01000193 ^ 0x5bd1e995)];
        for (let b = 0; b < 64; b++) weights[b]! += (halves[b >> 5]! >>> (b & 31)) & 1 ? 1 : -1;
      }
      const bits = weights.reduce((v, w, b) => (w > 0 ? v | (1n << BigInt(b)) : v), 0n);
      return BigInt.asIntN(64, bits);
    };
    const word = fc.oneof(
      fc.constantFrom('the', 'treaty', 'Россия', 'रूस', 'उत्तर', 'corée', '北朝鮮', 'ロシア', 'a', '1'),
      fc.string({ minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 400 }), (words) => {
        const text = words.join(' ');
        expect(simhash(text)).toBe(plain(text));
      }),
      { numRuns: runs(300) },
    );
    for (const text of [ENGLISH, OTHER_ENGLISH]) expect(simhash(text)).toBe(plain(text));
  });

  it('keys each 16-bit block of a fingerprint by its number and value, as stored items are keyed', () => {
    const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    fc.assert(
      fc.property(i64, (hash) => {
        const u = BigInt.asUintN(64, hash);
        const blocks = [0, 1, 2, 3].map((i) => (i << 16) | Number((u >> BigInt(16 * i)) & 0xffffn));
        expect(blockKeys(hash)).toEqual(blocks);
        expect(probeKeys(hash)).toEqual(
          blocks.flatMap((k) => [k, ...Array.from({ length: 16 }, (_, b) => k ^ (1 << b))]),
        );
      }),
      { numRuns: runs(1000) },
    );
  });

  it('finds every fingerprint within MAX_DISTANCE by its probe keys (the index cannot miss one), and few others', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => BigInt.asIntN(64, v));
    fc.assert(
      fc.property(u64, fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: MAX_DISTANCE }), (hash, bits) => {
        const other = BigInt.asIntN(
          64,
          bits.reduce((h, b) => h ^ (1n << BigInt(b)), BigInt.asUintN(64, hash)),
        );
        expect(hammingDistance(hash, other)).toBe(bits.length);
        expect(blockKeys(other).some((k) => probeKeys(hash).includes(k))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // A fingerprint 7 or more bits away with those bits spread over every block is not a candidate.
    const hash = 0x0123_4567_89ab_cdefn;
    const far = [0, 1, 16, 17, 32, 33, 48, 49].reduce((h, b) => h ^ (1n << BigInt(b)), hash);
    expect(blockKeys(far).some((k) => probeKeys(hash).includes(k))).toBe(false);
  });
});

describe('boilerplate', () => {
  it('drops lines that recur across a feed and known furniture in English and Hindi', () => {
    const items = ['First story.\nFollow us on Mastodon for more!', 'Second story.\nFollow us on Mastodon for more!'];
    const recurring = recurringLines(items);
    expect(articleText(items[0]!, recurring)).toBe('First story.');
    expect(
      articleText(
        'Body.\nSource link\nइसे शेयर करें:\nX\nFacebook\nLeave a Reply\nYour email address will not be published. Required fields are marked *\nस्रोत लिंक\nहमें फ़ेसबुक और एक्स पर फ़ॉलो करें।',
      ),
    ).toBe('Body.');
    expect(articleText('Russia ratified the treaty.\nThe source said so.')).toBe(
      'Russia ratified the treaty.\nThe source said so.',
    );
  });
  it('compares lines by the same key as the plain definition: folded, spaces folded, edge punctuation and symbols trimmed', () => {
    const plain = (line: string) =>
      line
        .normalize('NFKC')
        .toLowerCase()
        .replace(/\s+/g, ' ')
        .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
    const piece = fc.oneof(
      fc.constantFrom(
        ' ',
        '\t',
        '—',
        '*',
        '…',
        '!',
        '😀',
        '𝔸',
        '北',
        'रूस',
        'Corée',
        '\u00a0',
        '\ud83d',
        '\ude00',
        '«»',
        '$',
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const line = pieces.join('');
        expect(lineKey(line)).toBe(plain(line));
      }),
      { numRuns: runs(2000) },
    );
    expect(lineKey('  — Follow us on 𝕏! 😀 ')).toBe('follow us on x');
  });
});

describe('credited sources', () => {
  const own = 'https://me.example/2024/post';
  it.each([
    [
      'a "Source link" alone in its paragraph',
      '<p>Text.</p><p><a href="https://w.example/a">Source link</a></p>',
      ['https://w.example/a'],
    ],
    [
      '"Source:" before the link',
      '<p>Source: <a href="https://w.example/a">World Wire</a></p>',
      ['https://w.example/a'],
    ],
    ['"स्रोत:" before the link', '<p>स्रोत: <a href="https://w.example/a">वर्ल्ड वायर</a></p>', ['https://w.example/a']],
    [
      '"Originally published at"',
      '<p>Originally published at <a href="https://w.example/a">World Wire</a>.</p>',
      ['https://w.example/a'],
    ],
    [
      '"Read the original article" after a sentence',
      '<p>Republished under a Creative Commons licence. Read the <a href="https://tc.example/o">original article</a>.</p>',
      ['https://tc.example/o'],
    ],
    [
      'not a link in prose that happens to read "source"',
      '<p>A <a href="https://w.example/a">source</a> close to him said so.</p>',
      [],
    ],
    ['not an ordinary link in the text', '<p>Read more about <a href="https://w.example/a">Russia</a> here.</p>', []],
    [
      'not a label followed by more text',
      '<p><a href="https://w.example/a">Source</a> of the quote is unknown.</p>',
      [],
    ],
    [
      'not share buttons',
      '<div class="share"><p>Share:</p><ul><li><a href="https://twitter.com/share">X</a></li><li><a href="https://facebook.com/share">Facebook</a></li></ul></div>',
      [],
    ],
    [
      'entities decoded in the lead, the label and the address (as sanitized HTML writes them)',
      '<p>Reuters &amp; AP. Read the <a href="https://w.example/a?id=1&amp;lang=en">original&#32;article</a>.</p><p>Quelle:&nbsp;<a href="https://x.example/b">X</a></p>',
      ['https://w.example/a?id=1&lang=en', 'https://x.example/b'],
    ],
    [
      'not a link to the item’s own site (a tag page)',
      '<p>Source: <a href="https://www.me.example/tag/russia">Russia</a></p>',
      [],
    ],
  ])('%s', (_name, html, expected) => {
    expect(creditedLinks(html, own)).toEqual(expected);
  });

  it('canonicalizes credits and leaves out home pages and the item itself', () => {
    const contentHtml =
      '<p><a href="https://w.example/a?utm_source=partner#top">Source link</a></p><p>Source: <a href="https://reuters.example/">Reuters</a></p>';
    expect(storyCredits({ url: own, contentHtml, sourceUrl: own })).toEqual(['https://w.example/a']);
    expect(storyCredits({ url: own, contentHtml: '', sourceUrl: 'https://orig.example/story?fbclid=1' })).toEqual([
      'https://orig.example/story',
    ]);
  });

  it('reads the declared links from the feed: RSS <source url>, <link rel="canonical"> in content, Atom rel="canonical", feedburner:origLink', async () => {
    const rss = await readFeed(
      Buffer.from(`<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>t</title>
      <item><title>A</title><link>https://m.site.example/a/amp</link><source url="https://orig.example/a">Orig</source><feedburner:origLink>https://site.example/a</feedburner:origLink></item>
      <item><title>B</title><link>https://site.example/b</link><description><![CDATA[<link rel="canonical" href="https://orig.example/b"><p>Body</p>]]></description></item>
      </channel></rss>`),
    );
    expect(rss.items.map((i) => [i.canonicalLink, i.sourceUrl])).toEqual([
      ['https://site.example/a', 'https://orig.example/a'],
      ['', 'https://orig.example/b'],
    ]);
    const atom = await readFeed(
      Buffer.from(`<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2024-01-01T00:00:00Z</updated>
      <entry><title>A</title><id>a</id><updated>2024-01-01T00:00:00Z</updated><link href="https://site.example/amp/a"/><link rel="canonical" href="https://site.example/a"/></entry></feed>`),
    );
    expect(atom.items[0]).toMatchObject({ url: 'https://site.example/amp/a', canonicalLink: 'https://site.example/a' });
  });
});

describe('when two items are one story', () => {
  const at = (hours: number) => new Date(Date.UTC(2024, 10, 12) + hours * HOUR);
  const item = (over: Partial<StoryItem>): StoryItem => ({
    id: 1,
    feedId: 1,
    sortAt: at(0),
    headline: 'Title',
    url: '',
    credits: [],
    simhash: null,
    ...over,
  });
  const hash = simhash(ENGLISH)!;

  it('joins near-duplicates within the window and not beyond it', () => {
    expect(
      storyReason(item({ simhash: hash }), item({ id: 2, feedId: 2, simhash: hash, sortAt: at(71) }), WINDOW),
    ).toBe('near-duplicate');
    expect(
      storyReason(item({ simhash: hash }), item({ id: 2, feedId: 2, simhash: hash, sortAt: at(73) }), WINDOW),
    ).toBeNull();
  });

  it('joins the same URL only when the titles agree (a site name added), not two entries sharing a listing page', () => {
    const url = 'https://site.example/news';
    expect(
      storyReason(
        item({ url, headline: 'Kim ratifies treaty' }),
        item({ id: 2, feedId: 2, url, headline: 'Kim ratifies treaty | World Wire' }),
        WINDOW,
      ),
    ).toBe('same-url');
    expect(
      storyReason(
        item({ url, headline: 'Kim ratifies treaty' }),
        item({ id: 2, feedId: 2, url, headline: 'Busan festival opens' }),
        WINDOW,
      ),
    ).toBeNull();
    expect(titlesAgree('This one has an author name', 'This one has en empty author tag')).toBe(false);
  });

  it('joins an item to the one it credits, whichever is seen first', () => {
    const original = item({ id: 2, feedId: 2, url: 'https://w.example/a' });
    const copy = item({ url: 'https://me.example/copy', credits: ['https://w.example/a'], headline: 'अनुवाद' });
    expect(storyReason(copy, original, WINDOW)).toBe('credits');
    expect(storyReason(original, copy, WINDOW)).toBe('credited-by');
  });

  it('never joins two items of one feed', () => {
    expect(storyReason(item({ simhash: hash }), item({ id: 2, simhash: hash }), WINDOW)).toBeNull();
  });
});

describe('grouping with a store', () => {
  const SEED = [
    'english-wire.rss',
    'french-latin1.rss',
    'hindi-other-story.rdf',
    'hindi-republisher-a.rss',
    'hindi-republisher-b.atom',
    'hindi-republisher-c.json',
  ];

  it('groups the seed feeds into the same stories in whatever order their items arrive', async () => {
    const items = (await Promise.all(SEED.map((f, i) => storyItemsOf(seedFeed(f), i + 1)))).flat();
    const partition = async (order: number[]) => {
      const store = new MemoryStoryStore();
      for (const i of order) await groupItem(store, items[i]!, WINDOW);
      return store
        .stories()
        .map((ids) =>
          ids
            .map((id) => items.find((x) => x.id === id)!.item.url)
            .sort()
            .join(' '),
        )
        .sort();
    };
    const expected = await partition(items.map((_, i) => i));
    expect(expected).toHaveLength(1);
    expect(expected[0]!.split(' ')).toHaveLength(4);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(
          items.map((_, i) => i),
          { minLength: items.length },
        ),
        async (order) => {
          expect(await partition(order)).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('founds a new story rather than put a second item of a feed in one, and merges stories an item bridges', async () => {
    const hash = simhash(ENGLISH)!;
    const store = new MemoryStoryStore();
    const base = { sortAt: new Date('2024-11-12T00:00:00Z'), headline: 'T', credits: [] as string[] };
    expect(
      await groupItem(store, { ...base, id: 1, feedId: 1, url: 'https://a.example/1', simhash: hash }, WINDOW),
    ).toEqual({ storyId: 1, merged: [] });
    expect(
      await groupItem(store, { ...base, id: 2, feedId: 2, url: 'https://b.example/2', simhash: hash }, WINDOW),
    ).toEqual({ storyId: 1, merged: [] });
    // A second copy in feed 2: story 1 already has feed 2's item.
    expect(
      await groupItem(store, { ...base, id: 3, feedId: 2, url: 'https://b.example/3', simhash: hash }, WINDOW),
    ).toEqual({ storyId: 3, merged: [] });
    // Two stories about one URL, then an item of a third feed that has the text of one and credits the other.
    await groupItem(store, { ...base, id: 10, feedId: 10, url: 'https://x.example/10', simhash: null }, WINDOW);
    await groupItem(
      store,
      { ...base, id: 11, feedId: 11, url: 'https://y.example/11', simhash: simhash(OTHER_ENGLISH) },
      WINDOW,
    );
    const bridge = await groupItem(
      store,
      {
        ...base,
        id: 12,
        feedId: 12,
        url: 'https://z.example/12',
        credits: ['https://x.example/10'],
        simhash: simhash(OTHER_ENGLISH),
      },
      WINDOW,
    );
    expect(bridge).toEqual({ storyId: 10, merged: [11] });
    expect([10, 11, 12].map((id) => store.items.get(id)!.storyId)).toEqual([10, 10, 10]);
  });

  it('leaves a split item alone: it is no candidate, and merges do not move it', async () => {
    const hash = simhash(ENGLISH)!;
    const store = new MemoryStoryStore();
    const base = {
      sortAt: new Date('2024-11-12T00:00:00Z'),
      headline: 'T',
      credits: [] as string[],
      url: '',
      simhash: hash,
    };
    await groupItem(store, { ...base, id: 1, feedId: 1 }, WINDOW);
    store.items.get(1)!.pinned = true;
    expect(await groupItem(store, { ...base, id: 2, feedId: 2 }, WINDOW)).toEqual({ storyId: 2, merged: [] });
  });
});
