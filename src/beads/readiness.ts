import type { Bead } from './bead.js';
import { EntityTable } from '../ledger/entity-table.js';

/** Why a bead cannot be worked on now. */
export interface Blocker {
  /** The bead in the way (absent for the bead's own status). */
  id?: string;
  reason: 'blocked-by' | 'parent-blocked' | 'parent-deferred' | 'status-blocked' | 'missing-dependency';
  /** Status of the bead in the way. */
  status?: string;
}

/** A bead's status; a table answers without parsing the bead (closed beads are mostly never parsed). */
export function statusOf(beads: ReadonlyMap<string, Bead>, id: string): string | undefined {
  return beads instanceof EntityTable ? beads.statusOf(id) : beads.get(id)?.status;
}

/** The beads whose status passes `keep`, parsing only those. */
export function beadsWithStatus(beads: ReadonlyMap<string, Bead>, keep: (status: string) => boolean): Bead[] {
  return beads instanceof EntityTable ? (beads as EntityTable<Bead>).withStatus(keep) : [...beads.values()].filter((b) => keep(b.status));
}

const notClosed = (status: string): boolean => status !== 'closed';

function parentOf(bead: Bead): string | undefined {
  return bead.deps.find((d) => d.type === 'parent-child')?.id;
}

/**
 * The blockers of every bead that is not closed (or only of `of`, and of their parents on the way). A
 * bead is blocked by each `blocks` dependency that is not closed, and by a parent that is itself blocked
 * or deferred, through any depth of parents.
 */
export function computeBlockers(beads: ReadonlyMap<string, Bead>, of?: readonly Bead[]): Map<string, Blocker[]> {
  const memo = new Map<string, Blocker[]>();
  const openParent = (bead: Bead): Bead | undefined => {
    const parentId = parentOf(bead);
    return parentId && notClosed(statusOf(beads, parentId) ?? 'closed') ? beads.get(parentId) : undefined;
  };
  const blockersOf = (bead: Bead): Blocker[] => {
    // The chain of parents not known yet, walked with a loop (a chain of thousands of beads cannot
    // overflow the stack), stopping at a deferred parent, as its blockers do not matter here, or at a
    // bead already on the chain: a parent cycle on a hand-edited ledger must not hang us.
    const chain: Bead[] = [];
    const onChain = new Set<string>();
    for (let b: Bead | undefined = bead; b && !memo.has(b.id) && !onChain.has(b.id); ) {
      chain.push(b);
      onChain.add(b.id);
      const parent = openParent(b);
      b = parent && parent.status !== 'deferred' ? parent : undefined;
    }
    // From the top down, each bead's parent is settled before the bead.
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i]!;
      const found: Blocker[] = [];
      if (b.status === 'blocked') found.push({ reason: 'status-blocked' });
      for (const dep of b.deps) {
        if (dep.type !== 'blocks') continue;
        const status = statusOf(beads, dep.id);
        if (status === undefined) found.push({ id: dep.id, reason: 'missing-dependency' });
        else if (status !== 'closed') found.push({ id: dep.id, reason: 'blocked-by', status });
      }
      const parent = openParent(b);
      if (parent) {
        if (parent.status === 'deferred') found.push({ id: parent.id, reason: 'parent-deferred', status: parent.status });
        else if ((memo.get(parent.id) ?? []).length > 0) found.push({ id: parent.id, reason: 'parent-blocked', status: parent.status });
      }
      memo.set(b.id, found);
    }
    return memo.get(bead.id)!;
  };
  for (const bead of of ?? beadsWithStatus(beads, notClosed)) if (notClosed(bead.status)) blockersOf(bead);
  return memo;
}

/** Highest priority (lowest number) first, then oldest. */
export function compareByPriorityThenAge(a: Bead, b: Bead): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Beads that can be started now: open and not blocked, most urgent and oldest first. */
export function readyBeads(beads: ReadonlyMap<string, Bead>): Bead[] {
  const blockers = computeBlockers(beads);
  return beadsWithStatus(beads, (status) => status === 'open')
    .filter((b) => (blockers.get(b.id)?.length ?? 0) === 0)
    .sort(compareByPriorityThenAge);
}

/** Beads that are not closed and cannot proceed, each with what stands in the way. */
export function blockedBeads(beads: ReadonlyMap<string, Bead>): { bead: Bead; blockers: Blocker[] }[] {
  const blockers = computeBlockers(beads);
  return beadsWithStatus(beads, (status) => status !== 'closed' && status !== 'deferred')
    .filter((b) => (blockers.get(b.id)?.length ?? 0) > 0)
    .sort(compareByPriorityThenAge)
    .map((bead) => ({ bead, blockers: blockers.get(bead.id)! }));
}

export function describeBlocker(blocker: Blocker): string {
  switch (blocker.reason) {
    case 'blocked-by':
      return `blocked by ${blocker.id} (${blocker.status})`;
    case 'parent-blocked':
      return `parent ${blocker.id} is blocked`;
    case 'parent-deferred':
      return `parent ${blocker.id} is deferred`;
    case 'status-blocked':
      return 'status is blocked';
    case 'missing-dependency':
      return `depends on ${blocker.id}, which does not exist`;
  }
}
