/**
 * The one clock of gt. Every time that decides behaviour comes from here: when a timer gate opens,
 * when a lock or an agent counts as stale or stuck, and the times written into records and commits.
 * Library entry points take a `Clock` (e.g. `Ledger.open({ now })`); they default to `now` below.
 *
 * GT_NOW fixes this clock at one instant: an ISO 8601 time (`2026-01-01T00:00:00Z`) or epoch
 * milliseconds (`1767225600000`). It is honoured ONLY FOR TESTS, so that a test that needs time to
 * pass runs the CLI with a later GT_NOW instead of sleeping. Never set it in real use: every command
 * then believes it is that instant (commits all get that time; a GT_NOW ahead of the real time makes
 * live ref locks look stale). It is read once per process.
 *
 * Deadlines of waits and measurements of how long something took use `elapsedMs` instead: real time
 * that GT_NOW does not touch (a fixed clock would never reach a deadline). Also on real time, by
 * design: the write lock's staleness (proper-lockfile checks it itself; tests age the lock with
 * utimes), the freshening of reused git objects (git gc compares mtimes with the real time), and
 * wall-clock times printed in logs.
 */
import { UsageError } from './errors.js';

/** Milliseconds since the epoch, like `Date.now`. */
export type Clock = () => number;

/** Parses a GT_NOW value: ISO 8601 or epoch milliseconds; throws UsageError on anything else. */
export function parseClockTime(text: string): number {
  const trimmed = text.trim();
  const ms = /^-?\d+$/.test(trimmed) ? Number(trimmed) : /^\d{4}-\d\d-\d\d/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new UsageError(`GT_NOW must be an ISO 8601 time or epoch milliseconds, not '${text}'`, 'e.g. GT_NOW=2026-01-01T00:00:00Z (for tests only)');
  }
  return ms;
}

let fixed: number | null | undefined;

/** The current time in epoch milliseconds: GT_NOW when set (tests only), else the real time. */
export const now: Clock = () => {
  if (fixed === undefined) {
    const env = process.env.GT_NOW;
    fixed = env !== undefined && env.trim() !== '' ? parseClockTime(env) : null;
  }
  return fixed ?? Date.now();
};

/** Real elapsed milliseconds from an arbitrary origin, for deadlines and durations; never affected by GT_NOW. */
export function elapsedMs(): number {
  return performance.now();
}
