/**
 * Properties of the bead merge over simulated concurrent histories: several agent branches fork the
 * same base bead and edit it, each edit stamped by one clock shared by all branches (so every edit
 * has a unique time, as wall clocks practically give), then the branches are merged in every order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BEAD_STATUSES,
  STAMPED_FIELDS,
  normalizeBead,
  type Bead,
  type BeadStatus,
  type Dep,
  type StampedField,
} from '../../src/beads/bead.js';
import { mergeBead } from '../../src/beads/bead-merge.js';
import { sized } from '../helpers/stress.js';

/** Runs per property: 60 in `npm test`, 300 in `npm run test:stress`; GT_PROPERTY_RUNS sets it for a longer hunt. */
const RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(60, 300);

const CREATED = '2025-01-01T00:00:00.000Z';
const BASE_EDITED = '2025-01-01T06:00:00.000Z';
const BASE_CLOSED = '2025-01-01T09:00:00.000Z';
const BASE_UPDATED = '2025-01-01T12:00:00.000Z';
/** The shared clock: tick n of the simulated history, always later than anything in the base. */
const tick = (n: number): string => new Date(Date.UTC(2025, 0, 2) + n * 1000).toISOString();

// Small pools, so that branches often pick the same values and touch the same elements.
const TEXTS = ['v1', 'v2', 'v3'] as const;
const LABELS = ['a', 'b', 'c', 'd'] as const;
const DEPS: Dep[] = [
  { type: 'blocks', id: 'gt-x' },
  { type: 'blocks', id: 'gt-y' },
  { type: 'related', id: 'gt-x' },
  { type: 'parent-child', id: 'gt-z' },
];
const REQUIRED_FIELDS: ReadonlySet<StampedField> = new Set(['title', 'type']);
const STATUS_PRECEDENCE: readonly BeadStatus[] = ['open', 'deferred', 'blocked', 'hooked', 'in_progress', 'closed'];
const depKey = (d: Dep): string => `${d.type}\u0000${d.id}`;

type Op =
  | { kind: 'field'; field: StampedField; value: string | undefined }
  | { kind: 'status'; status: BeadStatus; reason: string }
  | { kind: 'priority'; priority: number }
  | { kind: 'label'; label: string; add: boolean }
  | { kind: 'dep'; dep: Dep; add: boolean }
  | { kind: 'comment'; text: string };

interface Step {
  branch: number;
  op: Op;
}

interface Scenario {
  base: Bead;
  branches: Bead[];
  steps: Step[];
  /** The last value written to each stamped field by any branch, with its time. */
  lastEdit: Map<StampedField, { value: string | undefined; at: string }>;
}

const textArb = fc.option(fc.constantFrom(...TEXTS), { nil: undefined });

const baseArb: fc.Arbitrary<Bead> = fc
  .record({
    title: fc.constantFrom(...TEXTS),
    type: fc.constantFrom('task', 'bug'),
    status: fc.constantFrom(...BEAD_STATUSES),
    priority: fc.integer({ min: 0, max: 4 }),
    assignee: textArb,
    description: textArb,
    acceptance: textArb,
    notes: textArb,
    external_ref: textArb,
    close_reason: textArb,
    labels: fc.subarray([...LABELS]),
    deps: fc.subarray(DEPS),
    commentCount: fc.integer({ min: 0, max: 2 }),
    editedFields: fc.subarray([...STAMPED_FIELDS]),
  })
  .map((r) => {
    const { commentCount, editedFields, ...fields } = r;
    const bead: Bead = {
      id: 'gt-p1',
      ...fields,
      comments: Array.from({ length: commentCount }, (_, i) => ({
        id: `c-base-${i}`,
        author: 'alice',
        at: BASE_EDITED,
        text: `base ${i}`,
      })),
      created_at: CREATED,
      created_by: 'alice',
      updated_at: BASE_UPDATED,
    };
    if (r.status === 'closed') bead.closed_at = BASE_CLOSED;
    if (editedFields.length > 0) bead.edited = Object.fromEntries(editedFields.map((f) => [f, BASE_EDITED]));
    return clean(normalizeBead(bead));
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({ field: fc.constantFrom(...STAMPED_FIELDS), value: textArb })
    .map(({ field, value }) => ({
      kind: 'field' as const,
      field,
      value: REQUIRED_FIELDS.has(field) ? (value ?? 'v0') : value,
    })),
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(...BEAD_STATUSES), reason: fc.constantFrom(...TEXTS) }),
  fc.record({ kind: fc.constant('priority' as const), priority: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('label' as const), label: fc.constantFrom(...LABELS), add: fc.boolean() }),
  fc.record({ kind: fc.constant('dep' as const), dep: fc.constantFrom(...DEPS), add: fc.boolean() }),
  fc.record({ kind: fc.constant('comment' as const), text: fc.constantFrom(...TEXTS) }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    base: baseArb,
    branchCount: fc.integer({ min: 2, max: 4 }),
    steps: fc.array(fc.record({ branch: fc.nat({ max: 3 }), op: opArb }), { minLength: 4, maxLength: 30, size: 'medium' }),
  })
  .map(({ base, branchCount, steps }) => play(base, branchCount, steps.map((s) => ({ ...s, branch: s.branch % branchCount }))));

