import { describe, expect, it } from 'vitest';
import type { Bead, BeadStatus, Dep } from '../../src/beads/bead.js';
import { blockedBeads, computeBlockers, readyBeads } from '../../src/beads/readiness.js';
import { dependencyTree, findCycle } from '../../src/beads/graph.js';
import { findAllCycles } from '../../src/beads/bead-doctor.js';

let clock = 0;
function bead(id: string, status: BeadStatus = 'open', deps: Dep[] = [], priority = 2): Bead {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString();
  return { id, title: id, type: 'task', status, priority, labels: [], deps, comments: [], created_at: at, created_by: 'x', updated_at: at };
}
const map = (...beads: Bead[]): Map<string, Bead> => new Map(beads.map((b) => [b.id, b]));

describe('ready and blocked', () => {
  it('a blocks dependency that is not closed blocks, whatever its status', () => {
    for (const status of ['open', 'in_progress', 'blocked', 'deferred', 'hooked'] as const) {
      const beads = map(bead('a', status), bead('b', 'open', [{ type: 'blocks', id: 'a' }]));
      expect(readyBeads(beads).map((b) => b.id)).not.toContain('b');
    }
    const beads = map(bead('a', 'closed'), bead('b', 'open', [{ type: 'blocks', id: 'a' }]));
    expect(readyBeads(beads).map((b) => b.id)).toEqual(['b']);
  });

  it('a blocked or deferred parent blocks its children through any depth; an open parent does not', () => {
    const beads = map(
      bead('blocker'),
      bead('epic', 'open', [{ type: 'blocks', id: 'blocker' }]),
      bead('child', 'open', [{ type: 'parent-child', id: 'epic' }]),
      bead('grandchild', 'open', [{ type: 'parent-child', id: 'child' }]),
      bead('frozen', 'deferred'),
      bead('under-frozen', 'open', [{ type: 'parent-child', id: 'frozen' }]),
      bead('free-parent'),
      bead('free-child', 'open', [{ type: 'parent-child', id: 'free-parent' }]),
    );
    expect(readyBeads(beads).map((b) => b.id).sort()).toEqual(['blocker', 'free-child', 'free-parent']);
    const blocked = new Map(blockedBeads(beads).map(({ bead: b, blockers }) => [b.id, blockers]));
    expect(blocked.get('grandchild')).toEqual([{ id: 'child', reason: 'parent-blocked', status: 'open' }]);
    expect(blocked.get('under-frozen')).toEqual([{ id: 'frozen', reason: 'parent-deferred', status: 'deferred' }]);
  });

  it('related, discovered-from and tracks never block; ready sorts by priority then age', () => {
    const beads = map(
      bead('old-p2'),
      bead('p0', 'open', [], 0),
      bead('new-p2', 'open', [
        { type: 'related', id: 'p0' },
        { type: 'discovered-from', id: 'p0' },
        { type: 'tracks', id: 'p0' },
      ]),
    );
    expect(readyBeads(beads).map((b) => b.id)).toEqual(['p0', 'old-p2', 'new-p2']);
  });

  it('a dependency on a missing bead blocks and says so; a parent cycle does not hang', () => {
    const beads = map(bead('a', 'open', [{ type: 'blocks', id: 'ghost' }]), bead('x', 'open', [{ type: 'parent-child', id: 'y' }]), bead('y', 'open', [{ type: 'parent-child', id: 'x' }]));
    expect(blockedBeads(beads)[0]!.blockers).toEqual([{ id: 'ghost', reason: 'missing-dependency' }]);
    expect(readyBeads(beads).map((b) => b.id).sort()).toEqual(['x', 'y']);
  });
});

describe('blockers of a few beads', () => {
  it('are those the whole computation finds, parents through any depth included', () => {
    const beads = map(
      bead('blocker'),
      bead('epic', 'open', [{ type: 'blocks', id: 'blocker' }]),
      bead('child', 'open', [{ type: 'parent-child', id: 'epic' }]),
      bead('grandchild', 'open', [{ type: 'parent-child', id: 'child' }]),
      bead('frozen', 'deferred'),
      bead('under-frozen', 'open', [{ type: 'parent-child', id: 'frozen' }]),
      bead('gone', 'closed', [{ type: 'blocks', id: 'blocker' }]),
      bead('free'),
    );
    const all = computeBlockers(beads);
    for (const id of ['grandchild', 'under-frozen', 'free', 'epic']) {
      expect(computeBlockers(beads, [beads.get(id)!]).get(id), id).toEqual(all.get(id));
    }
    // A closed bead has no blockers either way.
    expect(computeBlockers(beads, [beads.get('gone')!]).has('gone')).toBe(all.has('gone'));
  });
});

describe('cycles and trees', () => {
  it('names the cycle a new ordering dependency would close', () => {
    const beads = map(bead('a'), bead('b', 'open', [{ type: 'blocks', id: 'a' }]), bead('c', 'open', [{ type: 'parent-child', id: 'b' }]));
    expect(findCycle(beads, 'a', 'c', 'blocks')).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle(beads, 'a', 'c', 'related')).toBeNull();
    expect(findCycle(beads, 'c', 'a', 'blocks')).toBeNull();
    expect(findCycle(beads, 'a', 'a', 'blocks')).toEqual(['a', 'a']);
  });

  it('finds every cycle already on a ledger, and builds dependency trees without repeating subtrees', () => {
    const beads = map(bead('a', 'open', [{ type: 'blocks', id: 'b' }]), bead('b', 'open', [{ type: 'blocks', id: 'a' }]), bead('c', 'open', [{ type: 'blocks', id: 'a' }, { type: 'related', id: 'a' }]));
    expect(findAllCycles(beads)).toEqual([['a', 'b', 'a']]);
    const tree = dependencyTree(beads, 'c');
    expect(tree.children.map((n) => [n.id, n.type])).toEqual([['a', 'blocks'], ['a', 'related']]);
    expect(tree.children[1]!.repeated).toBe(true);
  });
});
