import { contentHash, canonicalUrl, dedupeItems, itemIdentity } from '../src/pipeline/dedupe/identity.js';
import { decodeFeedBytes } from '../src/pipeline/parse/decode-charset.js';
import { parseFeed } from '../src/pipeline/parse/parse-feed.js';
import { normalizeFeed } from '../src/pipeline/normalize/normalize-feed.js';
import type { NormalizedItem } from '../src/pipeline/types.js';
import { compileTopics, matchItem } from '../src/rules/compile.js';
import { searchKeys, searchTexts } from '../src/rules/search-keys.js';
import { articleFingerprints } from '../src/stories/boilerplate.js';
import { storyCredits } from '../src/stories/credits.js';
import { Farm } from './farm.js';
import { makeRules, prng } from './rules.js';

/**
 * `npm run bench -- stages [--feeds N]`: the worker's pure stages, one after the other over the
 * ingest farm's feeds (the same generator and seed, 100 topics), in this process without I/O:
 * CPU µs per item of each, so that a change to one is measured without the noise of a whole
 * ingest. What the worker spends besides (driver, queue, HTTP, GC of all that) is the ingest
 * benchmark's worker figure minus these.
 */
export async function benchStages(feeds: number, rounds = 3): Promise<string[]> {
  const out: string[] = [];
  const farm = new Farm({ feeds }).generate(8080);
  const bodies = farm.feeds.map((f) => ({
    body: f.body,
    url: `http://${f.host}:8080${f.path}`,
    type: f.format === 'json' ? 'application/feed+json' : 'application/xml',
  }));
  const rand = prng(1600);
  const matcher = compileTopics(makeRules(100, rand).map((rule, i) => ({ id: i + 1, slug: `t${i}`, rule })));
  const stages = ['decode', 'parse', 'normalize', 'identity', 'fingerprint', 'search keys', 'tag'] as const;
  const best = new Map<string, number>();
  let items = 0;
  for (let round = 0; round < rounds; round++) {
    const spent = new Map<string, number>(stages.map((s) => [s, 0]));
    const time = <T>(stage: (typeof stages)[number], work: () => T): T => {
      const started = process.cpuUsage();
      const result = work();
      const used = process.cpuUsage(started);
      spent.set(stage, spent.get(stage)! + used.user + used.system);
      return result;
    };
    items = 0;
    for (const { body, url, type } of bodies) {
      const { text } = time('decode', () => decodeFeedBytes(body, type));
      const parsedStarted = process.cpuUsage();
      const parsed = await parseFeed(text);
      const parseUsed = process.cpuUsage(parsedStarted);
      spent.set('parse', spent.get('parse')! + parseUsed.user + parseUsed.system);
      const normalized = time('normalize', () => normalizeFeed(parsed, url));
      const unique: { item: NormalizedItem; identity: string; hash: string }[] = time('identity', () =>
        dedupeItems(normalized.items).map((item) => ({
          item,
          identity: itemIdentity(item),
          hash: contentHash(item),
          canonical: canonicalUrl(item.canonicalLink || item.url),
          credits: storyCredits(item),
        })),
      );
      // A first poll's sample: the feed's newest texts, each once (src/app/stories.ts).
      const texts = unique.map((u) => u.item.contentText);
      time('fingerprint', () => articleFingerprints(texts, [...new Set(texts.slice(0, 30))]));
      time('search keys', () =>
        unique.map(({ item }) =>
          searchKeys(
            searchTexts({
              title: item.title,
              summary: item.summary,
              content_text: item.contentText,
              categories: item.categories,
            }),
          ),
        ),
      );
      time('tag', () => unique.map(({ item }) => matchItem(matcher, { ...item, feedTitle: normalized.feed.title })));
      items += unique.length;
    }
    for (const [stage, us] of spent) best.set(stage, Math.min(best.get(stage) ?? Infinity, us / items));
  }
  const total = [...best.values()].reduce((a, b) => a + b, 0);
  out.push(`${feeds} farm feeds, ${items} items, ${rounds} rounds (the best of each stage); CPU µs per item:`);
  for (const [stage, us] of best)
    out.push(`${stage.padEnd(12)} ${us.toFixed(1).padStart(7)}  ${((100 * us) / total).toFixed(0)}%`);
  out.push(`${'all'.padEnd(12)} ${total.toFixed(1).padStart(7)}`);
  return out;
}
