/**
 * Merges respect what each side has seen (issue 11 §2): state one side merged and then changed again is
 * never re-applied by a later merge of an older branch, whatever happened to the history in between.
 * Real git, real gt: a squash merge and a force-pushed replay leave no ancestry for a three-way merge to
 * go by; the files' `seen`/`writes` (src/ledger/merge/causal.ts) still say who saw what.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ledgerFile, makeTempDir, runGt } from '../helpers/repo.js';
import { bareRemote, cloneOf, gitIn as git, gtIn as gt, gtJsonIn as json } from '../helpers/clones.js';

interface BeadJson {
  id: string;
  title: string;
  status: string;
  labels?: string[];
  close_reason?: string;
  closed_at?: string;
}

let root: string;
beforeEach(() => {
  root = makeTempDir('gt-causal-');
});
afterEach(() => execFileSync('rm', ['-rf', root]));

const bead = (cwd: string, id: string): BeadJson => json<BeadJson[]>(cwd, 'show', id)[0]!;
const isAncestor = (cwd: string, commit: string, of: string): boolean => spawnSync('git', ['merge-base', '--is-ancestor', commit, of], { cwd }).status === 0;

/** A clone of a fresh bare remote with a ledger, one bead, and alice's closure of it on her branch. */
function closedOnAgentBranch(): { repo: string; remote: string; id: string; fork: string } {
  const remote = bareRemote(root);
  const repo = cloneOf(root, remote, 'overseer');
  gt(repo, 'init', '--prefix', 'gt');
  const id = json<BeadJson>(repo, 'create', 'Fix the login page', '-l', 'ui').id;
  const fork = git(repo, 'rev-parse', 'gt/ledger').trim();
  gt(repo, 'update', id, '--claim', '--as', 'alice');
  gt(repo, 'update', id, '--add-label', 'needs-review', '--as', 'alice');
  gt(repo, 'close', id, '--reason', 'fixed in the login form', '--as', 'alice');
  return { repo, remote, id, fork };
}

/** The overseer's state after the reopen: what every later merge of alice's old branch must leave alone. */
function expectOverseersState(cwd: string, id: string): void {
  const b = bead(cwd, id);
  expect(b.status).toBe('open');
  expect(b.close_reason).toBeUndefined();
  expect(b.closed_at).toBeUndefined();
  expect(b.labels).toEqual(['ui']);
}

