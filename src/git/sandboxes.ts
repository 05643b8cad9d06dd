/**
 * Sandboxes: linked worktrees gt makes for polecats (`gt sling --spawn`), each on its own branch.
 * git runs here with the environment of a hook (GIT_DIR and the like) removed, so that a sandbox made
 * from inside a hook is still made in the repository gt was asked about.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX']) delete env[key];
  return env;
}

function git(commonDir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', commonDir, ...args], { encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The commit `ref` names, or undefined when it names none. `HEAD` is the main worktree's HEAD. */
export function resolveCommit(commonDir: string, ref: string): string | undefined {
  try {
    return git(commonDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch {
    return undefined;
  }
}

export function branchExists(commonDir: string, branch: string): boolean {
  return resolveCommit(commonDir, `refs/heads/${branch}`) !== undefined;
}

/**
 * Adds a worktree at `path` on `branch`: a new branch at `base`, or the existing branch as it is.
 * Returns the worktree's private git dir. Throws with git's message when git refuses.
 */
export function addWorktree(commonDir: string, path: string, branch: string, base: string): { gitDir: string; createdBranch: boolean } {
  const createdBranch = !branchExists(commonDir, branch);
  try {
    git(commonDir, ['worktree', 'add', '--quiet', ...(createdBranch ? ['-b', branch, path, base] : [path, branch])]);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new Error(stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? 'git worktree add failed');
  }
  const gitDir = execFileSync('git', ['-C', path, 'rev-parse', '--absolute-git-dir'], { encoding: 'utf8', env: cleanEnv() }).trim();
  return { gitDir, createdBranch };
}

/** Removes a worktree (even with changes) and, when `branch` is given, deletes that branch. */
export function removeWorktree(commonDir: string, path: string, branch?: string): void {
  try {
    if (existsSync(path)) git(commonDir, ['worktree', 'remove', '--force', '--force', path]);
  } finally {
    try {
      git(commonDir, ['worktree', 'prune']);
    } catch {
      // Nothing more to prune.
    }
    if (branch) {
      try {
        git(commonDir, ['branch', '-D', branch]);
      } catch {
        // Already gone.
      }
    }
  }
}
