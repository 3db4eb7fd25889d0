import { hammingDistance, MAX_DISTANCE, tokens } from './simhash.js';

/*
 * Deciding an item's story (docs/dedupe.md). Pure logic over a StoryStore, so that the
 * same algorithm runs against Postgres (src/db/stories.repository.ts) and, in the corpus test,
 * against memory.
 */

/** What grouping knows of an item. `url` and `credits` are story URLs (canonical, not a home page). */
export interface StoryItem {
  id: number;
  feedId: number;
  sortAt: Date;
  /** What titlesAgree compares: see `headline`. */
  headline: string;
  url: string;
  credits: string[];
  simhash: bigint | null;
}

/** A grouped item that shares a key with the item being grouped. */
export interface StoryCandidate extends StoryItem {
  storyId: number;
}

export interface CandidateQuery {
  item: StoryItem;
  /** Near-duplicates are looked for this far before and after the item. */
  windowMs: number;
}

/** Where stories live. Lookups must be indexed: grouping cost may not grow with the items stored. */
export interface StoryStore {
  /** Grouped, unpinned items of other feeds sharing the item's URL, a credit, or a SimHash band within the window. */
  candidates(query: CandidateQuery): Promise<StoryCandidate[]>;
  /** The feeds each of these stories has items from. */
  storyFeeds(storyIds: number[]): Promise<Map<number, Set<number>>>;
  /** Moves every item of story `from` to story `into`. */
  mergeStory(from: number, into: number): Promise<void>;
  /** Puts the item in the story and records its fingerprint. */
  assign(item: StoryItem, storyId: number): Promise<void>;
}

export type StoryReason = 'same-url' | 'credits' | 'credited-by' | 'near-duplicate';

/** Why two items of different feeds are one article, or null. */
export function storyReason(item: StoryItem, other: StoryItem, windowMs: number): StoryReason | null {
  if (item.feedId === other.feedId) return null;
  if (item.url && item.url === other.url && titlesAgree(item.headline, other.headline)) return 'same-url';
  if (other.url && item.credits.includes(other.url)) return 'credits';
  if (item.url && other.credits.includes(item.url)) return 'credited-by';
  if (
    item.simhash !== null &&
    other.simhash !== null &&
    Math.abs(item.sortAt.getTime() - other.sortAt.getTime()) <= windowMs &&
    hammingDistance(item.simhash, other.simhash) <= MAX_DISTANCE
  ) {
    return 'near-duplicate';
  }
  return null;
}

/** An item's title, or when it has none (a weblog's untitled posts) the opening words of its text. */
export function headline(title: string, text: string): string {
  return title || tokens(text).slice(0, 12).join(' ');
}

/**
 * Two titles of one article: one is empty, or at least 80% of the shorter one's words are in the
 * other (a site name appended, a word added). Different entries that share a URL (a listing page,
 * a placeholder) fail this; the corpus has dozens of them.
 */
export function titlesAgree(a: string, b: string): boolean {
  const wa = new Set(tokens(a));
  const wb = new Set(tokens(b));
  if (wa.size === 0 || wb.size === 0) return true;
  const [short, long] = wa.size <= wb.size ? [wa, wb] : [wb, wa];
  let shared = 0;
  for (const w of short) if (long.has(w)) shared++;
  return shared >= 0.8 * short.size;
}

export interface Grouping {
  storyId: number;
  merged: number[];
}

/**
 * Puts one item in a story: the oldest matching story that has no item of its feed, else a story
 * of its own (its id is the item's). Other matching stories are merged into it when that puts no
 * two items of one feed together. Idempotent for an item already assigned by the same keys.
 */
export async function groupItem(store: StoryStore, item: StoryItem, windowMs: number): Promise<Grouping> {
  const matched = (await store.candidates({ item, windowMs })).filter((c) => storyReason(item, c, windowMs) !== null);
  const storyIds = [...new Set(matched.map((c) => c.storyId))].sort((a, b) => a - b);
  const feedsOf = await store.storyFeeds(storyIds);
  const target = storyIds.find((s) => !feedsOf.get(s)?.has(item.feedId));
  if (target === undefined) {
    await store.assign(item, item.id);
    return { storyId: item.id, merged: [] };
  }
  const feeds = new Set([...(feedsOf.get(target) ?? []), item.feedId]);
  const merged: number[] = [];
  for (const other of storyIds) {
    const otherFeeds = feedsOf.get(other) ?? new Set<number>();
    if (other === target || [...otherFeeds].some((f) => feeds.has(f))) continue;
    await store.mergeStory(other, target);
    for (const f of otherFeeds) feeds.add(f);
    merged.push(other);
  }
  await store.assign(item, target);
  return { storyId: target, merged };
}
