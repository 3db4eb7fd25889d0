import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFeed } from '../helpers/paths.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

const SEED: [string, string][] = [
  ['english-wire.rss', 'application/rss+xml'],
  ['french-latin1.rss', 'application/rss+xml'],
  ['hindi-other-story.rdf', 'application/rdf+xml'],
  ['hindi-republisher-a.rss', 'application/rss+xml; charset=utf-8'],
  ['hindi-republisher-b.atom', 'application/atom+xml'],
  ['hindi-republisher-c.json', 'application/feed+json'],
];

const TREATY = 'https://world-wire.example/news/2024/11/12/north-korea-ratifies-treaty-with-russia';
const HINDI_A = 'https://hindi-samachar-a.example/?p=48213';
const HINDI_B = 'tag:vishwa-samachar-b.example,2024:post-9931';
const HINDI_C = 'https://khabar-sansar-c.example/p/russia-north-korea-treaty';
const KURSK = 'https://yuddh-khabar-e.example/kursk-50000';
const FRENCH = 'https://nouvelles-f.example/monde/coree-russie-traite';
const CULTURE = 'https://world-wire.example/culture/2024/11/12/busan-festival';

/** The seed event of tests/fixtures/seed (its README says what a correct service makes of it). */
describe('the seed event across six feeds in four formats and two scripts', () => {
  let h: Harness;
  let feeds: FeedServer;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    h = await startHarness();
    const topics = [
      ['treaty', '(russia OR रूस) AND ("north korea" OR "उत्तर कोरिया")'],
      ['war', 'रूस OR russia OR यूक्रेन OR ukraine OR russie'],
      ['korea', 'korea*'],
      ['title-nk', 'title:"north korea"'],
    ];
    for (const [slug, rule] of topics)
      expect((await h.api('POST', '/api/v1/topics', { slug, name: slug, rule })).status).toBe(201);
    for (const [file, contentType] of SEED) {
      feeds.set(`/${file}`, { body: readFileSync(seedFeed(file)), contentType });
      expect((await h.api('POST', '/api/v1/feeds', { url: feeds.url(`/${file}`) })).status).toBe(201);
    }
    await eventually(
      async () => (await h.api('GET', '/api/v1/items?limit=200&stories=false')).body.items.length === 9,
      15_000,
      'all seed items',
    );
    // Grouping follows each feed's store; the last feed's items may still be on their way.
    await eventually(
      async () => (await h.api('GET', '/api/v1/items?limit=200')).body.items.length === 6,
      10_000,
      'the seed stories',
    );
  });
  afterAll(async () => {
    await h?.stop();
    await feeds?.stop();
  });

  const guidsIn = async (topic: string, stories = false) =>
    ((await h.api('GET', `/api/v1/items?topic=${topic}&limit=200&stories=${stories}`)).body.items as any[])
      .map((i) => i.guid)
      .sort();

  it('when the Hindi copies and the English report arrive, then all four land in the treaty topic, and the Kursk story does not', async () => {
    expect(await guidsIn('treaty')).toEqual([HINDI_A, HINDI_B, HINDI_C, TREATY].sort());
  });

  it('when a topic lists the war in three languages, then the French report and the Kursk story join it', async () => {
    expect(await guidsIn('war')).toEqual([HINDI_A, HINDI_B, HINDI_C, TREATY, FRENCH, KURSK].sort());
  });

  it('when a rule uses a prefix or a field, then it matches only there', async () => {
    expect(await guidsIn('korea')).toEqual([CULTURE, TREATY].sort());
    expect(await guidsIn('title-nk')).toEqual([TREATY]);
  });

  it('when the Hindi article matches, then the API says which terms matched and where', async () => {
    const items = (await h.api('GET', '/api/v1/items?topic=treaty&limit=200&stories=false')).body.items as any[];
    const a = items.find((i) => i.guid === HINDI_A);
    const tag = a.topics.find((t: any) => t.slug === 'treaty');
    expect(tag.terms.map((t: any) => t.term).sort()).toEqual(['"उत्तर कोरिया"', 'रूस'].sort());
    expect(tag.terms[0].fields).toContain('title');
  });

  it('when the ISO-8859-1 French feed is read, then its accents and &#160; are decoded', async () => {
    const items = (await h.api('GET', '/api/v1/items?topic=war&limit=200&stories=false')).body.items as any[];
    const fr = items.find((i) => i.guid === FRENCH);
    expect(fr.title).toBe('La Corée du Nord ratifie un traité de défense avec la Russie');
    expect(fr.contentText).not.toMatch(/Ã|&#160;/);
  });

  describe('stories', () => {
    const all = async () => (await h.api('GET', '/api/v1/items?limit=200&stories=false')).body.items as any[];
    const byGuid = async () => new Map((await all()).map((i) => [i.guid, i]));

    it('when three sites republish the Hindi article and one credits the English report, then the four are one story', async () => {
      const items = await byGuid();
      const story = items.get(TREATY).storyId;
      expect([HINDI_A, HINDI_B, HINDI_C].map((g) => items.get(g).storyId)).toEqual([story, story, story]);
      const others = [...items.values()].filter((i) => ![TREATY, HINDI_A, HINDI_B, HINDI_C].includes(i.guid));
      expect(new Set(others.map((i) => i.storyId)).size).toBe(5); // French, Kursk, cricket, tech, culture: one each
      expect(others.map((i) => i.storyId)).not.toContain(story);
    });

    it('when a topic feed or the items API shows the story, then once, as its earliest item, with the three other sources', async () => {
      expect(await guidsIn('treaty', true)).toEqual([TREATY]);
      expect(await guidsIn('war', true)).toEqual([TREATY, FRENCH, KURSK].sort());
      const entry = (await h.api('GET', '/api/v1/items?topic=treaty')).body.items[0];
      expect(entry.sources.map((s: any) => s.url).sort()).toEqual(
        [
          'https://hindi-samachar-a.example/2024/11/12/north-korea-russia-treaty/?utm_source=rss&utm_medium=rss&utm_campaign=north-korea-russia-treaty',
          'https://khabar-sansar-c.example/p/russia-north-korea-treaty?fbclid=IwAR0abc123',
          'https://vishwa-samachar-b.example/world/kim-ratifies-russia-treaty.html#comments',
        ].sort(),
      );
      expect((await h.api('GET', `/api/v1/items/${entry.id}`)).body.item.sources).toHaveLength(3);

      const atom = await fetch(`${h.baseUrl}/topics/treaty/feed.atom`).then((r) => r.text());
      expect(atom.match(/<entry>/g)).toHaveLength(1);
      expect(atom.match(/<link rel="related"/g)).toHaveLength(3);
      expect(atom).toContain('hreflang="hi-IN"');
      const json = await fetch(`${h.baseUrl}/topics/treaty/feed.json`).then((r) => r.json());
      expect(json.items).toHaveLength(1);
      expect(json.items[0]._topicwire.sources).toHaveLength(3);
      const everyItem = await fetch(`${h.baseUrl}/topics/treaty/feed.atom?stories=false`).then((r) => r.text());
      expect(everyItem.match(/<entry>/g)).toHaveLength(4);
    });

    it('when a feed is preferred or a language asked for, then the story is shown as that item', async () => {
      const items = await byGuid();
      expect(await guidsIn('treaty', true)).toEqual([TREATY]);
      expect(
        (await h.api('GET', '/api/v1/items?topic=treaty&prefer_lang=hi')).body.items.map((i: any) => i.guid),
      ).toEqual([HINDI_A]);
      const b = items.get(HINDI_B);
      expect((await h.api('PATCH', `/api/v1/feeds/${b.feedId}`, { preferred: true })).body.feed.preferred).toBe(true);
      expect((await h.api('GET', '/api/v1/items?topic=treaty')).body.items.map((i: any) => i.guid)).toEqual([HINDI_B]);
      const atom = await fetch(`${h.baseUrl}/topics/treaty/feed.atom`).then((r) => r.text());
      expect(atom).toContain('https://vishwa-samachar-b.example/world/kim-ratifies-russia-treaty.html');
      await h.api('PATCH', `/api/v1/feeds/${b.feedId}`, { preferred: false });
      expect((await h.api('GET', '/api/v1/items?prefer_lang=x_x')).status).toBe(400);
    });

    it('when an item is split off its story, then it stands alone, also after its feed is polled again', async () => {
      const c = (await byGuid()).get(HINDI_C);
      expect((await h.api('POST', `/api/v1/items/${c.id}/split`, {}, { authorization: '' })).status).toBe(401);
      const split = await h.api('POST', `/api/v1/items/${c.id}/split`, {});
      expect(split.status).toBe(200);
      expect(split.body.item).toMatchObject({ storyId: c.id, sources: [] });
      expect((await h.api('POST', `/api/v1/items/999999/split`, {})).status).toBe(404);

      feeds.set('/hindi-republisher-c.json', {
        body: Buffer.from(
          readFileSync(seedFeed('hindi-republisher-c.json'), 'utf8').replace(
            '"title": "उत्तर कोरिया ने',
            '"title": "अपडेट: उत्तर कोरिया ने',
          ),
        ),
        contentType: 'application/feed+json',
      });
      expect((await h.api('POST', `/api/v1/feeds/${c.feedId}/refresh`, {})).status).toBe(202);
      await eventually(async () => (await byGuid()).get(HINDI_C).title.startsWith('अपडेट'), 10_000, 'the updated copy');
      const items = await byGuid();
      expect(items.get(HINDI_C).storyId).toBe(c.id);
      expect(items.get(HINDI_A).storyId).toBe(items.get(TREATY).storyId);
      expect(await guidsIn('treaty', true)).toEqual([HINDI_C, TREATY].sort());
    });
  });
});
