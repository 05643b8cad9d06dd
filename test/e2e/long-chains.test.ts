/**
 * Long dependency chains: every walk over the bead graph (doctor's cycle search, readiness through
 * parents, the dependency tree) keeps its own stack or a depth bound, so a chain of thousands of
 * beads cannot overflow the call stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const LENGTH = 6000;
const id = (i: number): string => `ch-${String(i).padStart(5, '0')}`;

let r: TestRepo;
beforeAll(() => {
  r = makeRepo();
  r.gtOk('init', '--prefix', 'ch');
  // ch-00000 → ch-00001 → … → ch-05999 → ch-zblock (open): each link the child of the next and blocked
  // by it, so a search from the smallest id goes the whole length.
  const lines = [JSON.stringify({ id: 'ch-zblock', title: 'Blocker', status: 'open', priority: 1, issue_type: 'task' })];
  for (let i = 0; i < LENGTH; i++) {
    const next = i === LENGTH - 1 ? 'ch-zblock' : id(i + 1);
    const dependencies = [{ issue_id: id(i), depends_on_id: next, type: 'blocks' }];
    if (i < LENGTH - 1) dependencies.push({ issue_id: id(i), depends_on_id: next, type: 'parent-child' });
    lines.push(JSON.stringify({ id: id(i), title: `Link ${i}`, status: 'open', priority: 2, issue_type: 'task', dependencies }));
  }
  const file = join(r.dir, '..', 'chain.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  r.gtOk('import', file);
}, 300_000);
afterAll(() => r.cleanup());

describe(`a ${LENGTH}-bead dependency chain`, () => {
  it('gt doctor searches it for cycles without overflowing', () => {
    expect(r.gtOk('doctor')).toContain('ledger is healthy');
  });

  it('gt ready and gt blocked walk the parent chain without overflowing', () => {
    expect(r.gtJson<{ id: string }[]>('ready').map((b) => b.id)).toEqual(['ch-zblock']);
    const blocked = r.gtJson<{ id: string; blocked_by: { id?: string; reason: string }[] }[]>('blocked');
    expect(blocked).toHaveLength(LENGTH);
    const first = blocked.find((b) => b.id === id(0))!;
    expect(first.blocked_by).toContainEqual({ id: id(1), reason: 'parent-blocked', status: 'open' });
  });

  it('gt dep tree shows it to a bounded depth', () => {
    const out = r.gtOk('dep', 'tree', id(0));
    expect(out).toContain(id(1));
    expect(r.gtJson<{ id: string }>('dep', 'tree', id(0)).id).toBe(id(0));
  });

  it('a cycle closing the chain is found and named', () => {
    // The end of the chain made to depend on its start: one cycle, 6,002 beads around.
    r.gtOk('dep', 'add', 'ch-zblock', id(0), '--type', 'related');
    const closing = r.gt(['dep', 'add', 'ch-zblock', id(0)]);
    expect(closing.status).not.toBe(0);
    expect(closing.stderr).toMatch(/cycle/);
  });
});
