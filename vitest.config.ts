import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test, with the stress and property tests at small sizes (test/helpers/stress.ts).
 * `npm run test:stress` runs those at full size (vitest.stress.config.ts).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Refuses a missing or stale dist/gt.mjs: the e2e tests run the built CLI.
    globalSetup: ['test/global-setup.ts'],
    // A clean environment for every test file (colour and GT_* settings from the caller's shell).
    setupFiles: ['test/setup-env.ts'],
    // Safety nets against a hang, not assertions: generous enough for a heavily loaded 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // End-to-end tests spawn many git and gt processes; two cores are all we have.
    maxWorkers: 2,
  },
});
