import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/integration/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files share one Postgres and one Redis (each in its own database and key prefix);
    // two cores run two files at a time.
    maxWorkers: 2,
  },
});
