/**
 * The story-grouping judge over a whole feed corpus (not a test: it reads a folder outside the
 * repository and takes a while). Every item of every feed file is grouped as the service groups
 * them; each merged pair is then judged by a rule written without the grouping code. Prints the
 * pairs and exits 1 when two different articles were merged or the seed story fell apart.
 *
 *   npm run check:stories -- <corpus-folder>      (or CORPUS_DIR=<folder>; ../shared/corpus by default)
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { groupItem, storyReason } from '../src/stories/group-item.js';
import { tokens } from '../src/stories/simhash.js';
import { MemoryStoryStore } from '../tests/helpers/memory-story-store.js';
import { storyItemsOf, type LoadedItem } from '../tests/helpers/story-items.js';

const WINDOW = 72 * 3600_000;
// The seed event (tests/fixtures/seed/README.md): these four are one story.
const SEED_STORY = [
  'english-wire.rss',
  'hindi-republisher-a.rss',
  'hindi-republisher-b.atom',
  'hindi-republisher-c.json',
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

const fold = (title: string) => tokens(title).join(' ');
const inSeedStory = (i: LoadedItem) =>
  i.file.includes(`${path.sep}seed${path.sep}`) && SEED_STORY.includes(path.basename(i.file));

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

/** The same title, the same text, the same URL with no title on either side, or the seed story. */
function sameArticle(a: LoadedItem, b: LoadedItem): boolean {
  if (fold(a.item.title) !== '' && fold(a.item.title) === fold(b.item.title)) return true;
  if (sameText(a.item.contentText, b.item.contentText)) return true;
  if (!a.item.title && !b.item.title && a.item.url === b.item.url) return true;
  return (
    inSeedStory(a) &&
    inSeedStory(b) &&
    a.item.title !== '' &&
    b.item.title !== '' &&
    /north-korea|russia-treaty|kim-ratifies/.test(a.url + b.url)
  );
}

async function main(): Promise<number> {
  const corpus = path.resolve(process.argv[2] ?? process.env.CORPUS_DIR ?? '../shared/corpus');
  if (!existsSync(corpus)) {
    process.stderr.write(`no corpus folder at ${corpus}: give it as the first argument or CORPUS_DIR\n`);
    return 2;
  }
  const files = filesUnder(corpus).filter((f) => !/\.(md|tsv|txt)$/.test(f) && !f.endsWith('feedparser-cases.json'));
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

  const where = (i: LoadedItem) => path.relative(corpus, i.file);
  const byId = new Map(items.map((i) => [i.id, i]));
  const pairs = store
    .stories()
    .flatMap((ids) => ids.flatMap((x, n) => ids.slice(n + 1).map((y) => [byId.get(x)!, byId.get(y)!] as const)));
  const describe = ([a, b]: readonly [LoadedItem, LoadedItem]) =>
    `${storyReason(a, b, WINDOW) ?? 'through the story'}: ${where(a)} «${a.item.title}» = ${where(b)} «${b.item.title}»`;
  const wrong = pairs.filter(([a, b]) => !sameArticle(a, b));
  const seedStories = new Set(
    items.filter((i) => inSeedStory(i) && /treaty|संधि/.test(i.item.title)).map((i) => store.items.get(i.id)!.storyId),
  );
  process.stdout.write(
    `${items.length} items from ${files.length} files; ${pairs.length} merged pairs:\n${pairs.map(describe).join('\n')}\n\n`,
  );
  process.stdout.write(`wrongly merged: ${wrong.length}${wrong.length ? `\n${wrong.map(describe).join('\n')}` : ''}\n`);
  process.stdout.write(
    `seed story: ${seedStories.size === 1 ? 'one story, as it should be' : `split into ${seedStories.size}`}\n`,
  );
  return wrong.length === 0 && seedStories.size === 1 ? 0 : 1;
}

process.exitCode = await main();
