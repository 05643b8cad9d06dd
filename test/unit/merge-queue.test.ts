import { afterEach, describe, expect, it } from 'vitest';
import { mrKind, type MergeRequest } from '../../src/mrs/mr.js';
import { claimRequest, latestRequest, submitRequest, withMrLog } from '../../src/mrs/mr-service.js';
import { queueOrder, refineryCloseRule, IN_REVIEW_LABEL } from '../../src/work/merge-queue.js';
import { tailOf, TAIL_LINES } from '../../src/refinery/refinery.js';
import type { Convoy } from '../../src/convoys/convoy.js';
import type { Bead } from '../../src/beads/bead.js';
import { openLedger } from '../../src/kinds.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { formatKeyPath } from '../../src/ledger/validate.js';

const T = '2026-01-02T03:04:05.000Z';
const SHA = 'a'.repeat(40);
const mr = (id: string, over: Partial<MergeRequest> = {}): MergeRequest => ({
  id,
  branch: 'polecat/nux',
  commit: SHA,
  target: 'main',
  bead: `gt-${id}`,
  agent: 'nux',
  priority: '2',
  status: 'queued',
  attempts: '0',
  created_at: T,
  created_by: 'nux',
  updated_at: T,
  ...over,
});
const convoy = (id: string, created_at: string): Convoy => ({ id, title: id, status: 'open', created_at, created_by: 'overseer', updated_at: created_at });

describe('the merge request record', () => {
  it('accepts a well-formed request and refuses bad commits, priorities, statuses and log lines', () => {
    expect(mrKind.problems(withMrLog(mr('gt-mr-1'), T, 'submitted'))).toEqual([]);
    const bad = { ...mr('gt-mr-1'), commit: 'abc', priority: '7', status: 'done', log: ['no time'] } as unknown as MergeRequest;
    expect(mrKind.problems(bad).map((p) => formatKeyPath(p.keyPath)).sort()).toEqual(['commit', 'log[0]', 'priority', 'status']);
  });

  it('merges concurrent edits: the later verdict wins, log lines from both sides are kept', () => {
    const base = withMrLog(mr('gt-mr-1'), T, 'submitted');
    const ours = withMrLog({ ...base, status: 'merged', edited: { status: '2026-01-02T05:00:00.000Z' } }, '2026-01-02T05:00:00.000Z', 'merged');
    const theirs = withMrLog({ ...base, status: 'rejected', edited: { status: '2026-01-02T04:00:00.000Z' } }, '2026-01-02T04:00:00.000Z', 'rejected');
    const merged = mrKind.merge(base, ours, theirs).value;
    expect(merged.status).toBe('merged');
    expect(merged.log).toHaveLength(3);
  });
});

describe('the queue order', () => {
  it('is priority, then convoy age, then request age', () => {
    const convoys = new Map([
      ['gt-cv-old', convoy('gt-cv-old', '2026-01-01T00:00:00.000Z')],
      ['gt-cv-new', convoy('gt-cv-new', '2026-01-02T00:00:00.000Z')],
    ]);
    const requests = [
      mr('gt-mr-a', { created_at: '2026-01-03T00:00:00.000Z', convoy: 'gt-cv-new' }),
      mr('gt-mr-b', { created_at: '2026-01-03T01:00:00.000Z', convoy: 'gt-cv-old' }),
      mr('gt-mr-c', { created_at: '2026-01-04T00:00:00.000Z', priority: '0' }),
      mr('gt-mr-d', { created_at: '2026-01-03T02:00:00.000Z', convoy: 'gt-cv-old' }),
      mr('gt-mr-e', { status: 'failed' }),
    ];
    const order = queueOrder({ beads: new Map<string, Bead>(), convoys, mrs: new Map(requests.map((m) => [m.id, m])) });
    expect(order.map((m) => m.id)).toEqual(['gt-mr-c', 'gt-mr-b', 'gt-mr-d', 'gt-mr-a']);
  });

  it('keeps the last TAIL_LINES non-empty lines of test output', () => {
    const output = Array.from({ length: TAIL_LINES + 5 }, (_, i) => `line ${i}`).join('\n\n');
    expect(tailOf(output).split('\n')).toEqual(Array.from({ length: TAIL_LINES }, (_, i) => `line ${i + 5}`));
    expect(tailOf('')).toBe('(no output)');
  });
});

describe('submitting and claiming on a ledger', () => {
  let r: TestRepo | undefined;
  afterEach(() => r?.cleanup());

  it('a second submission supersedes the first (attempts carried over); a request is claimed once', async () => {
    r = makeRepo();
    const ledger = openLedger({ cwd: r.dir, actor: '' });
    try {
      await ledger.init('gt');
      const input = { branch: 'polecat/nux', commit: SHA, target: 'main', bead: 'gt-abc', agent: 'nux', priority: 1 };
      const { result: first } = await ledger.write((tx) => ({ result: submitRequest(tx, input).mr, message: 'submit' }));
      await ledger.write((tx) => ({ result: claimRequest(tx, first.id, 'box:1'), message: 'claim' }));
      const { result: twice } = await ledger.write((tx) => ({ result: claimRequest(tx, first.id, 'box:2'), message: 'claim again' }));
      expect(twice).toBeUndefined();
      await expect(ledger.write((tx) => ({ result: submitRequest(tx, { ...input, commit: 'b'.repeat(40) }), message: 'submit again' }))).rejects.toThrow('is being merged right now');
      await ledger.write((tx) => {
        tx.put(mrKind, { ...tx.mrs.get(first.id)!, status: 'failed' as const });
        return { result: undefined, message: 'fail' };
      });
      const { result: second } = await ledger.write((tx) => ({ result: submitRequest(tx, { ...input, commit: 'b'.repeat(40) }), message: 'submit again' }));
      expect(second.superseded).toMatchObject({ id: first.id, status: 'rejected', superseded_by: second.mr.id });
      expect(second.mr).toMatchObject({ status: 'queued', attempts: '1', supersedes: first.id, priority: '1' });
      expect(latestRequest((await ledger.view()).mrs, 'gt-abc')?.id).toBe(second.mr.id);
    } finally {
      ledger.close();
    }
  });
});

describe('closing keywords with a refinery', () => {
  const bead = (labels: string[]): Bead => ({ id: 'gt-abc', title: 't', type: 'task', status: 'hooked', priority: 2, labels, deps: [], comments: [], created_at: T, created_by: 'o', updated_at: T });

  it('close anywhere without refinery.target; with it, only on the target and never a bead in review', () => {
    expect(refineryCloseRule(undefined)(bead([]), 'polecat/nux')).toBeUndefined();
    const rule = refineryCloseRule('main');
    expect(rule(bead([]), 'polecat/nux')).toBe('once merged into main (refinery.target), not on polecat/nux');
    expect(rule(bead([]), 'main')).toBeUndefined();
    expect(rule(bead([IN_REVIEW_LABEL]), 'main')).toBe('when the refinery records its merge request merged');
  });
});
