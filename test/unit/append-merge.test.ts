/**
 * Appended text (`update --append-notes`) merges as a union: base B, ours B+x, theirs B+y gives both
 * x and y, in an order that does not depend on which side is ours nor on the order branches merge in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bead } from '../../src/beads/bead.js';
import { mergeAppendedLines, mergeBead } from '../../src/beads/bead-merge.js';
import { sampleBead } from '../helpers/fixtures.js';

const CREATED = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:01.000Z';
const T2 = '2025-01-02T00:00:02.000Z';

const bead = (overrides: Partial<Bead> = {}): Bead => sampleBead({ title: 'Work', created_at: CREATED, ...overrides });

/** Folds sides into the first one, three-way against `base`, as successive `gt merge`s do. */
function fold(base: string | undefined, sides: string[]): string | undefined {
  return sides.reduce((acc, side) => mergeAppendedLines(base, acc, side) ?? (acc === base ? side : acc));
}

describe('mergeAppendedLines', () => {
  it('keeps both appends after the base, the same whichever side is ours', () => {
    expect(mergeAppendedLines('B', 'B\nx', 'B\ny')).toBe('B\nx\ny');
    expect(mergeAppendedLines('B', 'B\ny', 'B\nx')).toBe('B\nx\ny');
    expect(mergeAppendedLines(undefined, 'x', 'y')).toBe('x\ny');
  });

  it('keeps each side’s own lines in their order', () => {
    const merged = mergeAppendedLines('B', 'B\nz1\na2', 'B\nm1\nb2')!.split('\n');
    expect(merged.filter((l) => l === 'z1' || l === 'a2')).toEqual(['z1', 'a2']);
    expect(merged.filter((l) => l === 'm1' || l === 'b2')).toEqual(['m1', 'b2']);
  });

  it('does not apply when a side changed or removed a base line', () => {
    expect(mergeAppendedLines('B\nC', 'B\nx', 'B\nC\ny')).toBeUndefined();
    expect(mergeAppendedLines('B', 'Bx', 'B\ny')).toBeUndefined();
  });

  it('adds nothing when a side is merged again, even onto a later base', () => {
    const once = mergeAppendedLines('B', 'B\nx', 'B\ny')!;
    expect(mergeAppendedLines('B', once, 'B\ny')).toBe(once);
    expect(mergeAppendedLines('B\ny', once, 'B\ny\nz')).toBe(`${once}\nz`);
  });

  const line = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const baseArb = fc.option(fc.constantFrom('B', 'B\nc'), { nil: undefined });
  const textOf = (base: string | undefined, lines: string[]): string => `${base === undefined ? '' : `${base}\n`}${lines.join('\n')}`;
  const keepsInOrder = (merged: string | undefined, lines: string[]): void => {
    const all = (merged ?? '').split('\n');
    let at = 0;
    for (const l of lines) {
      at = all.indexOf(l, at) + 1;
      expect(at).toBeGreaterThan(0);
    }
  };

  it('keeps every line of every side, each side in its order (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.array(fc.array(line, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 }), (base, adds) => {
        const sides = adds.map((lines) => textOf(base, lines));
        const merged = fold(base, sides);
        for (const lines of adds) keepsInOrder(merged, lines);
        const [a, b] = sides as [string, string];
        expect(mergeAppendedLines(base, a, b) ?? null).toBe(mergeAppendedLines(base, b, a) ?? null);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same text in every merge order (property)', () => {
    // Sides whose lines are distinct (a side repeating its greatest line keeps its order, but may not
    // interleave the same way in every order).
    const side = fc.uniqueArray(line, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(baseArb, fc.array(side, { minLength: 2, maxLength: 4 }), (base, adds) => {
        const sides = adds.map((lines) => textOf(base, lines));
        const reference = fold(base, sides);
        for (const order of [[...sides].reverse(), [...sides.slice(1), sides[0]!]]) expect(fold(base, order)).toBe(reference);
      }),
      { numRuns: 300 },
    );
  });
});

describe('mergeBead with appended notes', () => {
  it('keeps the lines both sides appended (unchanged stamps), noting nothing lost', () => {
    const base = bead({ notes: 'start', edited: { notes: T1 } });
    const ours = bead({ notes: 'start\nalice: done a', edited: { notes: T1 }, updated_at: T2 });
    const theirs = bead({ notes: 'start\nbob: done b', edited: { notes: T1 }, updated_at: T2 });
    const r = mergeBead(base, ours, theirs);
    expect(r.bead.notes).toBe('start\nalice: done a\nbob: done b');
    expect(r.bead.edited?.notes).toBe(T1);
    expect(r.notes).toEqual([]);
    expect(mergeBead(base, theirs, ours).bead).toEqual(r.bead);
  });

  it('lets notes set anew (a later stamp) win over an append, and notes the append it superseded', () => {
    const base = bead({ notes: 'start' });
    const appended = bead({ notes: 'start\nbob: more' });
    const rewritten = bead({ notes: 'rewritten', edited: { notes: T2 } });
    const r = mergeBead(base, rewritten, appended);
    expect(r.bead.notes).toBe('rewritten');
    expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'notes', kept: 'rewritten', superseded: 'start\nbob: more' }]);
  });
});