describe('merges respect what each side has seen', () => {
  it('a bead reopened after a squash merge stays open, and a label removed stays removed, through gt merge and gt observe of the old agent branch', () => {
    const { repo, id } = closedOnAgentBranch();
    const agentTip = git(repo, 'rev-parse', 'gt/agents/alice').trim();

    // The agent's work reaches the ledger by a squash merge: one commit, no ancestry to her branch.
    const wt = join(root, 'ledger-wt');
    git(repo, 'worktree', 'add', '-q', wt, 'gt/ledger');
    git(wt, 'merge', '--squash', 'gt/agents/alice');
    git(wt, 'commit', '-q', '-m', 'squash: alice closes the login bead');
    git(repo, 'worktree', 'remove', wt);
    expect(isAncestor(repo, agentTip, 'gt/ledger')).toBe(false);
    expect(runGt(['check'], repo).status).toBe(0);
    expect(bead(repo, id).status).toBe('closed');

    // The overseer reopens it and takes the label off again.
    gt(repo, 'reopen', id, '--reason', 'still broken on mobile');
    gt(repo, 'update', id, '--remove-label', 'needs-review');
    expectOverseersState(repo, id);
    // alice's branch never moved: it still holds her closure on the old base.
    expect(git(repo, 'rev-parse', 'gt/agents/alice').trim()).toBe(agentTip);

    const observed = join(root, 'observed');
    cpSync(repo, observed, { recursive: true });

    const merged = json<{ agent: string; outcome: string }[]>(repo, 'merge', 'alice');
    expect(merged).toEqual([expect.objectContaining({ agent: 'alice', outcome: 'merged' })]);
    expect(isAncestor(repo, agentTip, 'gt/ledger')).toBe(true);
    expectOverseersState(repo, id);
    expect(runGt(['check'], repo).status).toBe(0);

    gt(observed, 'observe');
    expect(isAncestor(observed, agentTip, 'gt/ledger')).toBe(true);
    expectOverseersState(observed, id);
  });

  it('a bead reopened after its agent branch was merged stays open when the branch is replayed onto an older base and force-pushed', () => {
    const { repo, remote, id, fork } = closedOnAgentBranch();
    const agentCommits = git(repo, 'rev-list', '--reverse', `${fork}..gt/agents/alice`).trim().split('\n');
    git(repo, 'push', '-q', 'origin', 'gt/agents/alice');

    gt(repo, 'merge', 'alice');
    expect(bead(repo, id).status).toBe('closed');
    gt(repo, 'reopen', id);
    gt(repo, 'update', id, '--remove-label', 'needs-review');
    expect(json<{ pushed: boolean }>(repo, 'sync').pushed).toBe(true);
    expectOverseersState(repo, id);

    // The agent's machine replays her commits onto the old base (new ids, same content) and force-pushes.
    const agentMachine = cloneOf(root, remote, 'agent-machine');
    git(agentMachine, 'fetch', '-q', 'origin', 'gt/ledger:refs/remotes/origin/gt/ledger');
    const replay = join(root, 'replay-wt');
    git(agentMachine, 'worktree', 'add', '-q', '--detach', replay, fork);
    for (const commit of agentCommits) {
      execFileSync('git', ['cherry-pick', '--allow-empty', commit], {
        cwd: replay,
        stdio: 'ignore',
        env: { ...process.env, GIT_COMMITTER_DATE: '2030-01-01T00:00:00Z', GIT_COMMITTER_NAME: 'alice', GIT_COMMITTER_EMAIL: 'alice@example.com' },
      });
    }
    const replayed = git(replay, 'rev-parse', 'HEAD').trim();
    expect(replayed).not.toBe(agentCommits.at(-1));
    expect(git(replay, 'rev-parse', 'HEAD^{tree}').trim()).toBe(git(repo, 'rev-parse', `${agentCommits.at(-1)!}^{tree}`).trim());
    git(replay, 'push', '-q', '--force', 'origin', 'HEAD:refs/heads/gt/agents/alice');

    // gt sync brings the replayed branch in and merges it: the bead stays as the overseer left it.
    gt(repo, 'sync');
    expect(isAncestor(repo, replayed, 'gt/ledger')).toBe(true);
    expectOverseersState(repo, id);

    // So does gt merge of the replayed branch in another clone.
    const other = cloneOf(root, remote, 'other');
    gt(other, 'init');
    gt(other, 'merge', 'origin/gt/agents/alice');
    expectOverseersState(other, id);
    expect(runGt(['check'], other).status).toBe(0);
  });

  it('edits that did not see each other still follow the old rules: closed wins, the later title wins', () => {
    const remote = bareRemote(root);
    const repo = cloneOf(root, remote, 'overseer');
    const at = (time: string) => ({ GT_NOW: time });
    const run = (env: Record<string, string>, ...args: string[]) => {
      const r = runGt(args, repo, env);
      if (r.status !== 0) throw new Error(`gt ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    run(at('2030-01-01T00:00:00Z'), 'init', '--prefix', 'gt');
    const id = (JSON.parse(run(at('2030-01-01T00:00:01Z'), 'create', 'Old title', '--json')) as BeadJson).id;
    // alice closes it and renames it on her branch; the overseer, not having seen that, starts it and renames it later.
    run(at('2030-01-01T00:00:02Z'), 'close', id, '--reason', 'done', '--as', 'alice');
    run(at('2030-01-01T00:00:03Z'), 'update', id, '--title', 'Title by alice', '--as', 'alice');
    run(at('2030-01-01T00:00:04Z'), 'update', id, '--status', 'in_progress');
    run(at('2030-01-01T00:00:05Z'), 'update', id, '--title', 'Title by the overseer');
    run(at('2030-01-01T00:00:06Z'), 'merge', 'alice');
    const b = bead(repo, id);
    expect(b.status).toBe('closed');
    expect(b.close_reason).toBe('done');
    expect(b.title).toBe('Title by the overseer');
    // The merged file records both writes of each concurrent field.
    const file = git(repo, 'show', `gt/ledger:${ledgerFile('beads', id)}`);
    expect(file).toMatch(/^ {2}status: alice\.[a-z0-9]+@\d+ overseer\.[a-z0-9]+@\d+$/m);
    expect(runGt(['check'], repo).status).toBe(0);
  });

  it('gt check accepts the write bookkeeping and names a malformed entry in one line with its place', () => {
    const { repo, id } = closedOnAgentBranch();
    gt(repo, 'merge', 'alice');
    expect(gt(repo, 'check')).toMatch(/is clean/);
    const wt = join(root, 'pr');
    git(repo, 'worktree', 'add', '-q', '--detach', wt, 'gt/ledger');
    const path = join(wt, ledgerFile('beads', id));
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^seen:\n/m);
    // A write newer than what the file says it has seen.
    const broken = text.replace(/^( {2}status: alice\.[a-z0-9]+@)(\d+)$/m, (_m, head: string, counter: string) => `${head}${Number(counter) + 1}`);
    expect(broken).not.toBe(text);
    writeFileSync(path, broken);
    git(wt, 'commit', '-qam', 'hand edit');
    const result = runGt(['check'], wt);
    expect(result.status).toBe(1);
    const line = broken.split('\n').findIndex((l) => l.startsWith('  status: alice.')) + 1;
    expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${ledgerFile('beads', id).replaceAll('.', '\\.')}:${line}: writes\\.status: alice\\.[a-z0-9]+@\\d+ is newer than what seen records for its writer$`))]);
  });
});
