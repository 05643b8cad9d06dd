/** The bead: one work item. This file is the schema; everything read from the ledger is validated against it. */
import type { Seen, Writes } from '../ledger/merge/causal.js';

export const BEAD_STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'hooked', 'closed'] as const;
export type BeadStatus = (typeof BEAD_STATUSES)[number];

export const BUILTIN_BEAD_TYPES = ['task', 'bug', 'feature', 'chore', 'epic', 'decision'] as const;

export const DEP_TYPES = ['blocks', 'parent-child', 'related', 'discovered-from', 'tracks'] as const;
export type DepType = (typeof DEP_TYPES)[number];

/** Dependency types that order work: a cycle through them would deadlock `ready`. */
export const ORDERING_DEP_TYPES: readonly DepType[] = ['blocks', 'parent-child'];

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 4;
export const DEFAULT_PRIORITY = 2;

/** `id` depends on this bead in the way `type` says (for `blocks`: the target blocks the holder). */
export interface Dep {
  type: DepType;
  id: string;
}

export interface Comment {
  id: string;
  author: string;
  at: string;
  text: string;
}

/**
 * Fields whose concurrent edits are settled by "latest change wins". Their edit times are kept in
 * `edited` so that the winner does not depend on the order in which agent branches are merged.
 */
export const STAMPED_FIELDS = [
  'title',
  'type',
  'assignee',
  'description',
  'acceptance',
  'notes',
  'external_ref',
  'close_reason',
] as const;
export type StampedField = (typeof STAMPED_FIELDS)[number];

/**
 * Fields whose writes are tracked (`writes`, ledger/merge/causal.ts): everything a bead's users change.
 * `closed_at` follows `status`; comments only ever grow, so their union needs no history.
 */
export const CAUSAL_FIELDS = [
  'title',
  'type',
  'status',
  'priority',
  'assignee',
  'labels',
  'description',
  'acceptance',
  'notes',
  'deps',
  'external_ref',
  'close_reason',
] as const satisfies readonly (keyof Bead)[];

export interface Bead {
  id: string;
  title: string;
  type: string;
  status: BeadStatus;
  priority: number;
  assignee?: string;
  /** Sorted, unique. */
  labels: string[];
  description?: string;
  acceptance?: string;
  notes?: string;
  /** Sorted by (type, id), unique. */
  deps: Dep[];
  external_ref?: string;
  /** Sorted by (at, id), unique by id. */
  comments: Comment[];
  created_at: string;
  created_by: string;
  updated_at: string;
  closed_at?: string;
  close_reason?: string;
  /** ISO time of the last edit of each stamped field changed after creation. */
  edited?: Partial<Record<StampedField, string>>;
  /** Per writer, the latest of its writes this bead reflects (ledger/merge/causal.ts). */
  seen?: Seen;
  /** Per field of CAUSAL_FIELDS changed since creation, the write that set its value. */
  writes?: Writes;
}

/** Canonical key order of a bead file. */
export const BEAD_KEY_ORDER: readonly (keyof Bead)[] = [
  'id',
  'title',
  'type',
  'status',
  'priority',
  'assignee',
  'labels',
  'description',
  'acceptance',
  'notes',
  'deps',
  'external_ref',
  'comments',
  'created_at',
  'created_by',
  'updated_at',
  'closed_at',
  'close_reason',
  'edited',
  'seen',
  'writes',
];

export function isBeadStatus(value: string): value is BeadStatus {
  return (BEAD_STATUSES as readonly string[]).includes(value);
}

export function isDepType(value: string): value is DepType {
  return (DEP_TYPES as readonly string[]).includes(value);
}

export function compareDeps(a: Dep, b: Dep): number {
  return a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1;
}

export function compareComments(a: Comment, b: Comment): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Brings the set-like fields into their canonical order (sorted, no duplicates). */
export function normalizeBead(bead: Bead): Bead {
  const labels = [...new Set(bead.labels)].sort();
  const seenDeps = new Set<string>();
  const deps = [...bead.deps].sort(compareDeps).filter((d) => {
    const key = `${d.type}\u0000${d.id}`;
    if (seenDeps.has(key)) return false;
    seenDeps.add(key);
    return true;
  });
  const byId = new Map<string, Comment>();
  for (const c of bead.comments) if (!byId.has(c.id)) byId.set(c.id, c);
  const comments = [...byId.values()].sort(compareComments);
  return { ...bead, labels, deps, comments };
}
