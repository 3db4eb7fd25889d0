import { defineConfig } from 'vitest/config';

// Limits are generous on purpose: the suite must pass on a loaded two-core machine, where a test
// runs several times slower than alone. A test that needs more than a third of its limit is too slow.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files share one Postgres and one Redis (each in its own database and key prefix);
    // two cores run two files at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Pure stages on fixtures: no database, no Redis (npm run test:unit).
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts'],
        },
      },
      {
        extends: true,
        // The web app in Debian's Chromium (playwright-core), against the service and a feed server.
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts', 'tests/e2e/build-web.ts'],
        },
      },
    ],
  },
});
