import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, TOKEN, type Harness } from '../helpers/harness.js';
import { REPO_ROOT } from '../helpers/paths.js';

const OUT = path.join(REPO_ROOT, 'docs/screenshots');
const ARTICLE = (place: string) =>
  Array.from(
    { length: 5 },
    (_, i) =>
      `Paragraph ${i + 1}: envoys of North Korea and Russia signed the defence treaty in ${place}; both sides exchange the instruments of ratification next month, the agencies report.`,
  ).join(' ');
const rss = (name: string, lang: string, items: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>${name}</title><link>http://${name.toLowerCase().replace(/\W+/g, '')}.test/</link><language>${lang}</language>${items.join('')}</channel></rss>`;
let minute = 0;
const item = (title: string, text: string) =>
  `<item><guid>${encodeURIComponent(title)}</guid><title>${title}</title><link>http://news.test/${encodeURIComponent(title)}</link><pubDate>${new Date(Date.now() - (60 - ++minute) * 60_000).toUTCString()}</pubDate><content:encoded><![CDATA[<p>${text}</p>]]></content:encoded></item>`;

let h: Harness;
let feeds: FeedServer;
beforeAll(async () => {
  feeds = await new FeedServer().start();
  feeds.set('/world.rss', {
    body: rss('World Wire', 'en', [
      item('North Korea and Russia sign a defence treaty', ARTICLE('Pyongyang')),
      item('Seoul responds to the Pyongyang treaty', 'South Korea called the treaty a threat to the peninsula.'),
      item('Markets steady in Tokyo', 'Japanese shares rose slightly.'),
    ]),
  });
  feeds.set('/agency.rss', { body: rss('Agency', 'en', [item('Treaty signed in Pyongyang', ARTICLE('Pyongyang'))]) });
  feeds.set('/hindi.rss', {
    body: rss('समाचार', 'hi', [item('रूस और उत्तर कोरिया ने रक्षा संधि पर हस्ताक्षर किए', 'रूस और उत्तर कोरिया के बीच संधि।')]),
  });
  feeds.set('/japan.rss', {
    body: rss('ニュース', 'ja', [item('北朝鮮とロシアが条約に署名', '東京で専門家が分析した。')]),
  });
  feeds.set('/arabic.rss', {
    body: rss('الأخبار', 'ar', [item('روسيا وكوريا الشمالية توقعان معاهدة', 'توقيع معاهدة دفاعية.')]),
  });
  h = await startHarness();
  for (const f of ['world', 'agency', 'hindi', 'japan', 'arabic'])
    await h.api('POST', '/api/v1/feeds', { url: feeds.url(`/${f}.rss`) });
  await h.api('POST', '/api/v1/feeds', { url: feeds.url('/gone.rss'), force: true });
  await h.api('POST', '/api/v1/topics', {
    slug: 'treaty',
    name: 'Russia and North Korea',
    rule: '(russia OR रूस OR ロシア OR روسيا) AND ("north korea" OR "उत्तर कोरिया" OR 北朝鮮 OR "كوريا الشمالية")',
  });
  await h.api('POST', '/api/v1/topics', { slug: 'markets', name: 'Markets', rule: 'markets OR shares' });
  await eventually(async () => {
    const t = (await h.api('GET', '/api/v1/topics')).body.topics as { retag: { status: string } }[];
    return (
      t.every((x) => x.retag.status === 'done') &&
      (await h.db.selectFrom('ungrouped_items').select('item_id').execute()).length === 0
    );
  }, 30_000);
  mkdirSync(OUT, { recursive: true });
});
afterAll(async () => {
  await h?.stop();
  await feeds?.stop();
});

it('takes the screenshots', async () => {
  const browser = await launchBrowser();
  for (const [width, height, label] of [
    [1280, 900, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    const context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light' });
    const page = await context.newPage();
    await page.goto(`${h.baseUrl}/sign-in`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in').waitFor();
    const shot = async (name: string) =>
      page.screenshot({ path: path.join(OUT, `${name}-${label}.png`), fullPage: false });
    await page.goto(`${h.baseUrl}/`);
    await page.locator('ul.topics li').first().waitFor();
    await shot('topics');
    await page.goto(`${h.baseUrl}/topic/treaty`);
    await page.locator('article.story').first().waitFor();
    await page
      .locator('details.sources')
      .first()
      .evaluate((d: HTMLDetailsElement) => (d.open = true));
    await shot('topic');
    await page.goto(`${h.baseUrl}/topic/treaty/edit`);
    await page.getByLabel('Rule', { exact: true }).fill('(russia OR रूस) AND ("north korea" OR "उत्तर कोरिया"');
    await page.locator('.rule-error').waitFor();
    await shot('editor-error');
    await page.getByLabel('Rule', { exact: true }).fill('(russia OR रूस) AND ("north korea" OR "उत्तर कोरिया")');
    await page.locator('.preview-count').waitFor();
    await shot('editor');
    await page.goto(`${h.baseUrl}/sources`);
    await page.locator('table.feeds tbody tr').first().waitFor();
    await shot('sources');
    await page.goto(`${h.baseUrl}/search?q=${encodeURIComponent('treaty -seoul')}`);
    await page.locator('article.story').first().waitFor();
    await shot('search');
    await context.close();
  }
  await browser.close();
});
