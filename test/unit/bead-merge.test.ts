import { describe, expect, it } from 'vitest';
import type { Bead } from '../../src/beads/bead.js';
import { isSameBead, mergeBead } from '../../src/beads/bead-merge.js';
import { canonicalJson, mergeSets, unionById } from '../../src/ledger/merge/set-merge.js';
import { sampleBead } from '../helpers/fixtures.js';

const CREATED = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:01.000Z';
const T2 = '2025-01-02T00:00:02.000Z';
const T3 = '2025-01-02T00:00:03.000Z';

const bead = (overrides: Partial<Bead> = {}): Bead => sampleBead({ title: 'Fix the flux capacitor', created_at: CREATED, ...overrides });

describe('mergeSets', () => {
  const id = (s: string): string => s;

  it('keeps an addition from either side and a removal from either side', () => {
    expect(mergeSets(['a', 'b'], ['a', 'b', 'c'], ['b'], id)).toEqual(['b', 'c']);
    expect(mergeSets(['a', 'b'], ['b'], ['a', 'b', 'c'], id)).toEqual(['b', 'c']);
  });

  it('agrees when both sides make the same change', () => {
    expect(mergeSets(['a'], [], [], id)).toEqual([]);
    expect(mergeSets([], ['x'], ['x'], id)).toEqual(['x']);
  });

  it('is a union without a base', () => {
    expect(mergeSets(undefined, ['a', 'b'], ['c', 'a'], id)).toEqual(['a', 'b', 'c']);
  });

  it('drops duplicates by key', () => {
    const key = (d: { id: string; n: number }): string => d.id;
    expect(mergeSets([], [{ id: 'x', n: 1 }, { id: 'x', n: 2 }], [{ id: 'x', n: 3 }], key)).toEqual([{ id: 'x', n: 1 }]);
  });
});

describe('unionById', () => {
  it('unions by id and settles a content clash by the greater JSON, whichever side holds it', () => {
    const a = { id: '1', text: 'a' };
    const b = { id: '1', text: 'b' };
    const c = { id: '2', text: 'c' };
    expect(unionById([a], [b, c])).toEqual([b, c]);
    expect(unionById([b], [a, c])).toEqual([b, c]);
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order, and omits undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: undefined } })).toBe(canonicalJson({ a: { d: 2 }, b: 1 }));
    expect(canonicalJson(undefined)).toBe('');
  });
});

describe('isSameBead', () => {
  it('compares identity, not content', () => {
    expect(isSameBead(bead(), bead({ title: 'other', status: 'closed' }))).toBe(true);
    expect(isSameBead(bead(), bead({ created_at: T1 }))).toBe(false);
    expect(isSameBead(bead(), bead({ created_by: 'bob' }))).toBe(false);
    expect(isSameBead(bead(), bead({ id: 'gt-b2' }))).toBe(false);
  });
});

