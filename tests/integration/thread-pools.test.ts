import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError } from '../../src/pipeline/feed-error.js';
import { readFeed } from '../../src/pipeline/read-feed.js';
import { readFeedPool } from '../../src/workers/read-feed-pool.js';
import { ThreadPool, type ReportedError } from '../../src/workers/thread-pool.js';
import type { TestTask } from '../helpers/test-thread.js';
import { fixture, REPO_ROOT, seedFeed } from '../helpers/paths.js';

const asError = (r: ReportedError) => Object.assign(new Error(`${r.name}: ${r.message}`), { fields: r.fields });

describe('feeds read on worker threads', () => {
  const pool = readFeedPool(2);
  afterAll(() => pool.close());

  it('when feeds are read on the pool, then each comes back as reading it here gives it, in any order of completion', async () => {
    const files = [
      fixture('feeds/koi8-r.rss'),
      fixture('feeds/atom-relative-links.atom'),
      fixture('feeds/shift_jis.rdf'),
    ];
    const bodies = await Promise.all(files.map((f) => readFile(f)));
    const opts = { documentUrl: 'https://example.org/feed' };
    const here = await Promise.all(bodies.map((b) => readFeed(b, opts)));
    const there = await Promise.all([...bodies, ...bodies].map((b) => pool.readFeed(b, opts)));
    expect(there).toEqual([...here, ...here]);
    expect(there[0]!.items.length).toBeGreaterThan(0);
  });

  it("when a body is not a feed, then the poll gets the FeedError with its code, a feed's fault as here", async () => {
    const body = Buffer.from('<html><body>no feed</body></html>');
    const err = await pool.readFeed(body, { contentType: 'text/html' }).catch((e: unknown) => e);
    const here = await readFeed(body, { contentType: 'text/html' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect(err).toMatchObject({ code: (here as FeedError).code, message: (here as FeedError).message, status: null });
  });

  it("when the seed event's feeds are read on the pool (RSS, Atom, RDF, JSON Feed; Latin-1, Hindi), then each is what reading it here gives", async () => {
    for (const name of [
      'english-wire.rss',
      'french-latin1.rss',
      'hindi-other-story.rdf',
      'hindi-republisher-b.atom',
      'hindi-republisher-c.json',
    ]) {
      const body = await readFile(seedFeed(name));
      expect(await pool.readFeed(body, {})).toEqual(await readFeed(body, {}));
    }
  });
});

describe('the thread pool', () => {
  const script = new URL('../helpers/test-thread.ts', import.meta.url);

  it('when a thread exits or throws, then that task fails and the next ones run on', async () => {
    const pool = new ThreadPool<TestTask, number>(script, 1, asError);
    try {
      await expect(pool.run({ exit: 3 })).rejects.toThrow(/worker thread died.*code 3/);
      expect(await pool.run({ value: 21 })).toBe(42);
      const thrown = await pool.run({ throw: 'out of range' }).catch((e: unknown) => e);
      expect(thrown).toMatchObject({ message: 'RangeError: out of range', fields: { hint: 'kept' } });
      expect(await Promise.all([1, 2, 3, 4].map((value) => pool.run({ value })))).toEqual([2, 4, 6, 8]);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('when a process has nothing open but a task on a thread, then it waits for the answer (an idle thread does not keep it alive)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tests/helpers/pool-alone.ts'], {
      cwd: REPO_ROOT,
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('42');
  }, 40_000);

  it('when the pool closes, then tasks waiting or running fail, and later ones are refused', async () => {
    const pool = new ThreadPool<TestTask, number>(script, 1, asError);
    const running = expect(pool.run({ value: 1 })).rejects.toThrow(/closed/);
    const waiting = expect(pool.run({ value: 2 })).rejects.toThrow(/closed/);
    await pool.close();
    await running;
    await waiting;
    await expect(pool.run({ value: 3 })).rejects.toThrow(/closed/);
  });
});
