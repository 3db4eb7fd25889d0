import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

/** The repository's own feed fixtures: the fuzzer's starting documents. */
export const FIXTURE_DIRS = [path.join(FIXTURES, 'feeds'), path.join(FIXTURES, 'seed/feeds')];

/** Inputs that found a bug once, replayed by tests/integration/fuzz-regressions.test.ts. */
export const FUZZ_FIXTURES = path.join(FIXTURES, 'fuzz');
