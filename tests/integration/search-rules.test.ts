import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

// One article, long enough to be fingerprinted: its copies in two feeds are one story.
const ARTICLE = Array.from(
  { length: 5 },
  (_, i) =>
    `Paragraph ${i + 1} of the agency report says the delegations from Moscow met in Geneva and agreed to meet again after the exchange of documents.`,
).join(' ');

interface Entry {
  guid: string;
  title: string;
  summary?: string;
  content?: string;
  categories?: string[];
  author?: string;
}

const rss = (name: string, lang: string, entries: Entry[]) =>
  `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>${name}</title><link>http://${name}.test/</link><language>${lang}</language>${entries
    .map(
      (e, i) =>
        `<item><guid>${e.guid}</guid><title>${e.title}</title><link>http://${name}.test/${e.guid}</link><pubDate>${new Date(Date.UTC(2026, 10, 1, 0, i)).toUTCString()}</pubDate>${e.summary ? `<description>${e.summary}</description>` : ''}${e.content ? `<content:encoded><![CDATA[<p>${e.content}</p>]]></content:encoded>` : ''}${(e.categories ?? []).map((c) => `<category>${c}</category>`).join('')}${e.author ? `<dc:creator>${e.author}</dc:creator>` : ''}</item>`,
    )
    .join('')}</channel></rss>`;

const WORLD: Entry[] = [
  { guid: 'w1', title: 'North Korea fires a missile', content: 'Pyongyang launched a missile toward the sea.' },
  { guid: 'w2', title: 'Korea, north of the border', content: 'The north is quiet; Korea waits.' },
  { guid: 'w3', title: 'Talks in Moscow', content: 'Russia and Ukraine resume talks.' },
  // The story's earliest copy mentions Ukraine; the later one (feed "agency") does not.
  { guid: 'w4', title: 'Russia and Ukraine delegations meet', content: ARTICLE },
  { guid: 'w5', title: 'La Corée du Nord', content: 'Les négociations reprennent à Séoul.' },
  { guid: 'w6', title: 'Teaser', summary: 'A Koreanist on the summit in Kazan.', content: 'The interview follows.' },
  { guid: 'w7', title: 'Tagged', content: 'Nothing here.', categories: ['Politics', 'East Asia'] },
  { guid: 'w8', title: "Korea's economy", content: 'Korean exports rose; COVID-19 rules eased.', author: 'Kim Smith' },
  { guid: 'w9', title: 'Russia hosts a summit', content: 'Russia and China hold a summit in Kazan.' },
  { guid: 'w10', title: 'Weather', content: 'Mild in Oslo.' },
];
const AGENCY: Entry[] = [
  { guid: 'a1', title: 'Russia delegation meets in Geneva', content: ARTICLE },
  { guid: 'a2', title: 'रूस और उत्तर कोरिया', content: 'रूस ने उत्तर कोरिया के साथ समझौता किया।' },
  { guid: 'a3', title: 'रूस और यूक्रेन', content: 'रूस और यूक्रेन की बातचीत।' },
  { guid: 'a4', title: '東京で会議', content: '東京都の会議で北朝鮮について話した。' },
  { guid: 'a5', title: '北京峰会', content: '中国和俄罗斯在北京举行峰会。' },
  { guid: 'a6', title: 'قمة في موسكو', content: 'روسيا وكوريا الشمالية توقعان اتفاقا' },
];

const RULES = [
  'korea',
  '"north korea"',
  'russia -ukraine',
  'coree',
  'korea*',
  '(russia OR china) AND summit',
  'summary:koreanist OR title:summit',
  'category:"east asia"',
  'author:smith',
  'रूस -यूक्रेन',
  '"उत्तर कोरिया"',
  '東京',
  '会議 OR 峰会',
  'روسيا',
  'COVID-19',
  'geneva',
];

// Search in the rule language (issue 18, part 6): `q` is a topic rule, and the answer is what a
// topic with that rule holds, with the same stories.
describe('search in the rule language', () => {
  let h: Harness;
  let feeds: FeedServer;
  const ids = async (path: string) =>
    ((await h.api('GET', path)).body.items as { id: number }[]).map((i) => i.id).sort((a, b) => a - b);

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness();
    feeds.set('/world.rss', { body: rss('world', 'en', WORLD) });
    feeds.set('/agency.rss', { body: rss('agency', 'en', AGENCY) });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/world.rss') });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/agency.rss') });
    for (const [n, rule] of RULES.entries()) {
      const made = await h.api('POST', '/api/v1/topics', { slug: `r${n}`, name: rule, rule });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    await eventually(
      async () => {
        const topics = (await h.api('GET', '/api/v1/topics')).body.topics as { retag: { status: string } }[];
        const ungrouped = await h.db.selectFrom('ungrouped_items').select('item_id').execute();
        return topics.every((t) => t.retag.status === 'done') && ungrouped.length === 0;
      },
      30_000,
      'topics re-tagged and items grouped',
    );
    const story = await h.db.selectFrom('items').select('story_id').where('guid', 'in', ['w4', 'a1']).execute();
    expect(new Set(story.map((s) => s.story_id)).size).toBe(1);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  it.each(RULES.map((rule, n) => [rule, n] as const))(
    'when %s is searched, then the answer is what the topic with that rule holds',
    async (rule, n) => {
      const q = encodeURIComponent(rule);
      const topicItems = await ids(`/api/v1/items?topic=r${n}&stories=false&limit=200`);
      expect(topicItems.length, `the topic ${rule} holds something`).toBeGreaterThan(0);
      expect(await ids(`/api/v1/items?q=${q}&stories=false&limit=200`)).toEqual(topicItems);
      // One per story, the same story faces as the topic's.
      expect(await ids(`/api/v1/items?q=${q}&limit=200`)).toEqual(await ids(`/api/v1/items?topic=r${n}&limit=200`));
    },
  );

  it('when a search pages by cursor, then the pages together are the whole answer, each item once', async () => {
    const all = await ids('/api/v1/items?q=korea*&stories=false&limit=200');
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.api(
        'GET',
        `/api/v1/items?q=korea*&stories=false&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...(res.body.items as { id: number }[]).map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged.sort((a, b) => a - b)).toEqual(all);
  });

  it("when the story's better copy does not match, then the copy that does stands for it", async () => {
    const [w4, a1] = await Promise.all(
      ['w4', 'a1'].map(
        async (g) => (await h.db.selectFrom('items').select('id').where('guid', '=', g).executeTakeFirstOrThrow()).id,
      ),
    );
    const found = await ids(`/api/v1/items?q=${encodeURIComponent('russia -ukraine')}`);
    expect(found).toContain(a1);
    expect(found).not.toContain(w4);
  });

  it('when q is not a valid rule, then the answer is a 400 that points at the mistake', async () => {
    const res = await h.api('GET', `/api/v1/items?q=${encodeURIComponent('(korea OR')}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_rule', details: { position: expect.any(Number) } });
    expect((await h.api('GET', `/api/v1/items?q=${encodeURIComponent('-ukraine')}`)).body.error.code).toBe(
      'invalid_rule',
    );
  });
});