/** Runs the interleaved history, each step on its branch's own copy, at its own tick of the clock. */
function play(base: Bead, branchCount: number, steps: Step[]): Scenario {
  const branches = Array.from({ length: branchCount }, () => base);
  const lastEdit: Scenario['lastEdit'] = new Map();
  steps.forEach((step, i) => {
    const now = tick(i + 1);
    const before = branches[step.branch] as Bead;
    const after = apply(before, step.op, now, `c-${i}`);
    for (const f of STAMPED_FIELDS) if (after.edited?.[f] === now) lastEdit.set(f, { value: after[f], at: now });
    branches[step.branch] = after;
  });
  return { base, branches, steps, lastEdit };
}

function apply(bead: Bead, op: Op, now: string, commentId: string): Bead {
  const b: Bead = { ...bead, updated_at: now };
  const stamp = (f: StampedField, value: string | undefined): void => {
    setField(b, f, value);
    b.edited = { ...b.edited, [f]: now };
  };
  switch (op.kind) {
    case 'field':
      stamp(op.field, op.value);
      break;
    case 'status':
      b.status = op.status;
      if (op.status === 'closed') {
        b.closed_at = now;
        stamp('close_reason', op.reason);
      } else {
        delete b.closed_at;
        if (b.close_reason !== undefined) stamp('close_reason', undefined);
      }
      break;
    case 'priority':
      b.priority = op.priority;
      break;
    case 'label':
      b.labels = op.add ? [...b.labels, op.label] : b.labels.filter((l) => l !== op.label);
      break;
    case 'dep':
      b.deps = op.add ? [...b.deps, op.dep] : b.deps.filter((d) => depKey(d) !== depKey(op.dep));
      break;
    case 'comment':
      b.comments = [...b.comments, { id: commentId, author: 'agent', at: now, text: op.text }];
      break;
  }
  return clean(normalizeBead(b));
}

function setField<F extends StampedField>(bead: Bead, f: F, value: Bead[F]): void {
  bead[f] = value;
}

/** Drops keys holding undefined, as a bead read back from a file would have them. */
function clean(bead: Bead): Bead {
  return Object.fromEntries(Object.entries(bead).filter(([, v]) => v !== undefined)) as unknown as Bead;
}

