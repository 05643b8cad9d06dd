import { describe, expect, it } from 'vitest';
import { isStalled, stallStep } from '../../src/polecats/stall.js';
import type { Activity } from '../../src/polecats/activity.js';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (minutes: number): number => T0 + minutes * MIN;
const iso = (minutes: number): string => new Date(at(minutes)).toISOString();
const active = (minutes: number): Activity => ({ at: at(minutes), source: 'log' });
const STALL = 5 * MIN;

describe('stall decisions', () => {
  it('counts a session stalled after witness.stall_after without activity, and one that left no sign never', () => {
    expect(isStalled(active(0), at(4.9), STALL)).toBe(false);
    expect(isStalled(active(0), at(5), STALL)).toBe(true);
    expect(isStalled(undefined, at(60), STALL)).toBe(false);
  });

  it('nudges once, waits witness.stall_after, then restarts', () => {
    expect(stallStep({}, active(0), at(4), STALL)).toBeUndefined();
    expect(stallStep({}, active(0), at(6), STALL)).toBe('nudge');
    const nudged = { nudged_at: iso(6) };
    expect(stallStep(nudged, active(0), at(6), STALL)).toBeUndefined();
    expect(stallStep(nudged, active(0), at(10.9), STALL)).toBeUndefined();
    expect(stallStep(nudged, active(0), at(11), STALL)).toBe('restart');
  });

  it('ends the episode on activity after the nudge: a later stall gets a new nudge', () => {
    const nudged = { nudged_at: iso(6) };
    // Active after the nudge, and quiet since for less than stall_after: nothing to do.
    expect(stallStep(nudged, active(7), at(11), STALL)).toBeUndefined();
    // Quiet again for stall_after: a new nudge, not a restart.
    expect(stallStep(nudged, active(7), at(12), STALL)).toBe('nudge');
  });
});
