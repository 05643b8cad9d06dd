/**
 * The refinery's git work: a worktree of its own under the git dir (never a user's checkout), where a
 * branch is merged or rebased onto the target's tip, and the questions the queue asks of history.
 * git runs with a hook's GIT_* environment removed, so it always works on the repository it was given.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY']) delete env[key];
  return env;
}

/**
 * An identity for the refinery's commits where git has none configured (the environment still wins),
 * and no hooks: the refinery's worktree is a build machine's, not a person's checkout (gt's own hooks
 * would record its merges as an agent's commits; the tests run as refinery.test_command instead).
 */
const IDENTITY = ['-c', 'user.name=gt refinery', '-c', 'user.email=refinery@gt.local', '-c', 'core.hooksPath=/dev/null'];

function gitErrorText(error: unknown): string {
  const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
  return stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? 'git failed';
}

function run(args: string[]): string {
  try {
    return execFileSync('git', [...IDENTITY, ...args], { encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim();
  } catch (error) {
    throw new Error(gitErrorText(error));
  }
}

/** git whose failure is an answer, not an error. */
function attempt(args: string[]): { ok: boolean; out: string } {
  const result = spawnSync('git', [...IDENTITY, ...args], { encoding: 'utf8', env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** Where the refinery's worktree lives: inside gt's state dir of the common git dir. */
export function refineryWorktreePath(commonDir: string): string {
  return join(commonDir, 'gt', 'refinery', 'worktree');
}

/**
 * The refinery's worktree, detached at `commit`, clean: a merge or rebase a killed run left half done
 * is abandoned, and files it left are removed. Made (again) when missing or broken.
 */
export function prepareWorktree(commonDir: string, commit: string): string {
  const path = refineryWorktreePath(commonDir);
  const healthy = existsSync(join(path, '.git')) && attempt(['-C', path, 'rev-parse', '--git-dir']).ok;
  if (!healthy) {
    rmSync(path, { recursive: true, force: true });
    attempt(['--git-dir', commonDir, 'worktree', 'prune']);
    run(['--git-dir', commonDir, 'worktree', 'add', '--quiet', '--detach', '--force', path, commit]);
  }
  attempt(['-C', path, 'merge', '--abort']);
  attempt(['-C', path, 'rebase', '--abort']);
  run(['-C', path, 'checkout', '--quiet', '--detach', '--force', commit]);
  run(['-C', path, 'clean', '-q', '-ffdx']);
  return path;
}

export type StepResult = { ok: true; head: string } | { ok: false; files: string[]; message: string };

function conflictFiles(worktree: string): string[] {
  const out = attempt(['-C', worktree, 'diff', '--name-only', '--diff-filter=U']).out;
  return out.split('\n').filter((l) => l !== '').sort();
}

/**
 * Brings `commit` onto the worktree's HEAD: a merge commit with `message` (`merge`), or the commits
 * replayed on top (`rebase`). On a conflict, the work is abandoned and the conflicting files returned.
 */
export function bringOnto(worktree: string, commit: string, strategy: 'merge' | 'rebase', message: string): StepResult {
  if (strategy === 'merge') {
    const merged = attempt(['-C', worktree, 'merge', '--no-ff', '--no-edit', '-m', message, commit]);
    if (merged.ok) return { ok: true, head: run(['-C', worktree, 'rev-parse', 'HEAD']) };
    const files = conflictFiles(worktree);
    attempt(['-C', worktree, 'merge', '--abort']);
    return { ok: false, files, message: merged.out.split('\n').pop() ?? 'git merge failed' };
  }
  const onto = run(['-C', worktree, 'rev-parse', 'HEAD']);
  const base = attempt(['-C', worktree, 'merge-base', onto, commit]);
  const rebased = attempt(['-C', worktree, 'rebase', '--quiet', '--onto', onto, ...(base.ok ? [base.out] : ['--root']), commit]);
  if (rebased.ok) return { ok: true, head: run(['-C', worktree, 'rev-parse', 'HEAD']) };
  const files = conflictFiles(worktree);
  attempt(['-C', worktree, 'rebase', '--abort']);
  run(['-C', worktree, 'checkout', '--quiet', '--detach', '--force', onto]);
  return { ok: false, files, message: rebased.out.split('\n').pop() ?? 'git rebase failed' };
}

/** Whether `ancestor` is in the history of `commit` (itself included). */
export function isAncestor(commonDir: string, ancestor: string, commit: string): boolean {
  return attempt(['--git-dir', commonDir, 'merge-base', '--is-ancestor', ancestor, commit]).ok;
}

/** The branch checked out in a working tree (short name), or undefined on a detached HEAD. */
export function checkedOutBranch(workTree: string): string | undefined {
  const result = attempt(['-C', workTree, 'symbolic-ref', '--quiet', '--short', 'HEAD']);
  return result.ok && result.out !== '' ? result.out : undefined;
}

/** The commit a working tree's HEAD is at, or undefined on an unborn branch. */
export function headCommit(workTree: string): string | undefined {
  const result = attempt(['-C', workTree, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  return result.ok ? result.out : undefined;
}

/** Where the refinery keeps the last fetched tip of the remote target: a private ref, beside no branch. */
const REMOTE_TIP_REF = 'refs/gt/refinery/remote-target';

/** The tip of `branch` on `remote`, fetched (objects and all); undefined when the remote has no such branch. */
export function fetchRemoteTip(commonDir: string, remote: string, branch: string): string | undefined {
  const listed = run(['--git-dir', commonDir, 'ls-remote', '--heads', remote, `refs/heads/${branch}`]);
  if (listed === '') return undefined;
  run(['--git-dir', commonDir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote, `+refs/heads/${branch}:${REMOTE_TIP_REF}`]);
  return run(['--git-dir', commonDir, 'rev-parse', `${REMOTE_TIP_REF}^{commit}`]);
}

/**
 * Pushes `next` to `branch` on `remote` only if the remote still has `expected` there (a lease: the
 * remote's compare-and-swap). Returns false when the remote moved meanwhile; throws on other failures.
 */
export function pushWithLease(worktree: string, remote: string, branch: string, expected: string, next: string): boolean {
  const pushed = attempt(['-C', worktree, 'push', '--quiet', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected}`, remote, `${next}:refs/heads/${branch}`]);
  if (pushed.ok) return true;
  if (/stale info|rejected/.test(pushed.out)) return false;
  throw new Error(pushed.out.split('\n').filter((l) => l.trim() !== '').pop() ?? 'git push failed');
}
