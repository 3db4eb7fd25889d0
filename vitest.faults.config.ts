import { defineConfig } from 'vitest/config';

// Fault injection and fuzzing (npm run test:faults, npm run test:fuzz): long runs on services of
// their own, apart from `npm test`. .ci/run runs both, the fuzzing bounded.
export default defineConfig({
  test: {
    testTimeout: 600_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    projects: [
      { extends: true, test: { name: 'faults', include: ['tests/faults/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'fuzz',
          include: ['tests/fuzz/**/*.test.ts'],
          // Fuzzing runs against the shared services, each test file in a database of its own.
          globalSetup: ['tests/integration/global-setup.ts'],
        },
      },
    ],
  },
});
