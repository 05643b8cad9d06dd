/**
 * Random ledger scenarios for the merge property tests: initial beads, then interleaved edits by
 * several writers (agents on their branches, or the overseer on the ledger), through the library.
 */
import fc from 'fast-check';
import type { Ledger, Transaction } from '../../src/ledger/ledger.js';
import { addComment, addDependency, closeBead, createBead, removeDependency, reopenBead, updateBead } from '../../src/beads/bead-service.js';
import { BEAD_STATUSES, type BeadStatus } from '../../src/beads/bead.js';
import { RuleError } from '../../src/errors.js';

// Small pools, so that agents often touch the same beads, fields and elements.
export const TITLES = ['alpha', 'beta', 'gamma'] as const;
/** '' unsets the field. */
export const TEXTS = ['one', 'two', ''] as const;
export const ASSIGNEES = ['ann', 'bo', ''] as const;
export const LABELS = ['a', 'b', 'c', 'd'] as const;
export const COMMENTS = ['hi', 'lgtm'] as const;
// ---------------------------------------------------------------------------------------------
// Scenario generation

/** `b` and `t` pick a bead among those the agent knows (initial beads, then its own new one). */
export type Op =
  | { k: 'title'; b: number; v: string }
  | { k: 'description' | 'notes' | 'assignee'; b: number; v: string }
  | { k: 'priority'; b: number; v: number }
  | { k: 'status'; b: number; v: BeadStatus }
  | { k: 'label'; b: number; label: string; add: boolean }
  | { k: 'dep'; b: number; t: number; add: boolean }
  | { k: 'comment'; b: number; text: string }
  | { k: 'close'; b: number; reason: string }
  | { k: 'reopen'; b: number }
  | { k: 'create'; title: string; labels: string[] };

export interface InitialBead {
  title: string;
  labels: string[];
  priority: number;
  description: string;
  /** Index of another initial bead this one has a `related` dependency on. */
  related: number | undefined;
  closed: boolean;
}

export interface Scenario {
  beads: InitialBead[];
  /** Interleaved steps: which agent runs which operation. */
  steps: { agent: number; op: Op }[];
  agentCount: number;
}

// Bead 0 is picked a third of the time, so that agents often meet on one bead.
const ref = fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.nat({ max: 6 }), weight: 2 });
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('title' as const), b: ref, v: fc.constantFrom(...TITLES) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('description' as const, 'notes' as const), b: ref, v: fc.constantFrom(...TEXTS) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('assignee' as const), b: ref, v: fc.constantFrom(...ASSIGNEES) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('priority' as const), b: ref, v: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('status' as const), b: ref, v: fc.constantFrom(...BEAD_STATUSES) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('label' as const), b: ref, label: fc.constantFrom(...LABELS), add: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dep' as const), b: ref, t: ref, add: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('comment' as const), b: ref, text: fc.constantFrom(...COMMENTS) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), b: ref, reason: fc.constantFrom('done', '') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('reopen' as const), b: ref }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('create' as const), title: fc.constantFrom(...TITLES), labels: fc.subarray([...LABELS]) }) },
);

const initialBeadArb: fc.Arbitrary<InitialBead> = fc.record({
  title: fc.constantFrom(...TITLES),
  labels: fc.subarray([...LABELS]),
  priority: fc.integer({ min: 0, max: 4 }),
  description: fc.constantFrom(...TEXTS),
  related: fc.option(fc.nat({ max: 4 }), { nil: undefined }),
  closed: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

/** Scenarios of 2 to `maxWriters` writers (4 by default). */
export const scenarioArbOf = (maxWriters = 4): fc.Arbitrary<Scenario> =>
  fc
  .record({
    beads: fc.array(initialBeadArb, { minLength: 3, maxLength: 5 }),
    // Each operation carries a sort key: sorting by it interleaves the agents' operations.
    agents: fc.array(fc.array(fc.tuple(opArb, fc.nat({ max: 1000 })), { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: maxWriters }),
  })
  .map(({ beads, agents }) => {
    const steps = agents
      .flatMap((ops, agent) => ops.map(([op, key]) => ({ agent, op, key })))
      .sort((x, y) => x.key - y.key)
      .map(({ agent, op }) => ({ agent, op }));
    return { beads, steps, agentCount: agents.length };
  });

/** Runs one operation; returns what the commit message should say, or null when it was skipped. */
export function applyOp(tx: Transaction, op: Op, known: string[], mine: { created?: string }): string | null {
  if (op.k === 'create') {
    if (mine.created !== undefined) return null; // at most one new bead per agent
    mine.created = createBead(tx, { title: op.title, labels: op.labels }).id;
    return `create ${mine.created}`;
  }
  const id = known[op.b % known.length]!;
  switch (op.k) {
    case 'title':
    case 'description':
    case 'notes':
    case 'assignee':
      updateBead(tx, id, { [op.k]: op.v });
      break;
    case 'priority':
      updateBead(tx, id, { priority: op.v });
      break;
    case 'status':
      updateBead(tx, id, { status: op.v });
      break;
    case 'label':
      updateBead(tx, id, op.add ? { addLabels: [op.label] } : { removeLabels: [op.label] });
      break;
    case 'dep': {
      const target = known[op.t % known.length]!;
      if (target === id) return null;
      // `related` never orders work, so no cycle can make the service refuse it.
      if (op.add) addDependency(tx, id, target, 'related');
      else removeDependency(tx, id, target, 'related');
      break;
    }
    case 'comment':
      addComment(tx, id, op.text);
      break;
    case 'close':
      closeBead(tx, id, { reason: op.reason });
      break;
    case 'reopen':
      reopenBead(tx, id);
      break;
  }
  return `${op.k} ${id}`;
}


/** The scenario's initial beads, in one commit of `overseer` (a ledger just initialised); returns their ids. */
export async function seedBeads(overseer: Ledger, s: Scenario): Promise<string[]> {
  return (
    await overseer.write((tx) => {
      const ids = s.beads.map((spec, i) =>
        createBead(tx, { title: `${spec.title} ${i}`, labels: spec.labels, priority: spec.priority, description: spec.description }).id,
      );
      s.beads.forEach((spec, i) => {
        if (spec.related !== undefined && spec.related % ids.length !== i) addDependency(tx, ids[i]!, ids[spec.related % ids.length]!, 'related');
      });
      s.beads.forEach((spec, i) => {
        if (spec.closed) closeBead(tx, ids[i]!, { reason: 'before' });
      });
      return { result: ids, message: `create ${ids.length} beads` };
    })
  ).result;
}

/** Runs the scenario's steps, each as one write of its writer's ledger; counts what was applied and skipped. */
export async function applySteps(writers: readonly Ledger[], s: Scenario, baseIds: readonly string[], stats: { writes: number; skipped: number }): Promise<void> {
  const mine = writers.map(() => ({}) as { created?: string });
  for (const { agent, op } of s.steps) {
    const state = mine[agent]!;
    const known = state.created ? [...baseIds, state.created] : [...baseIds];
    const { result } = await writers[agent]!.write((tx) => {
      // A copy, so that a retried transaction starts from the same state.
      const local = { ...state };
      let message: string | null;
      try {
        message = applyOp(tx, op, known, local);
      } catch (error) {
        // A refusal (reopen of an open bead, removing a missing dependency) skips the operation.
        if (!(error instanceof RuleError)) throw error;
        message = null;
      }
      return { result: { created: message === null ? state.created : local.created, applied: message !== null }, message: message ?? 'skipped' };
    });
    if (result.created !== undefined) state.created = result.created;
    if (result.applied) stats.writes++;
    else stats.skipped++;
  }
}
