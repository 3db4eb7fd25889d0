import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const SRC = path.join(REPO_ROOT, 'src');

/**
 * Every module of src/ with the top-level folders of src/ it takes code from ('' for src/ itself);
 * `import type` is left out: a row type may travel up to the code that maps it.
 */
function imports(): { file: string; layer: string; uses: Set<string> }[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : [];
    });
  return walk(SRC).map((file) => {
    const uses = new Set<string>();
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec!));
      uses.add(target.includes(path.sep) ? target.split(path.sep)[0]! : '');
    }
    const rel = path.relative(SRC, file);
    return { file: rel, layer: rel.includes(path.sep) ? rel.split(path.sep)[0]! : '', uses };
  });
}

// What each layer may not import: entry points sit on the application layer, which sits on the
// repositories, the job graph and the pure stages; the pure stages know nothing above them.
const FORBIDDEN: Record<string, string[]> = {
  pipeline: ['api', 'cli', 'workers', 'app', 'db', 'queue', 'render'],
  rules: ['api', 'cli', 'workers', 'app', 'db', 'queue', 'render', 'pipeline'],
  stories: ['api', 'cli', 'workers', 'app', 'db', 'queue', 'render'],
  render: ['api', 'cli', 'workers', 'app', 'queue'],
  db: ['api', 'cli', 'workers', 'app', 'queue', 'render'],
  queue: ['api', 'cli', 'workers', 'app', 'db'],
  app: ['api', 'cli', 'workers'],
  workers: ['api', 'cli', 'db'],
  api: ['cli', 'workers', 'db'],
  // The CLI opens, creates and migrates the database itself (the migrate command): it may wire db/.
  cli: ['api', 'workers'],
};

describe('the layers of src/', () => {
  it('when a module imports another, then the import points down the layers, never up or across entry points', () => {
    const wrong = imports().flatMap(({ file, layer, uses }) =>
      (FORBIDDEN[layer] ?? []).filter((f) => uses.has(f)).map((f) => `${file} imports from ${f}/`),
    );
    expect(wrong).toEqual([]);
  });
});
