/** Graph walks over beads keep their own stack: chains and cycles of any length cannot overflow it. */
import { describe, expect, it } from 'vitest';
import type { Bead, Dep } from '../../src/beads/bead.js';
import { blockedBeads, computeBlockers, readyBeads } from '../../src/beads/readiness.js';
import { dependencyTree, findCycle } from '../../src/beads/graph.js';
import { findAllCycles } from '../../src/beads/bead-doctor.js';

const AT = '2026-01-01T00:00:00.000Z';
const id = (i: number): string => `b-${String(i).padStart(6, '0')}`;
function bead(beadId: string, deps: Dep[], status: Bead['status'] = 'open'): Bead {
  return { id: beadId, title: beadId, type: 'task', status, priority: 2, labels: [], deps, comments: [], created_at: AT, created_by: 'x', updated_at: AT };
}

/** b-000000 → b-000001 → … → b-<n-1>, each the child of the next and blocked by it; the last by `end`. */
function chain(n: number, end?: string): Map<string, Bead> {
  const beads = new Map<string, Bead>();
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? id(i + 1) : end;
    const deps: Dep[] = next === undefined ? [] : [{ type: 'blocks', id: next }, ...(i + 1 < n ? [{ type: 'parent-child' as const, id: next }] : [])];
    beads.set(id(i), bead(id(i), deps));
  }
  return beads;
}

const N = 50_000;

describe(`a ${N.toLocaleString('en-US')}-bead chain`, () => {
  it('doctor finds no cycle in it, and the one cycle when its end depends on its start', () => {
    expect(findAllCycles(chain(N))).toEqual([]);
    const cycles = findAllCycles(chain(N, id(0)));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(N + 1);
    expect(cycles[0]![0]).toBe(id(0));
    expect(cycles[0]![N]).toBe(id(0));
  });

  it('readiness walks the parents of the whole chain', () => {
    const beads = chain(N, 'z-blocker');
    beads.set('z-blocker', bead('z-blocker', []));
    expect(readyBeads(beads).map((b) => b.id)).toEqual(['z-blocker']);
    expect(blockedBeads(beads)).toHaveLength(N);
    expect(computeBlockers(beads).get(id(0))).toEqual([
      { id: id(1), reason: 'blocked-by', status: 'open' },
      { id: id(1), reason: 'parent-blocked', status: 'open' },
    ]);
  });

  it('a parent cycle neither hangs nor overflows readiness', () => {
    const beads = chain(N);
    beads.set(id(N - 1), bead(id(N - 1), [{ type: 'parent-child', id: id(0) }]));
    expect(readyBeads(beads).map((b) => b.id)).toEqual([id(N - 1)]);
  });

  it('adding the dependency that closes it is found as a cycle; the tree stops at its depth bound', () => {
    const cycle = findCycle(chain(N), id(N - 1), id(0), 'blocks');
    expect(cycle).toHaveLength(N + 1);
    let depth = 0;
    for (let node = dependencyTree(chain(N), id(0)); node.children.length > 0; node = node.children[0]!) depth++;
    expect(depth).toBeLessThanOrEqual(50);
  });
});
