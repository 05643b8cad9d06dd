/**
 * Properties of the molecule merge over simulated concurrent histories: several agent branches fork
 * the same molecule and advance it (claims, finishes, skips, gate resolutions, reassignments, new
 * steps), each change stamped by one clock shared by all branches; the branches are then merged in
 * every order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeMolecule } from '../../src/molecules/molecule-merge.js';
import { decodeMolecule, encodeMolecule, type Molecule, type MoleculeStep, type StepStatus } from '../../src/molecules/molecule.js';
import { pour, proto, step } from './molecule-fixtures.js';
import { sized } from '../helpers/stress.js';

/** Runs per property: 60 in `npm test`, 300 in `npm run test:stress`; GT_PROPERTY_RUNS sets it for a longer hunt. */
const RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(60, 300);

const STEP_IDS = ['a', 'b', 'c', 'd', 'e'] as const;
const AGENTS = ['ann', 'bob', 'cat'] as const;
const RANK: Record<StepStatus, number> = { pending: 0, ready: 0, in_progress: 1, skipped: 2, done: 3 };
/** The shared clock: tick n of the history, always later than anything in the base. */
const tick = (n: number): string => new Date(Date.UTC(2026, 0, 2) + n * 1000).toISOString();

function baseMolecule(): Molecule {
  return pour(
    proto([
      step('a'),
      step('b', ['a']),
      step('c', ['a']),
      step('d', ['b', 'c']),
      step('e', ['d'], { gate: { type: 'human' } }),
    ]),
    { assignee: 'ann' },
  );
}

type Op =
  | { kind: 'claim'; step: string; agent: string }
  | { kind: 'done'; step: string; agent: string }
  | { kind: 'skip'; step: string; agent: string }
  | { kind: 'resolve'; agent: string }
  | { kind: 'assign'; agent: string }
  | { kind: 'complete' }
  | { kind: 'add'; id: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('claim' as const), step: fc.constantFrom(...STEP_IDS), agent: fc.constantFrom(...AGENTS) }),
  fc.record({ kind: fc.constant('done' as const), step: fc.constantFrom(...STEP_IDS), agent: fc.constantFrom(...AGENTS) }),
  fc.record({ kind: fc.constant('skip' as const), step: fc.constantFrom(...STEP_IDS), agent: fc.constantFrom(...AGENTS) }),
  fc.record({ kind: fc.constant('resolve' as const), agent: fc.constantFrom(...AGENTS) }),
  fc.record({ kind: fc.constant('assign' as const), agent: fc.constantFrom(...AGENTS) }),
  fc.constant({ kind: 'complete' as const }),
  fc.constant({ kind: 'add' as const, id: '' }),
);

/** Advances a base by a few ops, so that branches fork from a molecule already under way. */
const prefixArb = fc.array(opArb, { maxLength: 6 });

interface Scenario {
  base: Molecule;
  branches: Molecule[];
  /** For each branch, the steps it added. */
  added: string[][];
}

function setStep(m: Molecule, id: string, change: (s: MoleculeStep) => MoleculeStep, now: string): Molecule {
  return { ...m, updated_at: now, steps: m.steps.map((s) => (s.id === id ? change(s) : s)) };
}

function apply(m: Molecule, op: Op, now: string, newId: string): Molecule {
  switch (op.kind) {
    case 'claim':
      return setStep(m, op.step, (s) => ({ ...s, status: 'in_progress', assignee: op.agent, started_at: now }), now);
    case 'done':
    case 'skip':
      return setStep(
        m,
        op.step,
        (s) => ({ ...s, status: op.kind === 'done' ? 'done' : 'skipped', assignee: s.assignee ?? op.agent, started_at: s.started_at ?? now, done_at: now }),
        now,
      );
    case 'resolve':
      return setStep(m, 'e', (s) => ({ ...s, gate: { ...s.gate!, resolved_at: now, resolved_by: op.agent } }), now);
    case 'assign':
      return { ...m, assignee: op.agent, edited: { ...m.edited, assignee: now }, updated_at: now };
    case 'complete':
      return { ...m, status: 'done', done_at: now, updated_at: now };
    case 'add':
      return { ...m, updated_at: now, steps: [...m.steps, { id: newId, title: `Added ${newId}`, needs: ['a'], status: 'pending' }] };
  }
}

/** Through the codec, as a molecule read back from its file would be. */
function roundTrip(m: Molecule): Molecule {
  return decodeMolecule(encodeMolecule(m), `molecules/${m.id}.yaml`);
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    prefix: prefixArb,
    branchCount: fc.integer({ min: 2, max: 4 }),
    steps: fc.array(fc.record({ branch: fc.nat({ max: 3 }), op: opArb }), { minLength: 3, maxLength: 25 }),
  })
  .map(({ prefix, branchCount, steps }) => {
    let base = baseMolecule();
    prefix.forEach((op, i) => {
      base = apply(base, op, new Date(Date.UTC(2026, 0, 1, 1) + i * 1000).toISOString(), `base-${i}`);
    });
    base = roundTrip(base);
    const branches = Array.from({ length: branchCount }, () => base);
    const added: string[][] = branches.map(() => []);
    steps.forEach(({ branch, op }, i) => {
      const b = branch % branchCount;
      const id = `new-${b}-${i}`;
      if (op.kind === 'add') added[b]!.push(id);
      branches[b] = apply(branches[b]!, op, tick(i + 1), id);
    });
    return { base, branches: branches.map(roundTrip), added };
  });

