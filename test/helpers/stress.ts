/**
 * Test sizes. `npm test` runs small versions of the stress and property tests, so that every path is
 * covered quickly on a loaded machine; `npm run test:stress` (GT_STRESS=1, vitest.stress.config.ts)
 * runs them at full size.
 */
export const STRESS = process.env.GT_STRESS === '1';

/** `small` in `npm test`, `full` in `npm run test:stress`. */
export function sized(small: number, full: number): number {
  return STRESS ? full : small;
}
