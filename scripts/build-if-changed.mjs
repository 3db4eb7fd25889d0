// Compiles the TypeScript sources into dist/ and builds the web app into dist/web (Vite) when
// they changed since the last build, and says
// so; otherwise says dist/ is up to date and does nothing (`npm start` and `npm run bench` call
// it first). "Changed" is a hash of every input's path and bytes, so a checkout, an edit or a
// new dependency lock all count, and a touched file with the same bytes does not.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'migrations', 'bench', 'web', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = path.join(root, 'dist', '.build-hash');

/** The TypeScript and JSON files of an input (a file or a folder, walked), relative to the root. */
function filesUnder(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full)
    .flatMap((name) => filesUnder(path.join(entry, name)))
    .filter((f) => /\.(ts|tsx|json|css|html)$/.test(f));
}

const hash = createHash('sha256');
for (const file of INPUTS.flatMap(filesUnder).sort())
  hash
    .update(file)
    .update('\0')
    .update(readFileSync(path.join(root, file)));
const digest = hash.digest('hex');

if (
  existsSync(STAMP) &&
  readFileSync(STAMP, 'utf8') === digest &&
  existsSync(path.join(root, 'dist/src/main.js')) &&
  existsSync(path.join(root, 'dist/web/index.html'))
) {
  console.error('topicwire: dist/ is up to date with the sources; not compiling');
} else {
  console.error('topicwire: compiling the TypeScript sources into dist/ (tsc, ~10 s)…');
  const started = Date.now();
  const tsc = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  const vite = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' },
  );
  if (vite.status !== 0) process.exit(vite.status ?? 1);
  writeFileSync(STAMP, digest);
  console.error(`topicwire: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