function fold(base: Molecule, order: readonly Molecule[]): Molecule {
  return order.reduce((acc, branch) => mergeMolecule(base, acc, branch).value, base);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const stepOf = (m: Molecule, id: string): MoleculeStep | undefined => m.steps.find((s) => s.id === id);
const claimOf = (s: MoleculeStep | undefined) => JSON.stringify([s?.assignee, s?.started_at]);

describe('mergeMolecule over concurrent branches (property-based)', () => {
  it('gives the same molecule whatever order the branches are merged in', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        const [first, ...others] = permutations(branches).map((order) => fold(base, order));
        for (const other of others) expect(other).toEqual(first);
        // And the result is a valid molecule file, byte-stable through the codec.
        expect(encodeMolecule(roundTrip(first!))).toBe(encodeMolecule(first!));
      }),
      { numRuns: RUNS },
    );
  });

  it('loses no step and keeps every one-sided change', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches, added }) => {
        const merged = fold(base, branches);
        const ids = merged.steps.map((s) => s.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of [...base.steps.map((s) => s.id), ...added.flat()]) expect(ids).toContain(id);
        for (const s of base.steps) {
          const b = stepOf(base, s.id)!;
          const statusChangers = branches.filter((br) => stepOf(br, s.id)!.status !== b.status);
          if (statusChangers.length === 0) expect(stepOf(merged, s.id)!.status).toBe(b.status);
          if (statusChangers.length === 1) expect(stepOf(merged, s.id)!.status).toBe(stepOf(statusChangers[0]!, s.id)!.status);
          const claimChangers = branches.filter((br) => claimOf(stepOf(br, s.id)) !== claimOf(b));
          if (claimChangers.length === 0) expect(claimOf(stepOf(merged, s.id))).toBe(claimOf(b));
          if (claimChangers.length === 1) expect(claimOf(stepOf(merged, s.id))).toBe(claimOf(stepOf(claimChangers[0]!, s.id)));
        }
        // Steps added on a branch arrive as that branch left them.
        branches.forEach((br, i) => {
          for (const id of added[i]!) expect(stepOf(merged, id)).toEqual(stepOf(br, id));
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('settles concurrent changes by rank (status) and by the latest stamp (claims, finishes, gates, assignee)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        const merged = fold(base, branches);
        for (const s of base.steps) {
          const b = stepOf(base, s.id)!;
          const mine = (br: Molecule) => stepOf(br, s.id)!;
          const statusChangers = branches.filter((br) => mine(br).status !== b.status);
          if (statusChangers.length > 0) {
            expect(RANK[stepOf(merged, s.id)!.status]).toBe(Math.max(...statusChangers.map((br) => RANK[mine(br).status])));
          }
          const claimChangers = branches.filter((br) => claimOf(mine(br)) !== claimOf(b));
          if (claimChangers.length > 0) {
            const latest = claimChangers.map((br) => mine(br).started_at ?? '').reduce((x, y) => (y > x ? y : x));
            expect(stepOf(merged, s.id)!.started_at ?? '').toBe(latest);
          }
          const doneChangers = branches.filter((br) => mine(br).done_at !== b.done_at);
          if (doneChangers.length > 0) {
            expect(stepOf(merged, s.id)!.done_at).toBe(doneChangers.map((br) => mine(br).done_at ?? '').reduce((x, y) => (y > x ? y : x)));
          }
        }
        const resolvers = branches.filter((br) => stepOf(br, 'e')!.gate!.resolved_at !== stepOf(base, 'e')!.gate!.resolved_at);
        if (resolvers.length > 0) {
          expect(stepOf(merged, 'e')!.gate!.resolved_at).toBe(resolvers.map((br) => stepOf(br, 'e')!.gate!.resolved_at!).reduce((x, y) => (y > x ? y : x)));
        }
        const assigners = branches.filter((br) => br.edited?.assignee !== base.edited?.assignee);
        if (assigners.length > 0) {
          const last = assigners.reduce((x, y) => ((y.edited!.assignee ?? '') > (x.edited!.assignee ?? '') ? y : x));
          expect(merged.assignee).toBe(last.assignee);
        }
        expect(merged.status).toBe(branches.some((br) => br.status === 'done') ? 'done' : base.status);
        expect(merged.updated_at).toBe(branches.map((br) => br.updated_at).reduce((x, y) => (y > x ? y : x)));
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent and commutative, with or without a base', () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, branches }) => {
        for (const b of branches) {
          expect(mergeMolecule(base, b, b).value).toBe(b);
          expect(mergeMolecule(base, b, base).value).toBe(b);
          expect(mergeMolecule(base, base, b).value).toEqual(b);
        }
        const once = fold(base, branches);
        for (const b of branches) expect(mergeMolecule(base, once, b).value).toEqual(once);
        const [a, b] = branches as [Molecule, Molecule];
        expect(mergeMolecule(base, a, b).value).toEqual(mergeMolecule(base, b, a).value);
        expect(mergeMolecule(undefined, a, b).value).toEqual(mergeMolecule(undefined, b, a).value);
      }),
      { numRuns: RUNS },
    );
  });

  it('notes a claim it overrides', () => {
    const base = baseMolecule();
    const ann = apply(base, { kind: 'claim', step: 'a', agent: 'ann' }, tick(1), '');
    const bob = apply(base, { kind: 'claim', step: 'a', agent: 'bob' }, tick(2), '');
    const { value, notes } = mergeMolecule(base, ann, bob);
    expect(stepOf(value, 'a')).toMatchObject({ status: 'in_progress', assignee: 'bob', started_at: tick(2) });
    expect(notes).toContainEqual({ id: base.id, field: 'steps.a.assignee', kept: 'bob', superseded: 'ann' });
  });
});
