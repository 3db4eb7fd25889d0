import type { Db } from '../db/database.js';
import { batchStoryStore, lockStories, recentFeedTexts, ungroupedItems } from '../db/stories.repository.js';
import { storyUrl } from '../pipeline/dedupe/identity.js';
import { articleFingerprints } from '../stories/boilerplate.js';
import { groupItem, headline } from '../stories/group-item.js';
import type { AppContext } from './context.js';

// Items grouped in one transaction: 500 items make ~34,000 index probes, ~50 ms.
const BATCH = 500;
// A feed's boilerplate is what recurs among this many of its newest items.
const BOILERPLATE_SAMPLE = 30;

/**
 * The SimHash fingerprints of a feed's new items, computed as they are stored: their boilerplate
 * (lines recurring among the feed's newest items: these, then its newest stored ones) left out.
 */
export async function fingerprints(db: Db, feedId: number, texts: string[]): Promise<(bigint | null)[]> {
  // A poll with nothing new reads no boilerplate sample.
  if (texts.length === 0) return [];
  // Each text once: an item stored already (a re-poll, a retry) must not count as recurring with itself.
  const newest = new Set(texts.slice(0, BOILERPLATE_SAMPLE));
  if (newest.size < BOILERPLATE_SAMPLE) {
    for (const text of await recentFeedTexts(db, feedId, BOILERPLATE_SAMPLE)) newest.add(text);
  }
  return articleFingerprints(texts, [...newest].slice(0, BOILERPLATE_SAMPLE));
}

/**
 * Puts every ungrouped item into stories, oldest first (the group-stories job, queued after each
 * poll that inserted items), in batches of one short transaction each under the grouping lock.
 * A batch holds items of many feeds: one job takes what several polls stored, and the ones queued
 * after it find nothing left. Items whose job was lost are grouped by the next one (or by the
 * daily sweep). Returns how many.
 */
export async function groupStories({ db, config, log }: Pick<AppContext, 'db' | 'config' | 'log'>): Promise<number> {
  const windowMs = config.STORY_WINDOW_HOURS * 3600_000;
  let grouped = 0;
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      await lockStories(trx);
      const items = await ungroupedItems(trx, BATCH);
      if (items.length === 0) return 0;
      // Items stored before fingerprints were taken while storing have none yet (nor have short
      // texts, which stay without one): taken here, with their own feed's boilerplate.
      const missing = items.filter((i) => i.simhash === null);
      const fingerprinted: number[] = [];
      for (const feedId of new Set(missing.map((i) => i.feedId))) {
        const ofFeed = missing.filter((i) => i.feedId === feedId);
        const computed = await fingerprints(
          trx,
          feedId,
          ofFeed.map((i) => i.contentText),
        );
        ofFeed.forEach((item, k) => {
          item.simhash = computed[k]!;
          if (item.simhash !== null) fingerprinted.push(item.id);
        });
      }
      const batch = items.map((item) => ({
        id: item.id,
        feedId: item.feedId,
        sortAt: item.sortAt,
        headline: headline(item.title, item.contentText),
        url: storyUrl(item.canonicalUrl),
        credits: item.creditedUrls,
        simhash: item.simhash,
      }));
      // The batch's candidates read at once, its decisions written at once: a few statements a
      // batch instead of three an item.
      const store = await batchStoryStore(trx, batch, windowMs);
      for (const item of batch) {
        const result = await groupItem(store, item, windowMs);
        if (result.storyId !== item.id) {
          log.debug(
            { feedId: item.feedId, itemId: item.id, storyId: result.storyId, merged: result.merged },
            'item joined a story',
          );
        }
      }
      await store.flush(fingerprinted);
      return items.length;
    });
    grouped += done;
    if (done < BATCH) return grouped;
  }
}
