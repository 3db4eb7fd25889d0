import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { seedFeed, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'src/cli/main.ts'), 'parse', ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('cli parse', () => {
  it('when given one feed, then it prints the normalized feed with every contract key', async () => {
    const { code, stdout } = await cli(seedFeed('english-wire.rss'));
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(Object.keys(out.feed).sort()).toEqual([
      'description',
      'feedUrl',
      'hubs',
      'language',
      'siteUrl',
      'title',
      'updated',
    ]);
    expect(Object.keys(out.items[0]).sort()).toEqual([
      'author',
      'categories',
      'contentHtml',
      'contentText',
      'enclosures',
      'guid',
      'language',
      'published',
      'summary',
      'title',
      'updated',
      'url',
    ]);
  });

  it('when given several files, then it prints one line each and goes on past bad ones', async () => {
    const bad = path.join(tmpdir(), `not-a-feed-${process.pid}.xml`);
    writeFileSync(bad, '<html><p>no feed here</p></html>');
    const good = seedFeed('hindi-republisher-c.json');
    const { code, stdout } = await cli(good, bad, good);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual([good, bad, good]);
    expect(lines[0].items).toHaveLength(1);
    expect(lines[1]).toEqual({ file: bad, error: expect.stringMatching(/not a feed/) });
  });

  it('when the only input is not a feed, then it exits 1 with a one-line error', async () => {
    const bad = path.join(tmpdir(), `garbage-${process.pid}.xml`);
    writeFileSync(bad, 'garbage');
    const { code, stdout, stderr } = await cli(bad).finally(() => rmSync(bad, { force: true }));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
