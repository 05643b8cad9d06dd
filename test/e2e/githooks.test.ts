import { beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, useGtRepo, ledgerFile } from '../helpers/repo.js';

interface BeadJson {
  id: string;
  status: string;
  close_reason?: string;
  comments: { id: string; author: string; at: string; text: string }[];
}

interface StatusJson {
  hooksDir: string;
  hooks: { name: string; state: string; current?: boolean }[];
}

const HOOKS = ['prepare-commit-msg', 'post-commit', 'post-merge', 'post-checkout', 'post-rewrite'];

const r = useGtRepo();

/** Runs git as a user would at a terminal (no GT_AGENT, no GT_DEBUG), keeping what it printed. */
function git(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...GIT_ENV, ...options.env };
  for (const name of ['GT_AGENT', 'GT_DEBUG']) if (!options.env?.[name]) delete env[name];
  const result = spawnSync('git', args, { cwd: options.cwd ?? r.dir, encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Commits (empty) with this message; the commit must succeed without printing anything. */
function commit(message: string, options: { cwd?: string; amend?: boolean; env?: Record<string, string> } = {}): string {
  const result = git(['commit', '-q', '--allow-empty', ...(options.amend ? ['--amend'] : []), '-m', message], options);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return git(['rev-parse', 'HEAD'], options).stdout.trim();
}

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const show = (id: string, agent?: string): BeadJson => {
  const result = r.gt(['show', id, '--json'], agent ? { env: { GT_AGENT: agent } } : {});
  if (result.status !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as BeadJson[])[0]!;
};
const logOf = (): string => {
  const path = join(r.dir, '.git/gt/hooks.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
};
const status = (): StatusJson => r.gtJson<StatusJson>('hooks', 'status');

describe('gt hooks install | uninstall | status', () => {
  it('installs all five hooks, chains to a hook you have and gives it back byte for byte', () => {
    const hooksDir = join(r.dir, '.git/hooks');
    const userHook = '#!/bin/sh\n# my own hook\necho "ran $*" >> .git/user-hook-ran\nexit 3\n';
    writeFileSync(join(hooksDir, 'post-commit'), userHook, { mode: 0o750 });
    chmodSync(join(hooksDir, 'post-commit'), 0o750);
    expect(status().hooks.find((h) => h.name === 'post-commit')!.state).toBe('foreign');

    const first = r.gtJson<{ hooksDir: string; changes: { name: string; action: string }[] }>('hooks', 'install');
    expect(first.hooksDir).toBe(hooksDir);
    expect(Object.fromEntries(first.changes.map((c) => [c.name, c.action]))).toMatchObject({ 'post-commit': 'chained', 'post-merge': 'installed' });
    expect(readFileSync(join(hooksDir, 'post-commit.gt-chained'), 'utf8')).toBe(userHook);
    const st = status();
    expect(st.hooksDir).toBe(hooksDir);
    expect(st.hooks.map((h) => [h.name, h.state])).toEqual(HOOKS.map((name) => [name, name === 'post-commit' ? 'chained' : 'installed']));
    expect(st.hooks.every((h) => h.current === true)).toBe(true);
    expect(r.gtOk('hooks', 'status')).toContain('post-commit         installed (chained to your hook)');

    // Installing again changes nothing.
    const bytes = () => HOOKS.map((h) => readFileSync(join(hooksDir, h), 'utf8')).join('\0');
    const before = bytes();
    const again = r.gtJson<{ changes: { action: string }[] }>('hooks', 'install');
    expect(again.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(bytes()).toBe(before);

    // The user's hook still runs, with the hook's arguments; its failure does not fail the commit.
    commit('first');
    expect(readFileSync(join(r.dir, '.git/user-hook-ran'), 'utf8')).toBe('ran \n');

    // Someone else's hook where ours was: status says so, and uninstall leaves it alone.
    writeFileSync(join(hooksDir, 'post-merge'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(status().hooks.find((h) => h.name === 'post-merge')!.state).toBe('foreign');
    expect(r.gtOk('hooks', 'status')).toContain('post-merge          foreign hook present (not ours)');

    r.gtOk('hooks', 'uninstall');
    expect(readFileSync(join(hooksDir, 'post-commit'), 'utf8')).toBe(userHook);
    expect(statSync(join(hooksDir, 'post-commit')).mode & 0o777).toBe(0o750);
    expect(existsSync(join(hooksDir, 'post-commit.gt-chained'))).toBe(false);
    expect(readFileSync(join(hooksDir, 'post-merge'), 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    expect(status().hooks.map((h) => h.state)).toEqual(['not-installed', 'foreign', 'foreign', 'not-installed', 'not-installed']);
  });

  it("a chained prepare-commit-msg that refuses still stops the commit: that is the user's choice", () => {
    const hooksDir = join(r.dir, '.git/hooks');
    writeFileSync(join(hooksDir, 'prepare-commit-msg'), '#!/bin/sh\necho "no commits today" >&2\nexit 1\n', { mode: 0o755 });
    r.gtOk('hooks', 'install');
    const refused = git(['commit', '-q', '--allow-empty', '-m', 'blocked']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('no commits today');
    r.gtOk('hooks', 'uninstall');
    expect(readFileSync(join(hooksDir, 'prepare-commit-msg'), 'utf8')).toBe('#!/bin/sh\necho "no commits today" >&2\nexit 1\n');
  });

  it('honours a relative core.hooksPath, from a subdirectory too', () => {
    r.git('config', 'core.hooksPath', '.githooks');
    mkdirSync(join(r.dir, 'sub'));
    const installed = r.gt(['hooks', 'install', '--json'], { cwd: join(r.dir, 'sub') });
    expect(installed.status).toBe(0);
    expect((JSON.parse(installed.stdout) as { hooksDir: string }).hooksDir).toBe(join(r.dir, '.githooks'));
    for (const hook of HOOKS) expect(readFileSync(join(r.dir, '.githooks', hook), 'utf8')).toContain('# gt-managed-hook v1');
    expect(existsSync(join(r.dir, '.git/hooks/post-commit'))).toBe(false);
    expect(status().hooksDir).toBe(join(r.dir, '.githooks'));
    // git runs them from there.
    const id = create('Via hooksPath');
    commit(`Work\n\nRefs ${id}`);
    expect(show(id).comments).toHaveLength(1);
  });
});

describe('commits that name beads', () => {
  beforeEach(() => {
    r.gtOk('hooks', 'install');
  });

  it('Closes: closes the bead and records the commit; Refs only records; recording twice changes nothing', () => {
    const a = create('Closable');
    const b = create('Referenced');
    const sha = commit(`Fix thing\n\nCloses: ${a}`);
    const closed = show(a);
    expect(closed.status).toBe('closed');
    expect(closed.close_reason).toBe(`Closed by commit ${sha.slice(0, 7)}: Fix thing`);
    expect(closed.comments).toEqual([
      {
        id: `commit-${sha}`,
        author: 'overseer',
        at: new Date(Number(r.git('log', '-1', '--format=%ct').trim()) * 1000).toISOString(),
        text: `Commit ${sha.slice(0, 7)} on main: Fix thing`,
      },
    ]);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger', '--', ledgerFile('beads', a)).trim()).toBe(`record commit ${sha.slice(0, 7)} on ${a}; close ${a}`);

    const refSha = commit(`Work on it\n\nRefs ${b.toUpperCase()}`);
    expect(show(b)).toMatchObject({ status: 'open', comments: [{ id: `commit-${refSha}`, text: `Commit ${refSha.slice(0, 7)} on main: Work on it` }] });

    // The same commit recorded again (the hook run twice) changes nothing.
    const tip = r.git('rev-parse', 'gt/ledger');
    const rerun = r.gt(['hooks', 'run', 'post-commit']);
    expect(rerun.status).toBe(0);
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);

    // An amend replaces the commit: one comment, for the new commit, not two.
    const amended = commit(`Work on it, better\n\nRefs: ${b}`, { amend: true });
    expect(show(b).comments.map((c) => c.id)).toEqual([`commit-${amended}`]);

    // Closing an already closed bead again keeps the first close; the new commit is recorded.
    const again = commit(`Fix thing again\n\nFixes ${a}`);
    expect(show(a)).toMatchObject({ status: 'closed', close_reason: `Closed by commit ${sha.slice(0, 7)}: Fix thing` });
    expect(show(a).comments.map((c) => c.id).sort()).toEqual([`commit-${sha}`, `commit-${again}`].sort());
    expect(logOf()).not.toMatch(/error/i);
  });

  it('an id that names no bead is logged and ignored; a commit naming no bead leaves no error behind', () => {
    const a = create('Real');
    commit(`Several\n\nRefs gt-zzzzzz, ${a}`);
    expect(show(a).comments).toHaveLength(1);
    expect(logOf()).toMatch(/post-commit: commit [0-9a-f]{7} names gt-zzzzzz, ignored: no bead matches 'gt-zzzzzz'/);

    rmSync(join(r.dir, '.git/gt/hooks.log'));
    commit('Plain commit, no bead');
    commit('Fix login-page bug');
    expect(logOf()).not.toMatch(/error/i);
  });

  it('a broken gt never fails a commit: the failure goes to hooks.log', () => {
    const a = create('Survivor');
    // A ledger commit without gt.yaml: every read of the ledger fails.
    const emptyTree = r.git('hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const goodTip = r.git('rev-parse', 'gt/ledger').trim();
    const broken = r.git('commit-tree', emptyTree, '-p', goodTip, '-m', 'broken').trim();
    r.git('update-ref', 'refs/heads/gt/ledger', broken);
    commit(`Fix it\n\nCloses: ${a}`);
    expect(logOf()).toMatch(/^\S+ post-commit: error: recording the commit: the ledger at [0-9a-f]+ has no gt\.yaml/m);
    r.git('update-ref', 'refs/heads/gt/ledger', goodTip);

    // gt itself missing: the hook logs that gt did not run, and the commit goes through.
    for (const hook of HOOKS) {
      const path = join(r.dir, '.git/hooks', hook);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^gt_bin=.*$/m, "gt_bin='/nonexistent/gt.mjs'"));
    }
    rmSync(join(r.dir, '.git/gt/hooks.log'));
    commit(`Fix it\n\nCloses: ${a}`);
    expect(logOf()).toMatch(/post-commit: gt exited with status 1 \(.* \/nonexistent\/gt\.mjs\)/);
    expect(show(a).status).toBe('open');

    // The fast path: a commit naming no bead, gt's branches as the last observer pass saw them,
    // does not start gt at all (here it could not).
    writeFileSync(join(r.dir, '.git/gt/observer-refs'), r.git('for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/gt/'));
    rmSync(join(r.dir, '.git/gt/hooks.log'));
    commit('Nothing to see');
    expect(logOf()).toBe('');

    // A branch checkout and a merge start gt for an observer pass (which here cannot run, and says so).
    rmSync(join(r.dir, '.git/gt/observer-refs'));
    expect(git(['checkout', '-q', '-b', 'side']).stderr).toBe('');
    expect(logOf()).toMatch(/post-checkout: gt exited with status 1/);
    commit('On the side');
    expect(git(['checkout', '-q', 'main']).status).toBe(0);
    const merged = git(['merge', '-q', '--no-edit', 'side']);
    expect(merged).toMatchObject({ status: 0, stderr: '' });
    expect(logOf()).toMatch(/post-merge: gt exited with status 1/);
  });

  it('prepare-commit-msg adds Gt-Bead in a checkout bound to an agent with hooked work, not elsewhere', () => {
    const a = create('Agent work');
    const other = create('Not hers');
    const worktree = join(r.dir, '..', 'alice-wt');
    r.git('worktree', 'add', '-q', worktree, '-b', 'feature');
    writeFileSync(join(r.dir, '.git/worktrees/alice-wt/gt-agent'), 'alice\n');
    const slung = r.gt(['--as', 'alice', 'update', a, '--status', 'hooked', '--assignee', 'alice']);
    expect(slung.status).toBe(0);

    const sha = commit('Do the work', { cwd: worktree });
    expect(git(['log', '-1', '--format=%B'], { cwd: worktree }).stdout.trim()).toBe(`Do the work\n\nGt-Bead: ${a}`);
    // The trailer then records the commit on the bead, as alice, on the feature branch.
    const recorded = show(a, 'alice').comments.find((c) => c.id === `commit-${sha}`);
    expect(recorded).toMatchObject({ author: 'alice', text: `Commit ${sha.slice(0, 7)} on feature: Do the work` });

    // A message that already names the bead gets no second one.
    commit(`More work\n\nRefs ${a}`, { cwd: worktree });
    expect(git(['log', '-1', '--format=%B'], { cwd: worktree }).stdout.trim()).toBe(`More work\n\nRefs ${a}`);

    // The main checkout belongs to no agent: no trailer, even though alice has hooked work.
    commit('Overseer work');
    expect(r.git('log', '-1', '--format=%B').trim()).toBe('Overseer work');
    expect(show(other).comments).toEqual([]);
    expect(logOf()).not.toMatch(/error/i);
  });
});
