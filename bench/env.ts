import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, from the source (bench/) or the build (dist/bench/) alike. */
export const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

/**
 * The PostgreSQL cluster benchmarks create their databases in. BENCH_PG_URL: another one, e.g.
 * started with pg_stat_statements to see where PostgreSQL's time goes.
 */
export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