describe('mergeBead', () => {
  it('returns ours itself when theirs changed nothing', () => {
    const base = bead();
    const ours = bead({ title: 'New', edited: { title: T1 }, updated_at: T1 });
    const r = mergeBead(base, ours, base);
    expect(r.bead).toBe(ours);
    expect(r.notes).toEqual([]);
  });

  it('takes a change made on one side only', () => {
    const base = bead({ labels: ['x'] });
    const ours = bead({ labels: ['x'], priority: 1, updated_at: T1 });
    const theirs = bead({ labels: ['x'], assignee: 'bob', edited: { assignee: T2 }, updated_at: T2 });
    const r = mergeBead(base, ours, theirs);
    expect(r.bead).toEqual(bead({ labels: ['x'], priority: 1, assignee: 'bob', edited: { assignee: T2 }, updated_at: T2 }));
    expect(r.notes).toEqual([]);
  });

  it('settles a stamped field edited on both sides by the later stamp, and notes the loser', () => {
    const base = bead();
    const early = bead({ title: 'Early', edited: { title: T1 }, updated_at: T1 });
    const late = bead({ title: 'Late', edited: { title: T2 }, updated_at: T2 });
    for (const [ours, theirs] of [
      [early, late],
      [late, early],
    ] as const) {
      const r = mergeBead(base, ours, theirs);
      expect(r.bead.title).toBe('Late');
      expect(r.bead.edited).toEqual({ title: T2 });
      expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'title', kept: 'Late', superseded: 'Early' }]);
    }
  });

  it('counts re-setting the base value as an edit', () => {
    const base = bead({ notes: 'n0' });
    const ours = bead({ notes: 'n1', edited: { notes: T1 }, updated_at: T1 });
    const theirs = bead({ notes: 'n0', edited: { notes: T2 }, updated_at: T2 });
    expect(mergeBead(base, ours, theirs).bead.notes).toBe('n0');
    expect(mergeBead(base, theirs, ours).bead.notes).toBe('n0');
  });

  it('treats unset as a value: a later unset beats an earlier set', () => {
    const base = bead({ assignee: 'alice' });
    const ours = bead({ assignee: 'bob', edited: { assignee: T1 } });
    const theirs = bead({ edited: { assignee: T2 } });
    const r = mergeBead(base, ours, theirs);
    expect(r.bead.assignee).toBeUndefined();
    expect('assignee' in r.bead).toBe(false);
    expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'assignee', kept: undefined, superseded: 'bob' }]);
  });

  it('breaks a tie of stamps by the values, the same way from both sides', () => {
    const base = bead();
    const a = bead({ description: 'aaa', edited: { description: T1 } });
    const b = bead({ description: 'bbb', edited: { description: T1 } });
    expect(mergeBead(base, a, b).bead.description).toBe('bbb');
    expect(mergeBead(base, b, a).bead.description).toBe('bbb');
  });

  it('lets closed win over a concurrent status change, with the closing side’s closed_at', () => {
    const base = bead({ status: 'in_progress' });
    const closed = bead({
      status: 'closed',
      closed_at: T1,
      close_reason: 'done',
      edited: { close_reason: T1 },
      updated_at: T1,
    });
    const blocked = bead({ status: 'blocked', updated_at: T2 });
    for (const [ours, theirs] of [
      [closed, blocked],
      [blocked, closed],
    ] as const) {
      const r = mergeBead(base, ours, theirs);
      expect(r.bead.status).toBe('closed');
      expect(r.bead.closed_at).toBe(T1);
      expect(r.bead.close_reason).toBe('done');
      expect(r.bead.updated_at).toBe(T2);
      expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'status', kept: 'closed', superseded: 'blocked' }]);
    }
  });

  it('ranks statuses open < deferred < blocked < hooked < in_progress < closed', () => {
    const order = ['open', 'deferred', 'blocked', 'hooked', 'in_progress'] as const;
    const base = bead({ status: 'closed', closed_at: T1 });
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        const lo = bead({ status: order[i] });
        const hi = bead({ status: order[j] });
        expect(mergeBead(base, lo, hi).bead.status).toBe(order[j]);
        expect(mergeBead(base, hi, lo).bead.status).toBe(order[j]);
      }
    }
  });

  it('keeps a reopening made on one side and drops closed_at', () => {
    const base = bead({ status: 'closed', closed_at: T1 });
    const reopened = bead({ status: 'open', updated_at: T2 });
    const r = mergeBead(base, base, reopened);
    expect(r.bead.status).toBe('open');
    expect('closed_at' in r.bead).toBe(false);
  });

  it('takes the latest closed_at when both sides closed', () => {
    const base = bead();
    const a = bead({ status: 'closed', closed_at: T3 });
    const b = bead({ status: 'closed', closed_at: T2 });
    expect(mergeBead(base, a, b).bead.closed_at).toBe(T3);
    expect(mergeBead(base, b, a).bead.closed_at).toBe(T3);
  });

  it('falls back to updated_at for a closed bead without closed_at', () => {
    const r = mergeBead(bead(), bead({ status: 'closed', updated_at: T2 }), bead({ updated_at: T1 }));
    expect(r.bead.closed_at).toBe(T2);
  });

  it('lets the more urgent priority win when both changed it', () => {
    const base = bead({ priority: 2 });
    const r = mergeBead(base, bead({ priority: 3 }), bead({ priority: 1 }));
    expect(r.bead.priority).toBe(1);
    expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'priority', kept: 1, superseded: 3 }]);
    expect(mergeBead(base, bead({ priority: 4 }), base).bead.priority).toBe(4);
  });

  it('merges labels and deps element by element', () => {
    const base = bead({
      labels: ['a', 'b'],
      deps: [
        { type: 'blocks', id: 'gt-x' },
        { type: 'related', id: 'gt-y' },
      ],
    });
    const ours = bead({ labels: ['a', 'b', 'c'], deps: [{ type: 'related', id: 'gt-y' }] });
    const theirs = bead({
      labels: ['b'],
      deps: [
        { type: 'blocks', id: 'gt-x' },
        { type: 'related', id: 'gt-y' },
        { type: 'blocks', id: 'gt-y' },
      ],
    });
    const r = mergeBead(base, ours, theirs).bead;
    expect(r.labels).toEqual(['b', 'c']);
    expect(r.deps).toEqual([
      { type: 'blocks', id: 'gt-y' },
      { type: 'related', id: 'gt-y' },
    ]);
  });

  it('unions comments in canonical order and notes a content clash', () => {
    const c1 = { id: 'c1', author: 'a', at: T1, text: 'one' };
    const c2 = { id: 'c2', author: 'b', at: T2, text: 'two' };
    const c2b = { ...c2, text: 'two, edited' };
    const r = mergeBead(bead(), bead({ comments: [c2] }), bead({ comments: [c2b, c1] }));
    expect(r.bead.comments).toEqual([c1, c2b]);
    expect(r.notes).toEqual([{ beadId: 'gt-a1', field: 'comments[c2]', kept: c2b, superseded: c2 }]);
  });

  it('without a base: unions sets and settles every differing field as changed on both sides', () => {
    const ours = bead({
      title: 'Ours',
      edited: { title: T2 },
      labels: ['a'],
      status: 'in_progress',
      priority: 3,
      updated_at: T2,
    });
    const theirs = bead({ title: 'Theirs', edited: { title: T1 }, labels: ['b'], status: 'blocked', priority: 1 });
    const r = mergeBead(undefined, ours, theirs);
    expect(r.bead).toEqual(
      bead({
        title: 'Ours',
        edited: { title: T2 },
        labels: ['a', 'b'],
        status: 'in_progress',
        priority: 1,
        updated_at: T2,
      }),
    );
    expect(r.notes.map((n) => n.field).sort()).toEqual(['priority', 'status', 'title']);
  });

  it('keeps an unedited field unstamped and omits an empty edited', () => {
    const r = mergeBead(bead(), bead({ priority: 0 }), bead({ labels: ['z'] }));
    expect('edited' in r.bead).toBe(false);
    expect(r.bead).toEqual(bead({ priority: 0, labels: ['z'] }));
  });

  it('normalizes its output and writes keys in canonical order', () => {
    const base = bead();
    const ours = bead({ labels: ['b', 'a'], updated_at: T1 });
    const theirs = bead({ external_ref: 'gh-1', edited: { external_ref: T2 }, updated_at: T2 });
    const r = mergeBead(base, ours, theirs).bead;
    expect(r.labels).toEqual(['a', 'b']);
    expect(Object.keys(r)).toEqual([
      'id',
      'title',
      'type',
      'status',
      'priority',
      'labels',
      'deps',
      'external_ref',
      'comments',
      'created_at',
      'created_by',
      'updated_at',
      'edited',
    ]);
  });
});
