/**
 * The causal field merge (src/ledger/merge/causal.ts): who saw which write, how a file records it,
 * and how beads and table kinds read, write and merge it.
 */
import { describe, expect, it } from 'vitest';
import { causalWinner, checkCausal, LEGACY_DOT, mergedCausal, stampWrite, type Causal } from '../../src/ledger/merge/causal.js';
import { Checker } from '../../src/ledger/validate.js';
import { decodeBead, encodeBead } from '../../src/beads/bead-codec.js';
import { mergeBead } from '../../src/beads/bead-merge.js';
import { convoyKind } from '../../src/convoys/convoy.js';
import { LedgerFileError } from '../../src/errors.js';
import { sampleBead, thrownBy } from '../helpers/fixtures.js';
import type { Bead } from '../../src/beads/bead.js';
import { CAUSAL_FIELDS } from '../../src/beads/bead.js';

const O = 'overseer.aaaa1111';
const A = 'alice.aaaa1111';
const FIELDS = ['status', 'title'] as const;

type Rec = Causal & { status: string; title: string };
const created: Rec = stampWrite<Rec>(undefined, { status: 'open', title: 'T' }, FIELDS, O, 100);
const write = (before: Rec, change: Partial<Rec>, writer: string, now: number): Rec => stampWrite(before, { ...before, ...change }, FIELDS, writer, now);

describe('stamping a write', () => {
  it('a creation records only its writer; a change gets a dot per changed field; an unchanged write changes nothing', () => {
    expect(created).toEqual({ status: 'open', title: 'T', seen: { [O]: 100 } });
    const closed = write(created, { status: 'closed' }, A, 200);
    expect(closed.seen).toEqual({ [A]: 200, [O]: 100 });
    expect(closed.writes).toEqual({ status: `${A}@200` });
    expect(write(closed, {}, A, 300)).toEqual(closed);
  });

  it('counters never go back: a clock behind the last write of its writer still moves on', () => {
    const first = write(created, { title: 'U' }, O, 500);
    const second = write(first, { title: 'V' }, O, 400);
    expect(second.seen![O]).toBe(501);
    expect(second.writes!.title).toBe(`${O}@501`);
  });

  it('takes the bookkeeping from the value before, never from the one given', () => {
    const forged = { ...created, status: 'closed', seen: { [A]: 9_999 }, writes: { title: `${A}@9999` } };
    expect(stampWrite(created, forged, FIELDS, O, 200)).toEqual({ status: 'closed', title: 'T', seen: { [O]: 200 }, writes: { status: `${O}@200` } });
  });

  it('the first write of a file from before dots marks what it did not change as legacy', () => {
    const legacy = { status: 'open', title: 'T' } as Rec;
    expect(write(legacy, { status: 'closed' }, O, 200)).toMatchObject({ seen: { [O]: 200 }, writes: { status: `${O}@200`, title: LEGACY_DOT } });
  });
});

describe('the causal decision', () => {
  const closed = write(created, { status: 'closed' }, A, 200);
  const reopened = write(closed, { status: 'open' }, O, 300);
  const startedElsewhere = write(created, { status: 'in_progress' }, O, 250);

  it('a side that saw the other write and replaced it wins, either way round', () => {
    expect(causalWinner(reopened, closed, 'status')).toBe('ours');
    expect(causalWinner(closed, reopened, 'status')).toBe('theirs');
    expect(mergedCausal(closed, reopened, FIELDS)).toEqual({ seen: reopened.seen, writes: reopened.writes });
  });

  it('the same write, concurrent writes, and a file without seen are left to the kind’s own rule', () => {
    expect(causalWinner(closed, closed, 'status')).toBeUndefined();
    expect(causalWinner(closed, startedElsewhere, 'status')).toBeUndefined();
    expect(causalWinner(reopened, { status: 'closed', title: 'T' } as Rec, 'status')).toBeUndefined();
    // A field neither side changed since creation is the same write.
    expect(causalWinner(closed, startedElsewhere, 'title')).toBeUndefined();
  });

  it('concurrent writes are both recorded, and the seen of the merge covers both sides', () => {
    const merged = mergedCausal(closed, startedElsewhere, FIELDS);
    expect(merged.writes).toEqual({ status: `${A}@200 ${O}@250` });
    expect(merged.seen).toEqual({ [A]: 200, [O]: 250 });
    // A later write by someone who saw the merge replaces both.
    const after = write({ ...closed, ...merged }, { status: 'blocked' }, A, 400);
    expect(causalWinner(after, closed, 'status')).toBe('ours');
    expect(causalWinner(after, startedElsewhere, 'status')).toBe('ours');
  });

  it('a legacy dot is never covered: that field falls back until someone writes it anew', () => {
    const upgraded = write({ status: 'open', title: 'T' } as Rec, { status: 'closed' }, O, 200);
    const later = write(upgraded, { status: 'open' }, O, 300);
    expect(causalWinner(later, upgraded, 'status')).toBe('ours');
    expect(causalWinner(later, upgraded, 'title')).toBeUndefined();
  });
});

