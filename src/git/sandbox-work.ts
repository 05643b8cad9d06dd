/**
 * What a polecat sandbox holds that removing it would lose, saving that to a rescue ref, and taking
 * the sandbox away (`gt polecat stop | remove | gc`). git runs with a hook's GIT_* environment removed,
 * and never in the user's main worktree: the rescue commit is built with a temporary index of its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY']) delete env[key];
  return { ...env, ...extra };
}

function gitErrorText(error: unknown): string {
  const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
  return stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? 'git failed';
}

function run(args: string[], extra: Record<string, string> = {}): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', env: cleanEnv(extra), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(gitErrorText(error));
  }
}

function inCommon(commonDir: string, args: string[]): string {
  return run(['--git-dir', commonDir, ...args]);
}

function tryResolve(commonDir: string, ref: string): string | undefined {
  try {
    return inCommon(commonDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The main worktree's HEAD as a name (its branch, else `HEAD`) and a commit, or undefined on an unborn HEAD. */
export function mainBase(commonDir: string): { name: string; commit: string } | undefined {
  const commit = tryResolve(commonDir, 'HEAD');
  if (commit === undefined) return undefined;
  let name = 'HEAD';
  try {
    name = inCommon(commonDir, ['symbolic-ref', '--quiet', '--short', 'HEAD']).trim() || 'HEAD';
  } catch {
    // A detached HEAD.
  }
  return { name, commit };
}

/** The tip of `refs/heads/<branch>`, or undefined when there is no such branch. */
export function branchTip(commonDir: string, branch: string): string | undefined {
  return tryResolve(commonDir, `refs/heads/${branch}`);
}

/** `git status --porcelain` of a sandbox, one entry a line (none when the folder is gone). */
export function sandboxChanges(worktree: string): string[] {
  if (!existsSync(worktree)) return [];
  return run(['-C', worktree, 'status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter((l) => l !== '');
}

/** `git log --oneline refs/heads/<branch> --not <bases>`: the branch's commits none of the bases contains (all of them without one). */
export function commitsBeyond(commonDir: string, bases: readonly string[], branch: string): string[] {
  if (branchTip(commonDir, branch) === undefined) return [];
  const known = bases.filter((b) => tryResolve(commonDir, b) !== undefined);
  const range = [`refs/heads/${branch}`, ...(known.length > 0 ? ['--not', ...known] : [])];
  return inCommon(commonDir, ['log', '--oneline', '--no-decorate', ...range, '--'])
    .split('\n')
    .filter((l) => l !== '');
}

/**
 * Saves a sandbox's work at `ref`: a commit of everything in the sandbox (tracked changes and untracked
 * files, as `git add -A` sees them) whose parent is the sandbox's HEAD; when nothing is uncommitted, the
 * branch tip itself. Uses a temporary index: neither the sandbox's index nor any other is touched.
 * An existing ref is never overwritten: `<ref>-2`, `<ref>-3`, … are tried. Returns the ref and commit saved.
 */
export function saveRescue(commonDir: string, worktree: string, branch: string, ref: string, message: string): { ref: string; commit: string } {
  const tip = branchTip(commonDir, branch);
  let commit: string | undefined = tip;
  if (existsSync(worktree) && sandboxChanges(worktree).length > 0) {
    const head = run(['-C', worktree, 'rev-parse', '--verify', 'HEAD^{commit}']).trim();
    const scratch = mkdtempSync(join(tmpdir(), 'gt-rescue-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      run(['-C', worktree, 'read-tree', head], env);
      run(['-C', worktree, 'add', '-A', '--', '.'], env);
      const tree = run(['-C', worktree, 'write-tree'], env).trim();
      commit = run(['-C', worktree, 'commit-tree', tree, '-p', head, '-m', message], {
        GIT_AUTHOR_NAME: 'gt',
        GIT_AUTHOR_EMAIL: 'gt@gt.local',
        GIT_COMMITTER_NAME: 'gt',
        GIT_COMMITTER_EMAIL: 'gt@gt.local',
      }).trim();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (commit === undefined) throw new Error(`nothing to save: ${branch} does not exist and ${worktree} holds no changes`);
  for (let n = 1; ; n++) {
    const name = n === 1 ? ref : `${ref}-${n}`;
    if (tryResolve(commonDir, name) !== undefined) continue;
    // Create only (old value: none), so a ref made meanwhile is not overwritten either.
    inCommon(commonDir, ['update-ref', '-m', message, name, commit, '0'.repeat(commit.length)]);
    return { ref: name, commit };
  }
}

/** The worktree registered at `path` (by git), whether or not its folder still exists. */
function registered(commonDir: string, path: string): boolean {
  return inCommon(commonDir, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .some((l) => l === `worktree ${path}`);
}

/**
 * Removes the sandbox at `path` (even with changes) and deletes `refs/heads/<branch>`. Returns what it
 * removed; throws with git's message when git refuses (e.g. the branch is checked out elsewhere).
 */
export function dropSandbox(commonDir: string, path: string, branch: string): { worktreeRemoved: boolean; branchDeleted: boolean } {
  let worktreeRemoved = false;
  if (existsSync(path) || registered(commonDir, path)) {
    if (existsSync(path)) inCommon(commonDir, ['worktree', 'remove', '--force', '--force', path]);
    worktreeRemoved = true;
  }
  inCommon(commonDir, ['worktree', 'prune']);
  let branchDeleted = false;
  if (branchTip(commonDir, branch) !== undefined) {
    inCommon(commonDir, ['branch', '-D', branch]);
    branchDeleted = true;
  }
  return { worktreeRemoved, branchDeleted };
}

/**
 * Committer times (epoch ms) of a sandbox's HEAD and then of `ref` (a branch shared with the repository),
 * newest commits only, in that order; a ref that names nothing is left out, and one naming HEAD's commit
 * is given once. Empty when the sandbox is gone or git cannot read it.
 */
export function headAndRefTimes(worktree: string, ref: string): number[] {
  if (!existsSync(worktree)) return [];
  try {
    const out = run(['-C', worktree, 'log', '--no-walk=unsorted', '--ignore-missing', '--format=%ct', 'HEAD', ref, '--']);
    return out
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map((line) => Number(line) * 1000);
  } catch {
    return [];
  }
}

export interface WorktreeEntry {
  path: string;
  /** `refs/heads/…` it has checked out; undefined when detached or bare. */
  branch?: string;
  /** git would prune it: its folder is gone (git says why). */
  prunable?: string;
}

/** The repository's worktrees as `git worktree list --porcelain` gives them (the main one first). */
export function worktreeEntries(commonDir: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const line of inCommon(commonDir, ['worktree', 'list', '--porcelain']).split('\n')) {
    if (line.startsWith('worktree ')) entries.push((current = { path: line.slice('worktree '.length) }));
    else if (current && line.startsWith('branch ')) current.branch = line.slice('branch '.length);
    else if (current && (line === 'prunable' || line.startsWith('prunable '))) current.prunable = line.slice('prunable'.length).trim() || 'its folder is gone';
  }
  // git before 2.31 does not say "prunable": a registered folder that is gone is.
  for (const e of entries.slice(1)) if (e.prunable === undefined && !existsSync(e.path)) e.prunable = 'its folder is gone';
  return entries;
}

/** `git worktree prune`: forgets worktrees whose folders are gone (their branches and commits stay). */
export function pruneWorktrees(commonDir: string): void {
  inCommon(commonDir, ['worktree', 'prune']);
}
