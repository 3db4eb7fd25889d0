import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readerModule } from '../../scripts/build-wasm.js';

describe('the word reader WebAssembly module', () => {
  it('is what the committed AssemblyScript source compiles to (run `npm run build:wasm` after changing it)', async () => {
    const committed = readFileSync(new URL('../../src/rules/reader-wasm.ts', import.meta.url), 'utf8');
    expect(await readerModule()).toBe(committed);
  }, 30_000);
});
