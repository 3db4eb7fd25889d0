import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';

// One article long enough to be fingerprinted: its copies in two feeds are one story.
const ARTICLE = Array.from(
  { length: 5 },
  (_, i) =>
    `Paragraph ${i + 1}: envoys of North Korea and Russia signed the treaty in Pyongyang, and both sides will exchange the instruments of ratification in the capital next month.`,
).join(' ');

const rss = (name: string, items: string) =>
  `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>${name}</title><link>http://${name}.test/</link>${items}</channel></rss>`;
const item = (guid: string, title: string, content: string, minute: number) =>
  `<item><guid>${guid}</guid><title>${title}</title><link>http://news.test/${guid}</link><pubDate>${new Date(Date.UTC(2026, 11, 1, 8, minute)).toUTCString()}</pubDate><content:encoded><![CDATA[${content}]]></content:encoded></item>`;

// The web app in a real browser (issue 19): sign in, add a feed by its site, write a topic with a
// live preview, read it as stories, search, see a failing feed, and no script of an item runs.
describe('the web app in Chromium', () => {
  let h: Harness;
  let feeds: FeedServer;
  let browser: Browser;
  let page: Page;
  let writer: string;
  const url = (path: string) => h.baseUrl + path;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    // The site advertises two feeds: the person chooses.
    feeds.set('/site/', {
      contentType: 'text/html',
      body: `<!doctype html><html><head><title>Wire</title>
<link rel="alternate" type="application/rss+xml" title="Wire: world" href="/world.rss">
<link rel="alternate" type="application/rss+xml" title="Wire: sport" href="/sport.rss"></head><body>Wire</body></html>`,
    });
    feeds.set('/world.rss', {
      body: rss(
        'wire',
        item('w1', 'North Korea and Russia sign a treaty', `<p>${ARTICLE}</p>`, 1) +
          item('w2', 'Weather in Oslo', '<p>Mild and grey.</p>', 2) +
          item(
            'w3',
            'Hostile markup about Korea',
            '<p>Korea story</p><script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">',
            3,
          ) +
          item('w4', 'La Corée du Nord et la Russie', '<p>Un traité.</p>', 6),
      ),
    });
    feeds.set('/sport.rss', { body: rss('sport', item('s1', 'Cup final', '<p>Football.</p>', 4)) });
    feeds.set('/agency.rss', {
      body: rss('agency', item('a1', 'Treaty signed in Pyongyang', `<p>${ARTICLE}</p>`, 5)),
    });
    h = await startHarness();
    writer = (await h.api('POST', '/api/v1/tokens', { name: 'editor', scopes: ['write'] })).body.token;
    // The second copy of the article, and a feed that answers 404, added through the API.
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/agency.rss') });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/gone.rss'), force: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    (page as unknown as { errors: string[] }).errors = errors;
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
    await feeds?.stop();
  });

  it('when nobody is signed in, then public reading works and writes are refused', async () => {
    await page.goto(url('/'));
    await page.getByRole('heading', { name: 'Topics' }).waitFor();
    await page.goto(url('/new-topic'));
    await page.getByRole('heading', { name: 'Sign in to write' }).waitFor();
    // The page's own request without a session: refused by the API.
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/v1/topics', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-topicwire-client': 'web' },
        body: JSON.stringify({ slug: 'x', name: 'x', rule: 'x' }),
      });
      return res.status;
    });
    expect(status).toBe(401);
  });

  it('when a person signs in with a token, then the header says so', async () => {
    await page.goto(url('/sign-in?next=/sources'));
    await page.getByLabel('API token').fill('twk_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown' }).waitFor();
    await page.getByLabel('API token').fill(writer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in: editor').waitFor();
    await page.getByRole('heading', { name: 'Sources' }).waitFor();
  });

  it('when a feed is added by its site address, then the person chooses among its feeds and it is listed', async () => {
    await page.getByLabel("A feed's address, or a site's").fill(feeds.url('/site/'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('The site advertises 2 feeds: which one?').waitFor();
    await page.getByRole('button', { name: /Wire: world/ }).click();
    await page.getByRole('status').filter({ hasText: 'Added' }).waitFor();
    await page.locator('table.feeds').getByText(feeds.url('/world.rss')).waitFor();
  });

  it('when a feed fails, then the sources table shows it failing, first, with its cause', async () => {
    await page.goto(url('/sources'));
    const first = page.locator('table.feeds tbody tr').first();
    await first.locator('.health-failing').waitFor();
    await expect(first.textContent()).resolves.toContain('http_not_found');
    await expect(first.textContent()).resolves.toContain('/gone.rss');
  });

  it('when a topic is written, then the preview follows the rule, points at a mistake, and the save shows the re-tag to its end', async () => {
    await page.goto(url('/new-topic'));
    await page.getByLabel('Address').fill('korea');
    await page.getByLabel('Name').fill('Korea');
    const rule = page.getByLabel('Rule', { exact: true });
    await rule.pressSequentially('korea', { delay: 30 });
    await page
      .locator('.preview-count')
      .filter({ hasText: /^3 of the newest \d+ stored items match$/ })
      .waitFor();
    await rule.fill('');
    await rule.pressSequentially('korea AND (treaty', { delay: 20 });
    const mistake = page.locator('.rule-error');
    await mistake.waitFor();
    await expect(mistake.locator('.error').textContent()).resolves.toMatch(/expected "\)"/);
    expect(await mistake.locator('mark.at').getAttribute('aria-label')).toBe('position 17');
    await rule.press('End');
    await rule.pressSequentially(')', { delay: 20 });
    await page
      .locator('.preview-count')
      .filter({ hasText: /^2 of the newest/ })
      .waitFor();
    await rule.fill('korea');
    await page
      .locator('.preview-count')
      .filter({ hasText: /^3 of the newest/ })
      .waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Saved: \d+ stored items tagged again/).waitFor({ timeout: 20_000 });
    expect(await page.locator('progress#retag').evaluate((p: HTMLProgressElement) => p.value === p.max)).toBe(true);
  });

  it('when the topic is read, then each story shows once with its other source and the matched terms marked', async () => {
    await eventually(async () => (await h.db.selectFrom('ungrouped_items').select('item_id').execute()).length === 0);
    await page.goto(url('/topic/korea'));
    await page.getByRole('heading', { name: 'Korea', level: 1 }).waitFor();
    const stories = page.locator('article.story');
    await stories.first().waitFor();
    expect(await stories.count()).toBe(2);
    const treaty = stories.filter({ hasText: 'treaty' });
    await expect(treaty.locator('details.sources summary').textContent()).resolves.toBe('1 other source');
    expect(await treaty.locator('mark').first().textContent()).toMatch(/korea/i);
    await page.getByRole('button', { name: 'Subscribe' }).or(page.getByText('Subscribe')).first().click();
    expect(await page.getByLabel('Atom').inputValue()).toBe(url('/topics/korea/feed.atom'));
  });

  it("when an item's content carries a script, then opening it runs nothing", async () => {
    const hostile = page.locator('article.story').filter({ hasText: 'Hostile markup' });
    await hostile.getByRole('button', { name: 'Show the article' }).click();
    await hostile.locator('.content').waitFor();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await hostile.locator('.content script').count()).toBe(0);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
  });

  it('when a person searches in the rule language, then the matching stories come back', async () => {
    // From the search box on every page.
    await page.goto(url('/'));
    await page.getByLabel('Search stories (rule language)').fill('"north korea" -weather');
    await page.getByLabel('Search stories (rule language)').press('Enter');
    await page.getByRole('heading', { name: 'Search' }).waitFor();
    await page.locator('article.story').first().waitFor();
    const titles = await page.locator('article.story h3').allTextContents();
    expect(titles.some((t) => /North Korea and Russia sign a treaty|Treaty signed/.test(t))).toBe(true);
    expect(titles.join(' ')).not.toContain('Weather');
    // Folded as rules fold: "coree" finds and marks "Corée".
    await page.locator('#q').fill('coree');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('article.story h3 mark').first().waitFor();
    expect(await page.locator('article.story h3 mark').first().textContent()).toBe('Corée');
  });

  it('when a topic is edited and then deleted, then the change shows and the topic is gone', async () => {
    await h.api('POST', '/api/v1/topics', { slug: 'weather', name: 'Weather', rule: 'weather' });
    await page.goto(url('/topic/weather/edit'));
    await page.getByLabel('Name').fill('Weather in Oslo');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Read the topic' }).click();
    await page.getByRole('heading', { name: 'Weather in Oslo', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Edit' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Topics' }).waitFor();
    await page.locator('ul.topics li').first().waitFor();
    expect(await page.locator('ul.topics').textContent()).not.toContain('Weather');
  });

  it('when the person signs out, then writing is refused again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto(url('/topic/korea/edit'));
    await page.getByRole('heading', { name: 'Sign in to write' }).waitFor();
  });
});
