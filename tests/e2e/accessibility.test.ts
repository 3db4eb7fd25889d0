import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { FeedServer } from '../helpers/feed-server.js';
import { eventually, startHarness, TOKEN, type Harness } from '../helpers/harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const rss = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title><link>http://wire.test/</link>
<item><guid>1</guid><title>North Korea and Russia sign a treaty</title><link>http://wire.test/1</link><description>The treaty was signed in Pyongyang.</description></item>
<item><guid>2</guid><title>रूस और उत्तर कोरिया</title><link>http://wire.test/2</link><description>रूस और उत्तर कोरिया के बीच संधि।</description></item>
<item><guid>3</guid><title>معاهدة بين روسيا و كوريا الشمالية</title><link>http://wire.test/3</link><description>معاهدة بين روسيا و كوريا الشمالية</description></item>
<item><guid>4</guid><title>北朝鮮とロシアが条約に署名</title><link>http://wire.test/4</link><description>東京で専門家が分析した。</description></item>
</channel></rss>`;

const PAGES = ['/', '/topic/treaty', '/topic/treaty/edit', '/new-topic', '/sources', '/search?q=treaty', '/sign-in'];

// Accessible and usable at phone width (issue 19): axe-core's WCAG 2 A and AA rules on every
// page, signed in, at desktop and phone width; no page wider than a phone; the keyboard reaches
// the content first through the skip link.
describe('the web app for every reader', () => {
  let h: Harness;
  let feeds: FeedServer;
  let browser: Browser;

  beforeAll(async () => {
    feeds = await new FeedServer().start();
    feeds.set('/wire.rss', { body: rss });
    h = await startHarness();
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/wire.rss') });
    await h.api('POST', '/api/v1/feeds', { url: feeds.url('/gone.rss'), force: true });
    await h.api('POST', '/api/v1/topics', {
      slug: 'treaty',
      name: 'Treaty',
      rule: '(russia OR रूस OR روسيا OR ロシア) AND ("north korea" OR "उत्तर कोरिया" OR "كوريا الشمالية" OR 北朝鮮)',
    });
    await eventually(async () => (await h.api('GET', '/api/v1/items?topic=treaty')).body.items?.length === 4);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
    await feeds?.stop();
  });

  /** A signed-in browser at that size; CSP bypassed only so that axe can be injected. */
  const signedIn = async (width: number, height: number): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${h.baseUrl}/sign-in`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in').waitFor();
    return { context, page };
  };

  it.each([
    [1280, 900],
    [390, 844],
  ])(
    'when each page is checked at %i px wide, then axe finds no WCAG A or AA violation and nothing is wider than the screen',
    async (width, height) => {
      const { context, page } = await signedIn(width, height);
      try {
        for (const path of PAGES) {
          await page.goto(h.baseUrl + path);
          await page.locator('main h1').first().waitFor();
          await page.waitForLoadState('networkidle');
          await page.evaluate(AXE);
          const { violations, passed } = await page.evaluate(async () => {
            const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<any> } }).axe;
            const result = await axe.run(document, {
              runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] },
            });
            return {
              passed: result.passes.length as number,
              violations: result.violations.map(
                (v: any) => `${v.id}: ${v.help} (${v.nodes.map((n: any) => n.target.join(' ')).join(', ')})`,
              ) as string[],
            };
          });
          // The rules ran (labels, names, contrast, landmarks…), and none failed.
          expect(passed, `${path}: axe checked nothing`).toBeGreaterThan(5);
          expect(violations, `${path} at ${width} px`).toEqual([]);
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
          );
          expect(overflow, `${path} at ${width} px is wider than the screen`).toBeLessThanOrEqual(0);
        }
      } finally {
        await context.close();
      }
    },
  );

  it('when stories are in Hindi, Japanese and Arabic, then each shows in its script and Arabic reads right to left', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${h.baseUrl}/topic/treaty`);
      await page.locator('article.story').nth(3).waitFor();
      const titles = await page
        .locator('article.story h3')
        .evaluateAll((els) => els.map((el) => ({ text: el.textContent, direction: getComputedStyle(el).direction })));
      expect(titles).toEqual(
        expect.arrayContaining([
          { text: 'معاهدة بين روسيا و كوريا الشمالية', direction: 'rtl' },
          { text: 'रूस और उत्तर कोरिया', direction: 'ltr' },
          { text: '北朝鮮とロシアが条約に署名', direction: 'ltr' },
        ]),
      );
    } finally {
      await page.close();
    }
  });

  it('when a keyboard user arrives, then the first Tab offers to skip to the content, and the sign-in works by keyboard alone', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${h.baseUrl}/sign-in`);
      await page.getByLabel('API token').waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the content');
      await page.getByLabel('API token').focus();
      await page.keyboard.type(TOKEN);
      await page.keyboard.press('Enter');
      await page.getByText('Signed in').waitFor();
      // Focus is visible: the focused control draws an outline.
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe('none');
    } finally {
      await context.close();
    }
  });
});
