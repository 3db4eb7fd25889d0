import { readFile } from 'node:fs/promises';
import { readFeed } from '../pipeline/read-feed.js';
import type { NormalizedFeed } from '../pipeline/types.js';

/**
 * `parse <file-or-url> …`: one file prints its normalized feed (docs/contract.md); several print one
 * JSON line each, errors included, so that a batch goes on past bad files. Returns the exit code.
 */
export async function parseCommand(
  args: string[],
  fetchUrl: (url: string) => Promise<{ body: Uint8Array; contentType: string }>,
): Promise<number> {
  if (args.length === 0) {
    process.stderr.write('usage: cli parse <file-or-url> [more …]\n');
    return 2;
  }
  const read = async (source: string) => {
    if (/^https?:\/\//i.test(source)) {
      const { body, contentType } = await fetchUrl(source);
      return contract(await readFeed(body, { contentType, documentUrl: source }));
    }
    return contract(await readFeed(await readFile(source)));
  };
  if (args.length === 1) {
    try {
      const { feed, items } = await read(args[0]!);
      process.stdout.write(JSON.stringify({ feed, items }, null, 2) + '\n');
      return 0;
    } catch (err) {
      process.stderr.write(`${args[0]}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  let failed = 0;
  for (const file of args) {
    let line: string;
    try {
      const { feed, items } = await read(file);
      line = JSON.stringify({ file, feed, items });
    } catch (err) {
      failed++;
      line = JSON.stringify({ file, error: (err as Error).message });
    }
    process.stdout.write(line + '\n');
  }
  return failed === args.length ? 1 : 0;
}

/** Exactly the keys of docs/contract.md: the link hints that story grouping uses are not part of it. */
function contract({ feed, items }: NormalizedFeed) {
  return { feed, items: items.map(({ canonicalLink: _canonical, sourceUrl: _source, ...item }) => item) };
}
