import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared feed corpus beside the checkout (../shared/corpus); its absence is an error, never a skip. */
export const CORPUS = path.resolve(REPO_ROOT, '../shared/corpus');
if (!existsSync(CORPUS)) throw new Error(`the feed corpus is missing: expected it at ${CORPUS}`);

export const corpusFile = (relative: string) => path.join(CORPUS, relative);
