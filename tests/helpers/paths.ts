import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The repository's own fixtures (tests/fixtures): feeds written for these tests, and the seed event. */
export const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures');

export const fixture = (relative: string) => path.join(FIXTURES, relative);

/** One feed of the seed event (tests/fixtures/seed/feeds). */
export const seedFeed = (name: string) => path.join(FIXTURES, 'seed/feeds', name);
