import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compileTopics, matchItem, type MatchableItem } from '../../src/rules/compile.js';
import { ReaderMemory } from '../../src/rules/reader-memory.js';
import { readerMemory } from '../../src/rules/word-index.js';

const tables = () => ({
  unit: new Int32Array(16).fill(7),
  nfc: new Uint8Array(8),
  composes: new Int32Array(4),
  cacheBytes: 64,
  headsBytes: 32,
});
const item = (contentText: string): MatchableItem => ({
  title: '',
  summary: '',
  contentText,
  author: '',
  categories: [],
  url: 'https://news.example/a',
  feedTitle: '',
  language: 'en',
});

describe('the readers memory', () => {
  it('places the shared tables, and gives out aligned blocks that do not overlap, zeroed', () => {
    const mem = new ReaderMemory(tables());
    expect([...new Int32Array(mem.memory.buffer, mem.at.unit, 16)]).toEqual(Array(16).fill(7));
    const blocks = [3, 8, 100, 1].map((size) => [mem.alloc(size), size] as const);
    for (const [at] of blocks) expect(at % 8).toBe(0);
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < sorted.length; k++)
      expect(sorted[k]![0]).toBeGreaterThanOrEqual(sorted[k - 1]![0] + sorted[k - 1]![1]);
    mem.bytes.fill(9, blocks[2]![0], blocks[2]![0] + 100);
    mem.release(blocks[2]![0]);
    const again = mem.alloc(100);
    expect(again).toBe(blocks[2]![0]);
    expect(mem.bytes.subarray(again, again + 100).every((b) => b === 0)).toBe(true);
  });

  it('joins freed neighbours, so a block as large as both fits where they were', () => {
    const mem = new ReaderMemory(tables());
    const a = mem.alloc(64);
    const b = mem.alloc(64);
    const c = mem.alloc(64);
    mem.release(b);
    mem.release(a);
    expect(mem.alloc(128)).toBe(a);
    mem.release(c);
    expect(() => mem.release(c)).toThrow(/no block/);
  });

  it('grows when nothing free is large enough, and says so by its generation', () => {
    const mem = new ReaderMemory(tables());
    const before = mem.size();
    const generation = mem.generation;
    const at = mem.alloc(3 * before);
    expect(mem.size()).toBeGreaterThanOrEqual(before + 3 * before - 8);
    expect(mem.generation).toBe(generation + 1);
    mem.bytes[at + 3 * before - 1] = 1; // the whole block is in the memory
    mem.release(at);
    expect(mem.alloc(3 * before)).toBe(at);
  });

  it('gives a text longer than the kept buffer room for its reading only', () => {
    const mem = new ReaderMemory(tables());
    const size = mem.size();
    const long = 'x'.repeat(100_000);
    const first = mem.withText(long, (at) => at);
    expect(mem.withText(long, (at) => at)).toBe(first); // the room was given back, and reused
    expect(mem.size()).toBeGreaterThan(size);
    expect(mem.withText('short', (at) => at)).toBe(mem.at.text);
  });

  it('keeps a matcher working after the memory grew under it (its views are made again)', () => {
    const m = compileTopics([{ id: 1, slug: 'korea', rule: '"north korea" OR रूस*' }]);
    expect(matchItem(m, item('troops from North Korea'))).toHaveLength(1);
    const mem = readerMemory();
    const big = mem.alloc(mem.size() * 2);
    try {
      const matches = matchItem(m, item('रूसी सेना और North  Korea'));
      expect(matches.map((x) => x.terms.map((t) => t.term))).toEqual([['"north korea"', 'रूस*']]);
      expect(matchItem(m, item('nothing here'))).toHaveLength(0);
    } finally {
      mem.release(big);
    }
  });

  it("gets a matcher's region back once the matcher is garbage-collected", async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const mem = readerMemory();
    compileTopics([{ id: 0, slug: 'warm', rule: 'warm' }]); // the shared tables exist before counting
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = mem.used();
    (() => {
      const m = compileTopics(
        Array.from({ length: 200 }, (_, i) => ({
          id: i,
          slug: `t${i}`,
          rule: `word${i} OR "phrase ${i}" OR pre${i}*`,
        })),
      );
      expect(matchItem(m, item('word7 and phrase 9'))).toHaveLength(2);
      expect(mem.used()).toBeGreaterThan(before);
    })();
    for (let k = 0; k < 20 && mem.used() > before; k++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(mem.used()).toBe(before);
  });
});
