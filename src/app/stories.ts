import type { Db } from '../db/database.js';
import {
  batchStoryStore,
  lockStories,
  nextStoryGeneration,
  recentFeedTexts,
  storedFingerprints,
  ungroupedItems,
} from '../db/stories.repository.js';
import { storyUrl } from '../pipeline/dedupe/identity.js';
import { articleFingerprints } from '../stories/boilerplate.js';
import { groupItem, headline, type StoryItem } from '../stories/group-item.js';
import { NearDuplicateIndex } from '../stories/near-index.js';
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
    // What the batch filed, for this process's index once it commits.
    let filed: { generation: number; items: StoryItem[] } | null = null;
    const done = await db.transaction().execute(async (trx) => {
      await lockStories(trx);
      const items = await ungroupedItems(trx, BATCH);
      if (items.length === 0) return 0;
      const generation = await nextStoryGeneration(trx);
      const index = await nearIndexAt(trx, db, generation, windowMs, config.STORY_INDEX_ITEMS, log);
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
      const store = await batchStoryStore(trx, batch, windowMs, {
        generation,
        inMemory: (item) =>
          index && item.simhash !== null && index.covers(item.sortAt.getTime(), windowMs)
            ? index.near(item.simhash, item.sortAt.getTime(), windowMs)
            : null,
      });
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
      filed = { generation, items: batch };
      return items.length;
    });
    if (filed) fileCommitted(db, filed);
    grouped += done;
    if (done < BATCH) return grouped;
  }
}

/*
 * Each process's near-duplicate index (src/stories/near-index.ts), by database: it holds the
 * fingerprints of item_bands from its horizon on, as of `generation`, the last grouping batch it
 * has read. A batch brings it up to date under the grouping lock before it looks anything up:
 * the generations it missed (batches of other processes, or of this one whose commit it did not
 * see) are read from the table; after its commit, the batch files its own items.
 */
// `generation` undefined: none read yet.
const nearIndexes = new WeakMap<Db, { index: NearDuplicateIndex; generation?: number } | { offUntil: number }>();
// The index looks back ten windows (30 days at the default 72 h), or as far as STORY_INDEX_ITEMS
// reaches; its horizon moves on by a quarter window at a time. A feed's first poll brings items
// days or weeks old, whose look-ups the index answers only when their window is inside it: at
// two windows, 65% of a 1,000-feed farm's items (dated over 4 days) were looked up in
// PostgreSQL, 68 index probes each, 11% of its CPU in the ingest (docs/benchmarks.md, session 17).
const HORIZON_WINDOWS = 10;
// An index that cannot hold one window within its size limit is dropped, and tried again this much later.
const RETRY_INDEX_MS = 3600_000;

/** This process's index, up to date for a batch of `generation`; null when it is off. */
async function nearIndexAt(
  trx: Db,
  db: Db,
  generation: number,
  windowMs: number,
  maxItems: number,
  log: AppContext['log'],
): Promise<NearDuplicateIndex | null> {
  if (maxItems === 0) return null;
  let state = nearIndexes.get(db);
  if (state && 'offUntil' in state) {
    if (Date.now() < state.offUntil) return null;
    state = undefined;
  }
  const horizon = Date.now() - HORIZON_WINDOWS * windowMs;
  // No index yet, or the table is older than the index (restored, or recreated empty): a new one,
  // which has read no generation. Then what it has not read: every generation, or those it missed.
  if (!state || (state.generation ?? 0) > generation - 1) state = { index: new NearDuplicateIndex(horizon) };
  if (state.generation !== generation - 1) {
    // A new index reads the newest fingerprints only, at most as many as it may hold: what is
    // older than the oldest it read is before its horizon (the table answers for those).
    const first = state.generation === undefined;
    const stored = await storedFingerprints(
      trx,
      new Date(state.index.horizon),
      state.generation,
      first ? maxItems : undefined,
    );
    for (const f of stored) state.index.add(f.itemId, f.sortAt.getTime(), f.simhash);
    if (first && stored.length >= maxItems) state.index.advanceHorizon(stored.at(-1)!.sortAt.getTime() + 1);
    state.generation = generation - 1;
  }
  if (horizon - state.index.horizon > windowMs / 4) state.index.advanceHorizon(horizon);
  if (state.index.size > maxItems) {
    // The newest fingerprints stay (a tenth below the limit, so that this is not done every batch);
    // the look-ups of items older than the new horizon go to the table.
    state.index.shrinkTo(Math.floor(maxItems * 0.9));
    log.info(
      { fingerprints: state.index.size, horizon: new Date(state.index.horizon), limit: maxItems },
      'story grouping: near-duplicate index at STORY_INDEX_ITEMS; older fingerprints dropped',
    );
  }
  if (!state.index.covers(Date.now(), windowMs)) {
    log.warn(
      { limit: maxItems, windowHours: windowMs / 3600_000 },
      'story grouping: STORY_INDEX_ITEMS holds less than one story window; looking candidates up in PostgreSQL for an hour',
    );
    nearIndexes.set(db, { offUntil: Date.now() + RETRY_INDEX_MS });
    return null;
  }
  nearIndexes.set(db, state);
  return state.index;
}

/** Files a committed batch's fingerprints in this process's index. */
function fileCommitted(db: Db, filed: { generation: number; items: StoryItem[] }): void {
  const state = nearIndexes.get(db);
  if (!state || 'offUntil' in state) return;
  for (const item of filed.items)
    if (item.simhash !== null) state.index.add(item.id, item.sortAt.getTime(), item.simhash);
  // Only when every generation before it is in: else the next batch reads what is missing.
  if (state.generation === filed.generation - 1) state.generation = filed.generation;
}
