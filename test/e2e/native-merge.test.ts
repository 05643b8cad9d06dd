import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, makeRepo, makeTempDir, runGt, type TestRepo, ledgerFile } from '../helpers/repo.js';

let r: TestRepo;
let scratch: string;
beforeEach(() => {
  r = makeRepo();
  scratch = makeTempDir('gt-native-');
});
afterEach(() => {
  r.cleanup();
  execFileSync('rm', ['-rf', scratch]);
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
const gitRun = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });

/** A bead both the overseer (on the ledger) and alice (on her branch) changed, in different fields. */
function diverged(): string {
  const id = r.gtJson<{ id: string }>('create', 'Shared work', '-p', '2').id;
  r.gtOk('update', id, '--add-label', 'ui', '--append-notes', 'alice was here', '--as', 'alice');
  r.gtOk('update', id, '-p', '0', '-d', 'Described by the overseer');
  return id;
}

/** The ledger tree gt merge gives for the same histories, in a copy of the repository. */
function treeByGtMerge(): string {
  const copy = join(scratch, 'copy');
  cpSync(r.dir, copy, { recursive: true });
  expect(runGt(['merge', 'alice'], copy).status).toBe(0);
  return git(copy, 'rev-parse', 'gt/ledger^{tree}').trim();
}

describe("gt's merge driver for native git merges of the ledger", () => {
  it('is set up by gt init: git merge and git rebase of ledger branches, either way, give gt merge’s tree with no conflict', () => {
    const init = r.gtOk('init', '--prefix', 'gt');
    expect(init).toContain("registered gt's merge driver");
    expect(git(r.dir, 'config', '--get', 'merge.gt.driver')).toContain('merge-driver %O %A %B %P');
    expect(git(r.dir, 'show', 'gt/ledger:.gitattributes')).toContain('*.yaml merge=gt');
    const id = diverged();
    const expected = treeByGtMerge();

    const wt = join(scratch, 'ledger');
    git(r.dir, 'worktree', 'add', '-q', wt, 'gt/ledger');
    const merged = gitRun(wt, 'merge', '--no-edit', 'gt/agents/alice');
    expect(merged.status, merged.stdout + merged.stderr).toBe(0);
    expect(git(wt, 'rev-parse', 'HEAD^{tree}').trim()).toBe(expected);
    const file = readFileSync(join(wt, ledgerFile('beads', id)), 'utf8');
    expect(file).not.toMatch(/^(<<<<<<<|>>>>>>>)/m);
    expect(file).toContain('priority: 0');
    expect(file).toContain('- ui');
    git(r.dir, 'worktree', 'remove', '--force', wt);

    // The other way round, and a rebase of alice's work onto the ledger.
    const other = join(scratch, 'alice');
    git(r.dir, 'worktree', 'add', '-q', '--detach', other, 'gt/agents/alice');
    expect(gitRun(other, 'merge', '--no-edit', 'gt/ledger').status).toBe(0);
    expect(git(other, 'rev-parse', 'HEAD^{tree}').trim()).toBe(expected);
    git(other, 'checkout', '-q', '--detach', 'gt/agents/alice');
    const rebased = gitRun(other, 'rebase', 'gt/ledger');
    expect(rebased.status, rebased.stdout + rebased.stderr).toBe(0);
    expect(git(other, 'rev-parse', 'HEAD^{tree}').trim()).toBe(expected);
    git(r.dir, 'worktree', 'remove', '--force', other);
    expect(r.gtOk('doctor')).toContain('ledger is healthy');
  });

  it('gt doctor says when native merges would conflict, and --fix sets them up; gt init does on an older ledger', () => {
    r.gtOk('init', '--prefix', 'gt');
    git(r.dir, 'config', '--remove-section', 'merge.gt');
    const findings = r.gtJson<{ severity: string; message: string }[]>('doctor');
    expect(findings.map((f) => f.message).join('\n')).toContain('merge.gt.driver is not set');
    const fixed = r.gtJson<{ fixed: string[]; findings: unknown[] }>('doctor', '--fix');
    expect(fixed.fixed).toEqual(["registered gt's merge driver (git config merge.gt.driver)"]);
    expect(fixed.findings).toEqual([]);

    // A ledger from before the driver: no .gitattributes. gt init adds it, in a commit of its own.
    const tip = git(r.dir, 'rev-parse', 'gt/ledger').trim();
    const withoutAttributes = git(r.dir, 'commit-tree', '-p', tip, '-m', 'drop .gitattributes', rootWithout(tip)).trim();
    git(r.dir, 'update-ref', 'refs/heads/gt/ledger', withoutAttributes);
    expect(r.gtJson<{ message: string; path?: string }[]>('doctor').map((f) => f.path)).toContain('.gitattributes');
    const again = r.gtOk('init');
    expect(again).toContain("wrote the ledger's .gitattributes");
    expect(git(r.dir, 'log', '-1', '--format=%s', 'gt/ledger').trim()).toContain('.gitattributes');
    expect(r.gtOk('doctor')).toContain('ledger is healthy');
  });
});

/** The tree of `commit` without its root `.gitattributes`. */
function rootWithout(commit: string): string {
  const listing = git(r.dir, 'ls-tree', commit)
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('\t.gitattributes'))
    .join('\n');
  return execFileSync('git', ['mktree'], { cwd: r.dir, input: `${listing}\n`, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
}
