import type { CandidateQuery, StoryCandidate, StoryItem, StoryStore } from '../../src/stories/group-item.js';
import { blockKeys, probeKeys } from '../../src/stories/simhash.js';

/**
 * The StoryStore of src/stories/group-item.ts in memory, for running the grouping over thousands
 * of corpus items in a unit test. It finds candidates by the same keys as the Postgres store
 * (equal URL, credited URL, a SimHash block within one bit, within the window), not by comparing every pair.
 */
export class MemoryStoryStore implements StoryStore {
  readonly items = new Map<number, StoryCandidate & { pinned: boolean }>();

  async candidates({ item, windowMs }: CandidateQuery): Promise<StoryCandidate[]> {
    const probes = new Set(item.simhash === null ? [] : probeKeys(item.simhash));
    return [...this.items.values()].filter(
      (c) =>
        c.feedId !== item.feedId &&
        !c.pinned &&
        ((item.url !== '' && c.url === item.url) ||
          (c.url !== '' && item.credits.includes(c.url)) ||
          (item.url !== '' && c.credits.includes(item.url)) ||
          (c.simhash !== null &&
            Math.abs(c.sortAt.getTime() - item.sortAt.getTime()) <= windowMs &&
            blockKeys(c.simhash).some((b) => probes.has(b)))),
    );
  }

  async storyFeeds(storyIds: number[]): Promise<Map<number, Set<number>>> {
    const out = new Map<number, Set<number>>();
    for (const c of this.items.values()) {
      if (!storyIds.includes(c.storyId)) continue;
      out.set(c.storyId, (out.get(c.storyId) ?? new Set()).add(c.feedId));
    }
    return out;
  }

  async mergeStory(from: number, into: number): Promise<void> {
    for (const c of this.items.values()) if (c.storyId === from && !c.pinned) c.storyId = into;
  }

  async assign(item: StoryItem, storyId: number): Promise<void> {
    this.items.set(item.id, { ...item, storyId, pinned: false });
  }

  /** Item ids by story, for stories of more than one item. */
  stories(): number[][] {
    const byStory = new Map<number, number[]>();
    for (const c of this.items.values()) byStory.set(c.storyId, [...(byStory.get(c.storyId) ?? []), c.id]);
    return [...byStory.values()].filter((ids) => ids.length > 1);
  }
}
