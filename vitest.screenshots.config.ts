import { defineConfig } from 'vitest/config';

// `npm run screenshots`: the pictures of the main pages in docs/screenshots (not a test: it writes files).
export default defineConfig({
  test: {
    include: ['tests/e2e/screenshots.run.ts'],
    globalSetup: ['tests/integration/global-setup.ts', 'tests/e2e/build-web.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
