/**
 * Issue 8 §2, "nothing is lost": a checkout of a branch gt writes follows gt's writes (or the write is
 * refused), and the replay of an agent's unmerged commits keeps every appended note and comment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

interface BeadJson {
  id: string;
  title: string;
  notes?: string;
  comments: { text: string }[];
}

let r: TestRepo;
beforeEach(() => {
  r = makeRepo();
  r.gtOk('init', '--prefix', 'gt');
});
afterEach(() => r.cleanup());

const beadFile = (dir: string, id: string): string => join(dir, 'beads', `${id}.yaml`);

describe('a checkout of gt/ledger', () => {
  it('in a linked worktree follows a gt write, so a native commit there keeps what gt wrote', () => {
    const first = r.gtJson<BeadJson>('create', 'Before the checkout');
    const wt = join(r.dir, '..', 'wt-ledger');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    const second = r.gtJson<BeadJson>('create', 'Written while checked out');
    // The checkout moved with the ref: files, index and HEAD agree with the new tip.
    expect(existsSync(beadFile(wt, second.id))).toBe(true);
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
    // A native edit and `git commit -am` there must not delete the bead gt wrote.
    const firstPath = beadFile(wt, first.id);
    writeFileSync(firstPath, readFileSync(firstPath, 'utf8').replace('title: Before the checkout', 'title: Edited natively'));
    r.git('-C', wt, 'commit', '-qam', 'native edit');
    const titles = r.gtJson<BeadJson[]>('list').map((b) => b.title).sort();
    expect(titles).toEqual(['Edited natively', 'Written while checked out']);
  });

  it('with uncommitted changes refuses the write in one line naming the checkout, and writes nothing', () => {
    const bead = r.gtJson<BeadJson>('create', 'Seed');
    const wt = join(r.dir, '..', 'wt-dirty');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    writeFileSync(beadFile(wt, bead.id), `${readFileSync(beadFile(wt, bead.id), 'utf8')}# local edit\n`);
    const tip = r.git('rev-parse', 'gt/ledger');
    const refused = r.gt(['create', 'Refused']);
    expect(refused.status).not.toBe(0);
    const first = refused.stderr.split('\n')[0]!;
    expect(first).toContain('gt/ledger is checked out in');
    expect(first).toContain('wt-dirty');
    expect(refused.stderr).toMatch(/commit or stash/);
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
    expect(readFileSync(beadFile(wt, bead.id), 'utf8')).toContain('# local edit');
    // Once the change is committed there, gt writes again (and the checkout follows).
    r.git('-C', wt, 'commit', '-qam', 'local edit');
    const next = r.gtJson<BeadJson>('create', 'Accepted');
    expect(existsSync(beadFile(wt, next.id))).toBe(true);
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
  });

  it('in the main worktree (git checkout gt/ledger) follows a gt write too', () => {
    const first = r.gtJson<BeadJson>('create', 'One');
    r.git('checkout', '-q', 'gt/ledger');
    const second = r.gtJson<BeadJson>('create', 'Two');
    expect(existsSync(beadFile(r.dir, second.id))).toBe(true);
    expect(r.git('status', '--porcelain')).toBe('');
    const path = beadFile(r.dir, first.id);
    writeFileSync(path, readFileSync(path, 'utf8').replace('title: One', 'title: One, edited'));
    r.git('commit', '-qam', 'native edit');
    expect(r.gtJson<BeadJson[]>('list').map((b) => b.title).sort()).toEqual(['One, edited', 'Two']);
  });

  it('an agent branch checked out follows the agent’s writes', () => {
    const bead = r.gtJson<BeadJson>('create', 'Work');
    r.gt(['update', bead.id, '--append-notes', 'start'], { env: { GT_AGENT: 'alice' } });
    const wt = join(r.dir, '..', 'wt-alice');
    r.git('worktree', 'add', '-q', wt, 'gt/agents/alice');
    const res = r.gt(['update', bead.id, '--append-notes', 'more'], { env: { GT_AGENT: 'alice' } });
    expect(res.status, res.stderr).toBe(0);
    expect(readFileSync(beadFile(wt, bead.id), 'utf8')).toContain('more');
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
  });
});
