import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupItem, storyReason } from '../../src/stories/group-item.js';
import { tokens } from '../../src/stories/simhash.js';
import { corpusFile } from '../helpers/paths.js';
import { MemoryStoryStore } from '../helpers/memory-story-store.js';
import { storyItemsOf, type LoadedItem } from '../helpers/story-items.js';

const WINDOW = 72 * 3600_000;
// ../shared/corpus/seed/README.md: these four are one story (three copies, and the report a credits).
const SEED_STORY = [
  'english-wire.rss',
  'hindi-republisher-a.rss',
  'hindi-republisher-b.atom',
  'hindi-republisher-c.json',
].map((f) => `seed/feeds/${f}`);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const where = (i: LoadedItem) => i.file.split('corpus/')[1]!;
const fold = (title: string) => tokens(title).join(' ');

/** Exact Jaccard similarity of word 3-shingles: a slow, plain measure of "the same text", independent of SimHash. */
function sameText(a: string, b: string): boolean {
  const shingles = (t: string) => {
    const w = tokens(t);
    return new Set(w.slice(0, Math.max(0, w.length - 2)).map((_, i) => w.slice(i, i + 3).join(' ')));
  };
  const sa = shingles(a);
  const sb = shingles(b);
  if (sa.size < 10 || sb.size < 10) return false;
  let shared = 0;
  for (const s of sa) if (sb.has(s)) shared++;
  return shared / (sa.size + sb.size - shared) >= 0.7;
}

/**
 * The judge of a merged pair, written without the grouping code: the same title, the same text,
 * the same URL with no title on either side, or the seed story its README describes.
 */
function sameArticle(a: LoadedItem, b: LoadedItem): boolean {
  if (fold(a.item.title) !== '' && fold(a.item.title) === fold(b.item.title)) return true;
  if (sameText(a.item.contentText, b.item.contentText)) return true;
  if (!a.item.title && !b.item.title && a.item.url === b.item.url) return true;
  return (
    SEED_STORY.includes(where(a)) &&
    SEED_STORY.includes(where(b)) &&
    a.item.title !== '' &&
    b.item.title !== '' &&
    a.url !== '' &&
    b.url !== '' &&
    /north-korea|russia-treaty|kim-ratifies/.test(a.url + b.url)
  );
}

describe('grouping every item of ../shared/corpus', () => {
  it('merges no two different articles, and lists the pairs it merged', { timeout: 120_000 }, async () => {
    const files = filesUnder(corpusFile('')).filter(
      (f) => !/\.(md|tsv|txt)$/.test(f) && !f.endsWith('feedparser-cases.json'),
    );
    const items: LoadedItem[] = [];
    for (const [i, file] of files.entries()) {
      try {
        items.push(...(await storyItemsOf(file, i + 1)));
      } catch {
        // Not a feed (expected outputs, deliberately broken cases): nothing to group.
      }
    }
    const store = new MemoryStoryStore();
    for (const item of items) await groupItem(store, item, WINDOW);

    const byId = new Map(items.map((i) => [i.id, i]));
    const pairs = store
      .stories()
      .flatMap((ids) => ids.flatMap((x, n) => ids.slice(n + 1).map((y) => [byId.get(x)!, byId.get(y)!] as const)));
    const describe = ([a, b]: readonly [LoadedItem, LoadedItem]) =>
      `${storyReason(a, b, WINDOW) ?? 'through the story'}: ${where(a)} «${a.item.title}» = ${where(b)} «${b.item.title}»`;
    console.log(
      `${items.length} items from ${files.length} files; ${pairs.length} merged pairs:\n${pairs.map(describe).join('\n')}`,
    );

    expect(items.length).toBeGreaterThan(4000);
    expect(pairs.filter(([a, b]) => !sameArticle(a, b)).map(describe)).toEqual([]);
    // The seed story is among them: all four together.
    const seedStories = new Set(
      items
        .filter((i) => SEED_STORY.includes(where(i)) && /treaty|संधि/.test(i.item.title))
        .map((i) => store.items.get(i.id)!.storyId),
    );
    expect(seedStories.size).toBe(1);
  });
});
