import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runGt, spawnGt, useGtRepo, ledgerFile } from '../helpers/repo.js';
import { until, killSessions } from '../helpers/sessions.js';
import { ageStateLocks } from '../helpers/locks.js';

/** The refinery against real git: gt done submits, gt refinery run merges, tests and moves the target. */

interface Mr {
  id: string;
  status: string;
  bead: string;
  branch: string;
  commit: string;
  merge_commit?: string;
  attempts: string;
  waiting?: string;
  test_tail?: string;
  conflict_files?: string[];
  conflict_bead?: string;
  superseded_by?: string;
  supersedes?: string;
  log?: string[];
}
interface Bead {
  id: string;
  title: string;
  status: string;
  assignee?: string;
  labels: string[];
  notes?: string;
  description?: string;
  close_reason?: string;
  deps: { type: string; id: string }[];
}
interface Action {
  kind: string;
  mr?: string;
  line: string;
}

const r = useGtRepo((template) => {
  writeFileSync(join(template.dir, 'README'), 'project\n');
  template.git('add', 'README');
  template.git('commit', '-q', '-m', 'readme');
  template.gtOk('config', 'set', 'refinery.target', 'main');
});
let children: ChildProcess[] = [];
/** Process groups started by test commands (their pid files): killed after each test. */
let groups: string[] = [];
beforeEach(() => {
  children = [];
  groups = [];
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  killSessions(groups.filter(existsSync).map((f) => Number(readFileSync(f, 'utf8').trim())).filter((pid) => pid > 0));
});