describe('files with seen and writes', () => {
  const text = [
    'id: gt-abc1',
    'title: Fix login',
    'type: task',
    'status: open',
    'priority: 2',
    'created_at: "2026-01-01T00:00:00.000Z"',
    'created_by: overseer',
    'updated_at: "2026-01-01T00:02:00.000Z"',
    'seen:',
    '  "alice.aaaa1111": 1767225660000',
    '  "overseer.aaaa1111": 1767225720000',
    'writes:',
    '  close_reason: overseer.aaaa1111@1767225720000',
    '  status: alice.aaaa1111@1767225660000 overseer.aaaa1111@1767225720000',
    '',
  ].join('\n');

  it('a bead file round-trips byte for byte', () => {
    const bead = decodeBead(text, 'beads/gt-abc1.yaml');
    expect(bead.writes?.status).toBe('alice.aaaa1111@1767225660000 overseer.aaaa1111@1767225720000');
    expect(encodeBead(bead)).toBe(text);
  });

  const broken = (from: string, to: string) => thrownBy(LedgerFileError, () => decodeBead(text.replace(from, to), 'beads/gt-abc1.yaml'));

  it('a malformed one is refused in one line naming the line', () => {
    const cases: [string, string, RegExp, number][] = [
      ['"alice.aaaa1111": 1767225660000', '"alice": 1767225660000', /seen: 'alice' is not a writer/, 10],
      ['"alice.aaaa1111": 1767225660000', '"alice.aaaa1111": soon', /seen\.alice\.aaaa1111 must be a whole number/, 10],
      ['close_reason: overseer', 'created_at: overseer', /writes: 'created_at' is not a field whose writes are tracked/, 13],
      ['close_reason: overseer.aaaa1111@1767225720000', 'close_reason: overseer.aaaa1111@1767225720001', /newer than what seen records/, 13],
      ['close_reason: overseer.aaaa1111@1767225720000', 'close_reason: yesterday', /'yesterday' is not a write/, 13],
      ['status: alice.aaaa1111@1767225660000 overseer', 'status: overseer.aaaa1111@1767225720000 alice', /sorted and distinct/, 14],
    ];
    for (const [from, to, message, line] of cases) {
      const error = broken(from, to);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
      expect(error.line).toBe(line);
    }
    expect(thrownBy(LedgerFileError, () => decodeBead(text.replace(/seen:\n(.*\n){2}/, ''), 'beads/gt-abc1.yaml')).message).toMatch(/writes without seen/);
  });

  it('a table kind (convoys) checks, encodes and merges them the same way', () => {
    const convoy = convoyKind.decode(
      ['id: cv-1', 'title: Launch', 'status: open', 'created_at: "2026-01-01T00:00:00.000Z"', 'created_by: overseer', 'updated_at: "2026-01-01T00:00:00.000Z"', 'seen:', '  "overseer.aaaa1111": 1767225600000', ''].join('\n'),
      'convoys/cv-1.yaml',
    );
    expect(convoy.seen).toEqual({ 'overseer.aaaa1111': 1767225600000 });
    expect(() => convoyKind.decode(convoyKind.encode(convoy).replace('seen:', 'writes:\n  created_by: legacy\nseen:'), 'convoys/cv-1.yaml')).toThrow(/writes: 'created_by' is not a field whose writes are tracked/);
    const closed = stampWrite(convoy, { ...convoy, status: 'closed', close_reason: 'done' }, convoyKind.causalFields!, A, 1767225700000);
    const reopened = stampWrite(closed, { ...closed, status: 'open', close_reason: undefined }, convoyKind.causalFields!, O, 1767225800000);
    // Base = the convoy before alice's closure: three-way alone would close it again.
    const merged = convoyKind.merge(convoy, reopened, closed).value;
    expect(merged.status).toBe('open');
    expect(merged.close_reason).toBeUndefined();
    expect(convoyKind.decode(convoyKind.encode(merged), 'convoys/cv-1.yaml')).toEqual(merged);
  });
});

describe('the bead merge', () => {
  const base: Bead = stampWrite(undefined, sampleBead({ labels: ['ui'] }), CAUSAL_FIELDS, O, 100);
  const bump = (before: Bead, change: Partial<Bead>, writer: string, now: number): Bead => stampWrite(before, { ...before, ...change }, CAUSAL_FIELDS, writer, now);

  it('keeps a reopen and a removed label over the older closure whatever the base says, and follows the old rules for concurrent edits', () => {
    const closed = bump(base, { status: 'closed', closed_at: '2026-01-01T00:00:02.000Z', close_reason: 'done', labels: ['review', 'ui'] }, A, 200);
    const reopened = bump(closed, { status: 'open', closed_at: undefined, close_reason: undefined, labels: ['ui'] }, O, 300);
    for (const [ours, theirs] of [
      [reopened, closed],
      [closed, reopened],
    ] as const) {
      const merged = mergeBead(base, ours, theirs).bead;
      expect(merged).toMatchObject({ status: 'open', labels: ['ui'] });
      expect(merged.close_reason).toBeUndefined();
      expect(merged.closed_at).toBeUndefined();
      expect(merged.writes).toEqual(reopened.writes);
    }
    const started = bump(base, { status: 'in_progress' }, O, 250);
    expect(mergeBead(base, started, closed).bead.status).toBe('closed');
  });

  it('beads without seen (files from before) merge as they always did', () => {
    const plain = sampleBead({ labels: ['ui'] });
    const closed = { ...plain, status: 'closed' as const, closed_at: '2026-01-01T00:00:02.000Z' };
    const merged = mergeBead(plain, plain, closed).bead;
    expect(merged.status).toBe('closed');
    expect(merged.seen).toBeUndefined();
  });
});
