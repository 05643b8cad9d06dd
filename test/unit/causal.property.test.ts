/**
 * Properties of the causal field merge (src/ledger/merge/causal.ts) over simulated replicas: each of
 * three writers (one per clone) writes one field and merges another's state in, in random order, every
 * write stamped by one simulated clock; then states reached anywhere are merged with each other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causalWinner, mergedCausal, stampWrite, type Causal } from '../../src/ledger/merge/causal.js';
import { sized } from '../helpers/stress.js';

const RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(200, 1000);

const WRITERS = ['overseer.aaaa1111', 'alice.aaaa1111', 'overseer.bbbb2222'] as const;
const VALUES = ['open', 'in_progress', 'closed'] as const;

interface State extends Causal {
  status: string;
}

/** The kind's own rule for writes that did not see each other. */
type Fallback = (ours: State, theirs: State) => string;

/** "closed wins": a precedence that does not care about time (bead status). */
const byRank: Fallback = (o, t) => (VALUES.indexOf(o.status as (typeof VALUES)[number]) >= VALUES.indexOf(t.status as (typeof VALUES)[number]) ? o.status : t.status);

/** The latest write wins: the greatest dot of each side (as `edited` stamps decide with clocks in step). */
const latestDot = (s: State): string => {
  const dots = (s.writes?.status ?? '').split(' ').filter((d) => d !== '');
  return dots.map((d) => `${d.slice(d.lastIndexOf('@') + 1).padStart(16, '0')} ${d}`).sort().at(-1) ?? '';
};
const byLatest: Fallback = (o, t) => (latestDot(o) > latestDot(t) || (latestDot(o) === latestDot(t) && o.status >= t.status) ? o.status : t.status);

function merge(fallback: Fallback, ours: State, theirs: State): State {
  const winner = causalWinner(ours, theirs, 'status');
  const status = winner === 'ours' ? ours.status : winner === 'theirs' ? theirs.status : ours.status === theirs.status ? ours.status : fallback(ours, theirs);
  return { status, ...mergedCausal(ours, theirs, ['status']) };
}

type Op = { write: number; value: number } | { into: number; from: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ write: fc.nat(2), value: fc.nat(2) }),
    fc.record({ into: fc.nat(2), from: fc.nat(2) }),
  ),
  { minLength: 1, maxLength: 14 },
);

/**
 * Runs a history; returns every state reached and, for each, the states it has seen all of (its own
 * earlier states and everything merged into it).
 */
function run(history: Op[], fallback: Fallback): { states: State[]; dominated: Set<number>[] } {
  const created = stampWrite<State>(undefined, { status: 'open' }, ['status'], WRITERS[0], 1_000);
  const states: State[] = [created];
  const dominated: Set<number>[] = [new Set([0])];
  const current = [0, 0, 0];
  let clock = 1_000;
  for (const op of history) {
    clock += 1;
    let next: State;
    let seen: Set<number>;
    if ('write' in op) {
      const before = states[current[op.write]!]!;
      next = stampWrite(before, { ...before, status: VALUES[op.value]! }, ['status'], WRITERS[op.write]!, clock);
      seen = new Set(dominated[current[op.write]!]);
      current[op.write] = states.length;
    } else {
      next = merge(fallback, states[current[op.into]!]!, states[current[op.from]!]!);
      seen = new Set([...dominated[current[op.into]!]!, ...dominated[current[op.from]!]!]);
      current[op.into] = states.length;
    }
    seen.add(states.length);
    states.push(next);
    dominated.push(seen);
  }
  return { states, dominated };
}

const pick = fc.tuple(fc.nat(), fc.nat(), fc.nat());

describe('causal merge of one field', () => {
  for (const [name, fallback] of [
    ['precedence (closed wins)', byRank],
    ['latest write', byLatest],
  ] as const) {
    it(`is commutative and idempotent, whatever the histories (${name} for concurrent writes)`, () => {
      fc.assert(
        fc.property(ops, pick, (history, [i, j]) => {
          const { states } = run(history, fallback);
          const [a, b] = [states[i % states.length]!, states[j % states.length]!];
          expect(merge(fallback, a, b)).toEqual(merge(fallback, b, a));
          expect(merge(fallback, a, a)).toEqual(a);
        }),
        { numRuns: RUNS },
      );
    });

    it(`never brings back a value a side saw and replaced (${name} for concurrent writes)`, () => {
      fc.assert(
        fc.property(ops, pick, (history, [i, j]) => {
          const { states, dominated } = run(history, fallback);
          const a = i % states.length;
          const older = [...dominated[a]!];
          const b = older[j % older.length]!;
          // Merging in a state `a` has seen all of changes nothing in `a`, whatever the rule for concurrent writes.
          expect(merge(fallback, states[a]!, states[b]!)).toEqual(states[a]);
          expect(merge(fallback, states[b]!, states[a]!)).toEqual(states[a]);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('is associative when the rule for concurrent writes agrees with what was seen (the latest write wins)', () => {
    fc.assert(
      fc.property(ops, pick, (history, [i, j, k]) => {
        const { states } = run(history, byLatest);
        const [a, b, c] = [states[i % states.length]!, states[j % states.length]!, states[k % states.length]!];
        expect(merge(byLatest, merge(byLatest, a, b), c)).toEqual(merge(byLatest, a, merge(byLatest, b, c)));
      }),
      { numRuns: RUNS },
    );
  });
});