const sandboxOf = (name: string): string => join(dirname(r.dir), name);
/** gt run by a polecat in its sandbox (the test runner's GT_AGENT='' would make it the overseer). */
const gtIn = (cwd: string, ...args: string[]): string => {
  const res = runGt(args, cwd, { ...r.env, GT_AGENT: cwd.split('/').pop()! });
  if (res.status !== 0) throw new Error(`gt ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
};
const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const bead = (id: string): Bead => r.gtJson<Bead[]>('show', id)[0]!;
const mrs = (): Mr[] => r.gtJson<Mr[]>('mq', 'list', '--all');
const mrOf = (beadId: string): Mr => mrs().find((m) => m.bead === beadId && !m.superseded_by)!;
const refinery = (): Action[] => r.gtJson<Action[]>('refinery', 'run', '--once');
const mainTip = (): string => r.git('rev-parse', 'main').trim();
const mainFiles = (): string[] => r.git('ls-tree', '--name-only', 'main').trim().split('\n');

/** A polecat sandbox as gt makes one: a worktree on polecat/<name>, bound to the agent. */
function sandbox(name: string): string {
  const dir = sandboxOf(name);
  if (!existsSync(dir)) {
    r.git('worktree', 'add', '-q', '-b', `polecat/${name}`, dir, 'main');
  }
  return dir;
}

/** The agent commits `files` in its sandbox. */
function commit(name: string, files: Record<string, string>, message = 'work'): void {
  const dir = sandbox(name);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  execIn(dir, 'add', '-A');
  execIn(dir, 'commit', '-q', '-m', message);
}
function execIn(dir: string, ...args: string[]): string {
  return r.git('-C', dir, ...args);
}

/** A bead slung to `name`, worked in its sandbox (`files` committed) and submitted with gt done. */
function work(name: string, title: string, files: Record<string, string>): string {
  const id = create(title);
  r.gtOk('sling', id, name, '--create-agent');
  commit(name, files, title);
  gtIn(sandbox(name), 'done');
  return id;
}

describe('gt done with refinery.target set', () => {
  it('refuses uncommitted changes, then records a queued request, puts the bead in review and the agent idle', () => {
    const id = create('Add a');
    r.gtOk('sling', id, 'nux', '--create-agent');
    const dir = sandbox('nux');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    const refused = runGt(['done'], dir, { ...r.env, GT_AGENT: 'nux' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('uncommitted changes: ?? a.txt');
    expect(bead(id).status).toBe('hooked');
    execIn(dir, 'add', '-A');
    execIn(dir, 'commit', '-q', '-m', 'a');
    const out = gtIn(dir, 'done');
    expect(out).toMatch(new RegExp(`submitted ${id} for review: gt-mr-\\w+ \\(polecat/nux at \\w+ into main\\)`));
    const mr = mrOf(id);
    expect(mr).toMatchObject({ status: 'queued', bead: id, branch: 'polecat/nux', commit: execIn(dir, 'rev-parse', 'HEAD').trim(), attempts: '0' });
    expect(r.git('show', `gt/ledger:${ledgerFile('mrs', mr.id)}`)).toContain('status: queued');
    expect(bead(id)).toMatchObject({ status: 'blocked', assignee: 'nux', labels: ['in-review'] });
    expect(r.gtJson<{ name: string; state: string }[]>('agents').find((a) => a.name === 'nux')!.state).toBe('idle');
    expect(gtIn(dir, 'prime')).toContain(`${mr.id} (${id}, polecat/nux → main): queued: in review`);
    const convoy = r.gtJson<{ tracked: { id: string; request?: { id: string; status: string } }[] }[]>('convoy', 'status')[0]!;
    expect(convoy.tracked[0]!.request).toEqual({ id: mr.id, status: 'queued' });
  });

  it('a second gt done for the same bead supersedes the first request', () => {
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    const first = mrOf(id);
    commit('nux', { 'a.txt': 'a, better\n' });
    expect(gtIn(sandbox('nux'), 'done')).toContain(`supersedes ${first.id}`);
    const all = mrs();
    expect(all).toHaveLength(2);
    const second = all.find((m) => m.id !== first.id)!;
    expect(all.find((m) => m.id === first.id)).toMatchObject({ status: 'rejected', superseded_by: second.id });
    expect(second).toMatchObject({ status: 'queued', supersedes: first.id });
    expect(r.gtJson<Mr[]>('mq', 'list').map((m) => m.id)).toEqual([second.id]);
    refinery();
    expect(mrs().filter((m) => m.status === 'merged').map((m) => m.id)).toEqual([second.id]);
    expect(r.git('show', 'main:a.txt')).toBe('a, better\n');
  });
});

describe('gt refinery run', () => {
  it('merges a request: target moved, bead closed "Merged in", convoy landed with the commit in its mail, branch moved forward', () => {
    r.gtOk('config', 'set', 'refinery.test_command', 'test -f a.txt');
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    const mr = mrOf(id);
    const before = mainTip();
    const actions = refinery();
    expect(actions.map((a) => a.kind)).toEqual(['merged', 'landed', 'branch']);
    const merged = mrOf(id);
    expect(merged.status).toBe('merged');
    expect(merged.merge_commit).toBe(mainTip());
    expect(r.git('rev-parse', `${mainTip()}^1`).trim()).toBe(before);
    expect(r.git('rev-parse', `${mainTip()}^2`).trim()).toBe(mr.commit);
    expect(bead(id)).toMatchObject({ status: 'closed', close_reason: `Merged in ${mr.id}`, labels: [] });
    // The bead closed and the convoy landed in one ledger commit.
    const subject = r.git('log', '-1', '--format=%s', 'gt/ledger').trim();
    expect(subject).toContain(`refinery: merged ${mr.id} (${id}) into main`);
    expect(subject).toContain('landed');
    const mail = r.gtJson<{ subject: string; body: string }[]>('mail', 'inbox').find((m) => m.subject.startsWith('🚚 Convoy landed'))!;
    expect(mail.body).toContain(`Merged commits:\n- ${mainTip()} polecat/nux into main (${mr.id}, ${id})`);
    // The main checkout (clean, at the old tip) followed, as updateInstead would; so did the sandbox's branch.
    expect(existsSync(join(r.dir, 'a.txt'))).toBe(true);
    expect(r.git('status', '--porcelain').trim()).toBe('');
    expect(r.git('rev-parse', 'polecat/nux').trim()).toBe(mainTip());
    expect(refinery()).toEqual([]);
  });

  it('a conflicting pair: the first merges, the second gets a conflict bead slung back to its polecat; resolving it merges both beads', () => {
    const a = work('nux', 'Edit README one way', { README: 'one way\n' });
    const b = work('slit', 'Edit README another way', { README: 'another way\n' });
    refinery();
    expect(mrOf(a).status).toBe('merged');
    const conflicted = mrOf(b);
    expect(conflicted).toMatchObject({ status: 'conflict', conflict_files: ['README'] });
    const resolver = bead(conflicted.conflict_bead!);
    expect(resolver).toMatchObject({ title: 'Resolve conflict merging polecat/slit into main', status: 'hooked', assignee: 'slit' });
    expect(resolver.description).toContain('- README');
    expect(bead(b).deps).toContainEqual({ type: 'blocks', id: resolver.id });
    expect(bead(b).status).toBe('blocked');
    expect(gtIn(sandbox('slit'), 'prime')).toContain(`${conflicted.id} (${b}, polecat/slit → main): conflict in README`);
    expect(r.git('show', 'main:README')).toBe('one way\n');
    // The polecat resolves: merges main into its branch, fixes the file, commits, gt done.
    const dir = sandbox('slit');
    expect(() => execIn(dir, 'merge', '-q', 'main')).toThrow();
    writeFileSync(join(dir, 'README'), 'both ways\n');
    execIn(dir, 'commit', '-q', '-am', 'resolve');
    gtIn(dir, 'done');
    refinery();
    expect(mrOf(resolver.id).status).toBe('merged');
    expect(mrOf(b).status).toBe('merged');
    expect(bead(b)).toMatchObject({ status: 'closed' });
    expect(bead(resolver.id)).toMatchObject({ status: 'closed' });
    expect(r.git('show', 'main:README')).toBe('both ways\n');
  });

  it('failing tests: request failed with the tail, bead back on its agent with the tail in its notes; one escalation after max_attempts', () => {
    r.gtOk('config', 'set', 'refinery.test_command', 'echo checking; if [ -f bad ]; then echo "bad file found"; exit 1; fi');
    r.gtOk('config', 'set', 'refinery.max_attempts', '2');
    const id = work('nux', 'Break things', { bad: 'x\n' });
    const before = mainTip();
    const actions = refinery();
    expect(actions.map((a) => a.kind)).toEqual(['failed']);
    expect(mainTip()).toBe(before);
    const mr = mrOf(id);
    expect(mr.status).toBe('failed');
    expect(mr.test_tail).toBe('checking\nbad file found');
    expect(bead(id)).toMatchObject({ status: 'hooked', assignee: 'nux', labels: [] });
    expect(bead(id).notes).toContain('bad file found');
    expect(gtIn(sandbox('nux'), 'prime')).toContain(`${mr.id} (${id}, polecat/nux → main): failed`);
    // Still broken: the second attempt reaches max_attempts and mails the overseer, once.
    commit('nux', { other: 'y\n' });
    gtIn(sandbox('nux'), 'done');
    expect(refinery().map((a) => a.kind)).toEqual(['failed', 'escalated']);
    commit('nux', { third: 'z\n' });
    gtIn(sandbox('nux'), 'done');
    expect(refinery().map((a) => a.kind)).toEqual(['failed']);
    const escalations = r.gtJson<{ from: string; subject: string }[]>('mail', 'inbox').filter((m) => m.from === 'refinery');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.subject).toContain(`Merge of ${id} failed 2 times`);
    // Fixed: it merges.
    execIn(sandbox('nux'), 'rm', '-q', 'bad');
    execIn(sandbox('nux'), 'commit', '-q', '-m', 'fix');
    gtIn(sandbox('nux'), 'done');
    expect(refinery().map((a) => a.kind)).toContain('merged');
    expect(bead(id).status).toBe('closed');
  });

  it('a batch of 3 with one bad request: tested together once, then bisected; the two good ones merge', () => {
    r.gtOk('config', 'set', 'refinery.test_command', 'test ! -f bad');
    const good1 = work('nux', 'Good one', { one: '1\n' });
    const bad = work('slit', 'Bad one', { bad: 'x\n' });
    const good2 = work('rictus', 'Good two', { two: '2\n' });
    const actions = refinery();
    expect(actions[0]!.line).toContain('failed together');
    expect(mrOf(good1).status).toBe('merged');
    expect(mrOf(good2).status).toBe('merged');
    expect(mrOf(bad).status).toBe('failed');
    expect(mainFiles()).toEqual(expect.arrayContaining(['one', 'two']));
    expect(mainFiles()).not.toContain('bad');
    expect(bead(bad)).toMatchObject({ status: 'hooked', assignee: 'slit' });
  });

  it('a batch that passes is one merge run: every request merged, the target moved once', () => {
    const ids = [work('nux', 'One', { one: '1\n' }), work('slit', 'Two', { two: '2\n' })];
    const before = mainTip();
    refinery();
    for (const id of ids) expect(mrOf(id).status).toBe('merged');
    const moves = r.git('reflog', 'show', '--format=%gs', 'refs/heads/main').split('\n').filter((l) => l.startsWith('refinery:'));
    expect(moves).toHaveLength(1);
    expect(r.git('rev-list', '--count', `${before}..main`, '--first-parent').trim()).toBe('2');
  });

  it('target checked out with uncommitted changes: the request waits, saying why; once clean, it merges', () => {
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    writeFileSync(join(r.dir, 'README'), 'local edit\n');
    const before = mainTip();
    expect(refinery().map((a) => a.kind)).toEqual(['waiting']);
    expect(mainTip()).toBe(before);
    const mr = mrOf(id);
    expect(mr.status).toBe('queued');
    expect(mr.waiting).toContain(`main is checked out in ${r.dir} with uncommitted changes`);
    expect(r.gtOk('mq', 'list')).toContain('waiting: main is checked out');
    expect(readFileSync(join(r.dir, 'README'), 'utf8')).toBe('local edit\n');
    r.git('checkout', '--', 'README');
    refinery();
    expect(mrOf(id)).toMatchObject({ status: 'merged', attempts: '1' });
    expect(existsSync(join(r.dir, 'a.txt'))).toBe(true);
  });

  it('killed during the tests (SIGKILL): the target is unchanged, and a rerun resumes and merges', async () => {
    const marks = join(dirname(r.dir), 'marks');
    r.gtOk('config', 'set', 'refinery.test_command', `echo $$ > ${marks}.pid; touch ${marks}.started; while [ ! -f ${marks}.release ]; do sleep 0.05; done`);
    groups.push(`${marks}.pid`);
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    const before = mainTip();
    const child = spawnGt(['refinery', 'run', '--once'], r.dir, r.env);
    children.push(child);
    await until('the test command to start', () => existsSync(`${marks}.started`));
    child.kill('SIGKILL');
    await until('the refinery to die', () => child.exitCode !== null || child.signalCode !== null);
    killSessions([Number(readFileSync(`${marks}.pid`, 'utf8').trim())]);
    ageStateLocks(r.dir);
    expect(mainTip()).toBe(before);
    expect(mrOf(id).status).toBe('merging');
    writeFileSync(`${marks}.release`, '');
    const actions = refinery();
    expect(actions.map((a) => a.kind)).toEqual(['resumed', 'merged', 'landed', 'branch']);
    expect(mrOf(id)).toMatchObject({ status: 'merged', attempts: '1' });
    expect(mainTip()).not.toBe(before);
    expect(bead(id).status).toBe('closed');
  });

  it('killed after the target moved and before the merge was recorded: a restarted refinery records it merged and merges nothing twice', async () => {
    // A remote whose post-receive hook holds the push: the target has moved, the refinery has not heard back.
    const remote = join(dirname(r.dir), 'remote.git');
    r.git('clone', '-q', '--bare', r.dir, remote);
    r.git('remote', 'add', 'origin', remote);
    r.gtOk('config', 'set', 'refinery.remote', 'origin');
    const hold = join(dirname(r.dir), 'hold');
    writeFileSync(join(remote, 'hooks', 'post-receive'), `#!/bin/sh\ntouch ${hold}.moved\nwhile [ ! -f ${hold}.release ]; do sleep 0.05; done\n`, { mode: 0o755 });
    const remoteTip = (): string => r.git('--git-dir', remote, 'rev-parse', 'main').trim();
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    const before = remoteTip();
    const child = spawnGt(['refinery', 'run', '--once'], r.dir, r.env);
    children.push(child);
    try {
      await until('the push to move the remote target', () => existsSync(`${hold}.moved`));
      child.kill('SIGKILL');
      await until('the refinery to die', () => child.exitCode !== null || child.signalCode !== null);
    } finally {
      writeFileSync(`${hold}.release`, '');
    }
    ageStateLocks(r.dir);
    const moved = remoteTip();
    expect(moved).not.toBe(before);
    const interrupted = mrOf(id);
    expect(interrupted).toMatchObject({ status: 'merging', merge_commit: moved });
    expect(bead(id).status).toBe('blocked');
    const actions = refinery();
    expect(actions.find((a) => a.kind === 'merged')!.line).toContain(`${interrupted.id} was merged into main at ${moved.slice(0, 12)} before its run was interrupted`);
    expect(actions.map((a) => a.kind)).not.toContain('resumed');
    expect(mrOf(id)).toMatchObject({ status: 'merged', merge_commit: moved, attempts: '1' });
    expect(bead(id)).toMatchObject({ status: 'closed', close_reason: `Merged in ${interrupted.id}` });
    expect(remoteTip()).toBe(moved);
    expect(r.git('--git-dir', remote, 'rev-list', '--merges', '--count', 'main').trim()).toBe('1');
  });

  it('refinery.batch_max 1: queued requests are merged and tested one by one', () => {
    const runs = join(dirname(r.dir), 'test-runs');
    r.gtOk('config', 'set', 'refinery.test_command', `echo run >> ${runs}`);
    expect(runGt(['config', 'set', 'refinery.batch_max', '0'], r.dir, r.env).status).toBe(2);
    r.gtOk('config', 'set', 'refinery.batch_max', '1');
    const ids = [work('nux', 'One', { one: '1\n' }), work('slit', 'Two', { two: '2\n' }), work('rictus', 'Three', { three: '3\n' })];
    const actions = refinery();
    expect(actions.filter((a) => a.kind === 'merged')).toHaveLength(3);
    expect(actions.filter((a) => a.line.includes('batch'))).toEqual([]);
    for (const id of ids) expect(mrOf(id).status).toBe('merged');
    expect(new Set(ids.map((id) => mrOf(id).merge_commit)).size).toBe(3);
    expect(readFileSync(runs, 'utf8')).toBe('run\nrun\nrun\n');
    const moves = r.git('reflog', 'show', '--format=%gs', 'refs/heads/main').split('\n').filter((l) => l.startsWith('refinery:'));
    expect(moves).toHaveLength(3);
  });

  it('target checked out in a linked worktree: updated with it when clean, the request waiting while it has changes', () => {
    const other = join(dirname(r.dir), 'main-checkout');
    r.git('checkout', '-q', '--detach');
    r.git('worktree', 'add', '-q', other, 'main');
    const a = work('nux', 'Add a', { 'a.txt': 'a\n' });
    refinery();
    expect(mrOf(a).status).toBe('merged');
    expect(r.git('-C', other, 'rev-parse', 'HEAD').trim()).toBe(mainTip());
    expect(readFileSync(join(other, 'a.txt'), 'utf8')).toBe('a\n');
    expect(r.git('-C', other, 'status', '--porcelain').trim()).toBe('');
    writeFileSync(join(other, 'README'), 'edited there\n');
    const b = work('slit', 'Add b', { 'b.txt': 'b\n' });
    const before = mainTip();
    expect(refinery().map((x) => x.kind)).toEqual(['waiting']);
    expect(mainTip()).toBe(before);
    expect(mrOf(b)).toMatchObject({ status: 'queued' });
    expect(mrOf(b).waiting).toContain(`main is checked out in ${other} with uncommitted changes`);
    expect(readFileSync(join(other, 'README'), 'utf8')).toBe('edited there\n');
    r.git('-C', other, 'checkout', '--', 'README');
    refinery();
    expect(mrOf(b).status).toBe('merged');
    expect(existsSync(join(other, 'b.txt'))).toBe(true);
  });

  it('takes the queue by priority, then convoy age, then request age: the merge commits on main are in that order', () => {
    // B's convoy is the oldest, A's request the oldest, C the most urgent (P0) and the last submitted.
    const b = create('B, older convoy');
    r.gtOk('sling', b, 'slit', '--create-agent');
    const a = create('A, first request');
    r.gtOk('sling', a, 'nux', '--create-agent');
    commit('nux', { a: 'a\n' });
    gtIn(sandbox('nux'), 'done');
    commit('slit', { b: 'b\n' });
    gtIn(sandbox('slit'), 'done');
    const c = r.gtJson<{ id: string }>('create', 'C, urgent', '-p', '0').id;
    r.gtOk('sling', c, 'rictus', '--create-agent');
    commit('rictus', { c: 'c\n' });
    gtIn(sandbox('rictus'), 'done');
    expect(r.gtJson<Mr[]>('mq', 'list').map((m) => m.bead)).toEqual([c, b, a]);
    const before = mainTip();
    refinery();
    const merged = r.git('log', '--reverse', '--first-parent', '--format=%s', `${before}..main`).trim().split('\n');
    expect(merged.map((subject) => /: (gt-\w+) /.exec(subject)![1])).toEqual([c, b, a]);
  });

  it('two refineries at once merge each request once', async () => {
    const ids = [work('nux', 'One', { one: '1\n' }), work('slit', 'Two', { two: '2\n' }), work('rictus', 'Three', { three: '3\n' })];
    const before = mainTip();
    const runs = [spawnGt(['refinery', 'run', '--once'], r.dir, r.env), spawnGt(['refinery', 'run', '--once'], r.dir, r.env)];
    children.push(...runs);
    await until('both refineries to finish', () => runs.every((c) => c.exitCode !== null));
    expect(runs.map((c) => c.exitCode)).toEqual([0, 0]);
    for (const id of ids) {
      const mr = mrOf(id);
      expect(mr.status).toBe('merged');
      expect(mr.log!.filter((l) => l.includes(' merging '))).toHaveLength(1);
    }
    const merges = r.git('log', '--format=%s', '--merges', `${before}..main`).split('\n').filter((s) => s !== '');
    expect(merges).toHaveLength(3);
    expect(new Set(merges).size).toBe(3);
  });

  it('gt mq reject hands a bead in review back; gt mq retry queues a failed request again', () => {
    r.gtOk('config', 'set', 'refinery.test_command', 'test ! -f bad');
    const id = work('nux', 'Bad', { bad: 'x\n' });
    const mr = mrOf(id);
    expect(r.gtOk('mq', 'reject', mr.id, '--reason', 'not wanted')).toContain(`${id} back on nux's hook`);
    expect(bead(id)).toMatchObject({ status: 'hooked', assignee: 'nux' });
    expect(bead(id).notes).toContain(`${mr.id} was rejected: not wanted`);
    expect(refinery()).toEqual([]);
    r.gtOk('mq', 'retry', mr.id);
    expect(mrOf(id).status).toBe('queued');
    refinery();
    expect(mrOf(id).status).toBe('failed');
    const shown = r.gtOk('mq', 'show', mr.id);
    expect(shown).toContain('rejected by overseer: not wanted');
    expect(shown).toContain('retried by overseer');
  });

  it('refinery.strategy rebase: the branch is replayed onto the target, which moves without a merge commit', () => {
    r.gtOk('config', 'set', 'refinery.strategy', 'rebase');
    writeFileSync(join(r.dir, 'base'), 'b\n');
    r.git('add', 'base');
    r.git('commit', '-q', '-m', 'base moves on');
    const dir = sandboxOf('nux');
    r.git('worktree', 'add', '-q', '-b', 'polecat/nux', dir, 'main~1');
    const id = create('Add a');
    r.gtOk('sling', id, 'nux', '--create-agent');
    commit('nux', { 'a.txt': 'a\n' }, 'add a');
    gtIn(dir, 'done');
    const before = mainTip();
    refinery();
    const mr = mrOf(id);
    expect(mr.status).toBe('merged');
    expect(mr.merge_commit).toBe(mainTip());
    expect(r.git('rev-parse', 'main~1').trim()).toBe(before);
    expect(r.git('log', '-1', '--format=%s', 'main').trim()).toBe('add a');
    expect(r.git('rev-list', '--merges', '--count', 'main').trim()).toBe('0');
  });

  it('refinery.remote: the merge is pushed to the remote target, the local branch stays', () => {
    const remote = join(dirname(r.dir), 'remote.git');
    r.git('clone', '-q', '--bare', r.dir, remote);
    r.git('remote', 'add', 'origin', remote);
    r.gtOk('config', 'set', 'refinery.remote', 'origin');
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    const before = mainTip();
    refinery();
    const mr = mrOf(id);
    expect(mr.status).toBe('merged');
    const remoteTip = r.git('--git-dir', remote, 'rev-parse', 'main').trim();
    expect(mr.merge_commit).toBe(remoteTip);
    expect(r.git('--git-dir', remote, 'rev-parse', `${remoteTip}^1`).trim()).toBe(before);
    expect(mainTip()).toBe(before);
  });

  it('refinery.test_timeout: tests that run too long fail the request, saying so', () => {
    const marks = join(dirname(r.dir), 'hang');
    groups.push(`${marks}.pid`);
    r.gtOk('config', 'set', 'refinery.test_command', `echo $$ > ${marks}.pid; echo started; while [ ! -f ${marks}.never ]; do sleep 0.05; done`);
    r.gtOk('config', 'set', 'refinery.test_timeout', '1s');
    const id = work('nux', 'Slow', { 'a.txt': 'a\n' });
    const actions = refinery();
    expect(actions.map((a) => a.kind)).toEqual(['failed']);
    expect(actions[0]!.line).toContain('the tests timed out after 1 s');
    expect(mrOf(id)).toMatchObject({ status: 'failed', test_tail: 'started' });
  });

  it('gt watch runs the refinery when refinery.target is set', async () => {
    const watch = spawnGt(['watch'], r.dir, r.env);
    children.push(watch);
    let output = '';
    watch.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('gt watch to start', () => output.includes('watching'));
    const id = work('nux', 'Add a', { 'a.txt': 'a\n' });
    await until('the watch to merge the request', () => mrOf(id).status === 'merged');
    await until('the merge to be printed', () => output.includes(`merged ${mrOf(id).id}`));
    watch.kill('SIGTERM');
    await until('gt watch to stop', () => watch.exitCode !== null);
    expect(watch.exitCode).toBe(0);
    expect(bead(id).status).toBe('closed');
  });

  it('a Closes: commit on the polecat branch (git hook or observer) does not close the bead: its merge does, "Merged in"', () => {
    r.gtOk('hooks', 'install');
    const id = create('Add a');
    r.gtOk('sling', id, 'nux', '--create-agent');
    commit('nux', { 'a.txt': 'a\n' }, `Add a\n\nCloses: ${id}`);
    r.gtOk('observe');
    expect(bead(id).status).toBe('hooked');
    expect(bead(id).close_reason).toBeUndefined();
    gtIn(sandbox('nux'), 'done');
    const mr = mrOf(id);
    refinery();
    r.gtOk('observe');
    expect(bead(id)).toMatchObject({ status: 'closed', close_reason: `Merged in ${mr.id}` });
  });

  it('gt mq retry of a conflict that went away merges it and closes its resolution bead', () => {
    const a = work('nux', 'Edit README one way', { README: 'one way\n' });
    const b = work('slit', 'Edit README another way', { README: 'another way\n' });
    refinery();
    const conflicted = mrOf(b);
    expect(conflicted.status).toBe('conflict');
    expect(mrOf(a).status).toBe('merged');
    // The overseer takes the first change back on main; the second now merges cleanly.
    r.git('revert', '--no-edit', '-m', '1', 'main');
    r.gtOk('mq', 'retry', conflicted.id);
    refinery();
    expect(mrOf(b).status).toBe('merged');
    expect(bead(b).status).toBe('closed');
    expect(bead(conflicted.conflict_bead!)).toMatchObject({ status: 'closed', close_reason: `Merged in ${conflicted.id}` });
    expect(r.gtJson<{ name: string; state: string }[]>('agents').find((x) => x.name === 'slit')!.state).toBe('idle');
  });
});
