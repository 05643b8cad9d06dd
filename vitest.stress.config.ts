import { defineConfig } from 'vitest/config';

/**
 * `npm run test:stress`: the stress and property tests at full size (GT_STRESS=1, see
 * test/helpers/stress.ts): 8 processes × 50 writes, 20 SIGKILLs, 1,000 merge-order scenarios, 8 agents
 * and the overseer appending 20 notes each to shared beads, 100 native git merges both ways, 10 runs of three
 * clones syncing, and the property tests' full run counts. Slow by design; `npm test` runs small versions of the same tests.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/reliability.test.ts', 'test/e2e/*.property.test.ts', 'test/e2e/nothing-lost.test.ts', 'test/unit/*.property.test.ts'],
    env: { GT_STRESS: '1' },
    globalSetup: ['test/global-setup.ts'],
    // A clean environment for every test file (colour and GT_* settings from the caller's shell).
    setupFiles: ['test/setup-env.ts'],
    // Safety nets against a hang only: a full-size run takes many minutes on a loaded machine.
    testTimeout: 4 * 3600_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
  },
});