function fold(base: Bead, order: readonly Bead[]): Bead {
  return order.reduce((acc, branch) => mergeBead(base, acc, branch).bead, base);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const stampOf = (b: Bead, f: StampedField): string => b.edited?.[f] ?? b.created_at;
const changedStamped = (base: Bead, b: Bead, f: StampedField): boolean =>
  b[f] !== base[f] || stampOf(b, f) !== stampOf(base, f);

describe('mergeBead over concurrent branches (property-based)', () => {
  it('gives the same bead whatever order the branches are merged in', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        const [first, ...others] = permutations(branches).map((order) => fold(base, order));
        for (const other of others) expect(other).toEqual(first);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps every one-sided change', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches, steps }) => {
        const merged = fold(base, branches);

        for (const f of STAMPED_FIELDS) {
          const changers = branches.filter((b) => changedStamped(base, b, f));
          if (changers.length === 1) expect(merged[f]).toBe(changers[0]?.[f]);
        }
        const statusChangers = branches.filter((b) => b.status !== base.status);
        if (statusChangers.length === 1) expect(merged.status).toBe(statusChangers[0]?.status);
        if (statusChangers.length === 0) expect(merged.status).toBe(base.status);
        const priorityChangers = branches.filter((b) => b.priority !== base.priority);
        if (priorityChangers.length === 1) expect(merged.priority).toBe(priorityChangers[0]?.priority);
        if (priorityChangers.length === 0) expect(merged.priority).toBe(base.priority);

        checkSet(
          LABELS,
          (l) => l,
          base.labels,
          branches.map((b) => b.labels),
          merged.labels,
          steps.flatMap((s) => (s.op.kind === 'label' ? [{ key: s.op.label, add: s.op.add }] : [])),
        );
        checkSet(
          DEPS,
          depKey,
          base.deps,
          branches.map((b) => b.deps),
          merged.deps,
          steps.flatMap((s) => (s.op.kind === 'dep' ? [{ key: depKey(s.op.dep), add: s.op.add }] : [])),
        );

        for (const b of branches) for (const c of b.comments) expect(merged.comments).toContainEqual(c);
        expect(merged.closed_at !== undefined).toBe(merged.status === 'closed');
        expect(merged.updated_at).toBe(branches.map((b) => b.updated_at).reduce((a, c) => (c > a ? c : a)));
      }),
      { numRuns: RUNS },
    );
  });

  it('settles concurrent status and priority changes by precedence, and closed_at by the latest closure', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        const merged = fold(base, branches);
        const statusChangers = branches.filter((b) => b.status !== base.status);
        if (statusChangers.length > 0) {
          const ranks = statusChangers.map((b) => STATUS_PRECEDENCE.indexOf(b.status));
          expect(merged.status).toBe(STATUS_PRECEDENCE[Math.max(...ranks)]);
        }
        const priorityChangers = branches.filter((b) => b.priority !== base.priority);
        if (priorityChangers.length > 0) {
          expect(merged.priority).toBe(Math.min(...priorityChangers.map((b) => b.priority)));
        }
        const closures = branches.filter((b) => b.status === 'closed').map((b) => b.closed_at ?? '');
        expect(merged.closed_at).toBe(
          merged.status === 'closed' ? closures.reduce((a, c) => (c > a ? c : a)) : undefined,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        for (const b of branches) {
          expect(mergeBead(base, b, b).bead).toBe(b);
          expect(mergeBead(base, b, base).bead).toBe(b);
          expect(mergeBead(base, base, b).bead).toEqual(b);
        }
        const once = fold(base, branches);
        for (const b of branches) expect(mergeBead(base, once, b).bead).toEqual(once);
        expect(fold(base, [...branches, ...branches])).toEqual(once);
      }),
      { numRuns: RUNS },
    );
  });

  it('lets the latest stamped edit of each field win across branches', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches, lastEdit }) => {
        const merged = fold(base, branches);
        for (const f of STAMPED_FIELDS) {
          const last = lastEdit.get(f);
          expect(merged[f]).toBe(last === undefined ? base[f] : last.value);
          expect(merged.edited?.[f]).toBe(last === undefined ? base.edited?.[f] : last.at);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is commutative for two sides, with or without a base, and notes every value it drops', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        const [a, b] = branches as [Bead, Bead];
        const ab = mergeBead(base, a, b);
        expect(mergeBead(base, b, a).bead).toEqual(ab.bead);
        expect(mergeBead(undefined, b, a).bead).toEqual(mergeBead(undefined, a, b).bead);

        for (const f of STAMPED_FIELDS) {
          for (const side of [a, b]) {
            if (!changedStamped(base, side, f) || side[f] === ab.bead[f]) continue;
            expect(ab.notes).toContainEqual({ beadId: base.id, field: f, kept: ab.bead[f], superseded: side[f] });
          }
        }
        for (const n of ab.notes) expect(n.kept).not.toEqual(n.superseded);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * A set field after the merge: an element is present iff a branch added it (relative to base), absent
 * iff a branch removed it, as in base otherwise; and, literally at the level of the operations, an
 * element some branch added and none removed is present, one some branch removed and none added absent.
 */
function checkSet<T>(
  universe: readonly T[],
  key: (t: T) => string,
  base: readonly T[],
  branches: readonly (readonly T[])[],
  merged: readonly T[],
  ops: { key: string; add: boolean }[],
): void {
  const has = (set: readonly T[], k: string): boolean => set.some((t) => key(t) === k);
  for (const k of universe.map(key)) {
    const inBase = has(base, k);
    const flipped = branches.some((b) => has(b, k) !== inBase);
    expect(has(merged, k)).toBe(flipped ? !inBase : inBase);

    const added = ops.some((o) => o.key === k && o.add);
    const removed = ops.some((o) => o.key === k && !o.add);
    if (added && !removed) expect(has(merged, k)).toBe(true);
    if (removed && !added) expect(has(merged, k)).toBe(false);
  }
}
