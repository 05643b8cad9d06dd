/** Small builders and catchers the unit tests share, so each test states only what matters to it. */
import type { Bead } from '../../src/beads/bead.js';

/** A valid open task bead; `overrides` replace any field (defaults are plain and dated 2026-01-01). */
export function sampleBead(overrides: Partial<Bead> = {}): Bead {
  const at = overrides.created_at ?? '2026-01-01T00:00:00.000Z';
  return {
    id: 'gt-a1',
    title: `Title of ${overrides.id ?? 'gt-a1'}`,
    type: 'task',
    status: 'open',
    priority: 2,
    labels: [],
    deps: [],
    comments: [],
    created_at: at,
    created_by: 'alice',
    updated_at: at,
    ...overrides,
  };
}

/** The error `fn` throws, which must be an instance of `type` (anything else fails the test). */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}
