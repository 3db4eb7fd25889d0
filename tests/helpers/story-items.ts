import { readFileSync } from 'node:fs';
import { readFeed } from '../../src/pipeline/read-feed.js';
import type { NormalizedItem } from '../../src/pipeline/types.js';
import { articleText, recurringLines } from '../../src/stories/boilerplate.js';
import { storyCredits } from '../../src/stories/credits.js';
import { headline, type StoryItem } from '../../src/stories/group-item.js';
import { simhash } from '../../src/stories/simhash.js';
import { canonicalUrl, storyUrl } from '../../src/pipeline/dedupe/identity.js';

export interface LoadedItem extends StoryItem {
  file: string;
  item: NormalizedItem;
}

let nextId = 1;

/**
 * A feed file's items as grouping sees them once stored (the keys the refresh job computes),
 * the file standing for one feed at its own address. Boilerplate is learnt from the file's own items.
 */
export async function storyItemsOf(
  path: string,
  feedId: number,
  documentUrl = `https://feed-${feedId}.invalid/feed.xml`,
): Promise<LoadedItem[]> {
  const feed = await readFeed(readFileSync(path), { documentUrl });
  const recurring = recurringLines(feed.items.map((i) => i.contentText));
  return feed.items.map((item) => ({
    id: nextId++,
    feedId,
    file: path,
    item,
    sortAt: new Date(item.published ?? '2024-11-12T00:00:00Z'),
    headline: headline(item.title, item.contentText),
    url: storyUrl(canonicalUrl(item.canonicalLink || item.url)),
    credits: storyCredits(item),
    simhash: simhash(articleText(item.contentText, recurring)),
  }));
}
