/**
 * Checkouts of a branch gt is about to move. gt never touches a working tree on its own account, but a
 * branch it writes (the ledger, an agent branch) may be checked out somewhere: moving the ref alone
 * would leave that checkout stale, and the next native `git commit -a` there would undo what gt wrote.
 * So gt behaves like git's `receive.denyCurrentBranch=updateInstead`: a clean checkout at the old tip
 * is brought to the new tip along with the ref; any other is refused, and nothing is written.
 *
 * Finding checkouts reads HEAD files only (the main worktree's and `worktrees/<name>/HEAD`): in the
 * common case, where nothing gt writes is checked out, no process is started.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { GtError } from '../errors.js';

export interface Checkout {
  /** Top of the working tree. */
  workTree: string;
  /** Its private git dir (the common dir for the main worktree). */
  gitDir: string;
}

/** A branch gt wanted to move is checked out with changes (or cannot be updated): nothing was written. */
export class CheckoutBusyError extends GtError {
  constructor(
    readonly ref: string,
    readonly workTree: string,
    why: string,
  ) {
    const branch = ref.replace(/^refs\/heads\//, '');
    super(
      `${branch} is checked out in ${workTree} ${why}; nothing was written`,
      `commit or stash your changes there (git -C ${workTree} stash), or check out another branch there (git -C ${workTree} switch <branch>)`,
    );
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function symbolicTarget(headFile: string): string | undefined {
  const text = readText(headFile);
  const match = text === undefined ? null : /^ref:\s*(\S+)\s*$/.exec(text.trim());
  return match?.[1];
}

/** The main worktree of a repository, or null when it has none (a bare repository). */
export function mainWorkTree(commonDir: string): string | null {
  const config = readText(join(commonDir, 'config')) ?? '';
  if (/^\s*bare\s*=\s*true\s*$/im.test(config)) return null;
  const configured = /^\s*worktree\s*=\s*(.+?)\s*$/im.exec(config)?.[1];
  if (configured) return isAbsolute(configured) ? configured : resolve(commonDir, configured);
  return basename(commonDir) === '.git' ? dirname(commonDir) : null;
}

/** Every worktree whose HEAD is the symbolic ref `ref` (e.g. `refs/heads/gt/ledger`). */
export function checkoutsOf(commonDir: string, ref: string): Checkout[] {
  const found: Checkout[] = [];
  if (symbolicTarget(join(commonDir, 'HEAD')) === ref) {
    const workTree = mainWorkTree(commonDir);
    if (workTree) found.push({ workTree, gitDir: commonDir });
  }
  let names: string[];
  try {
    names = readdirSync(join(commonDir, 'worktrees'));
  } catch {
    return found;
  }
  for (const name of names) {
    const gitDir = join(commonDir, 'worktrees', name);
    if (symbolicTarget(join(gitDir, 'HEAD')) !== ref) continue;
    const link = readText(join(gitDir, 'gitdir'))?.trim();
    // A worktree whose folder is gone (prunable) has no files to leave stale.
    if (!link || readText(link) === undefined) continue;
    found.push({ workTree: dirname(isAbsolute(link) ? link : resolve(gitDir, link)), gitDir });
  }
  return found;
}

/** git run inside one checkout, blind to any GIT_DIR / GIT_INDEX_FILE gt itself was started with (hooks). */
function gitIn(checkout: Checkout, args: string[]): { ok: boolean; output: string; missing?: boolean } {
  const env = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX']) delete env[key];
  const result = spawnSync('git', ['-C', checkout.workTree, ...args], { encoding: 'utf8', env });
  if (result.error) return { ok: false, output: result.error.message, missing: true };
  return { ok: result.status === 0, output: `${result.stderr ?? ''}${result.stdout ?? ''}`.trim() };
}

/**
 * Brings every checkout of `ref` from `from` to `to`, as `updateInstead` would: each must be clean
 * (index and files equal to `from`); then `git read-tree -u -m from to` moves its index and files.
 * Runs while the caller holds `<ref>.lock`, before the ref moves. Throws CheckoutBusyError, having
 * undone what it did, when a checkout cannot follow.
 */
export function updateCheckouts(commonDir: string, ref: string, from: string | null, to: string): void {
  const checkouts = checkoutsOf(commonDir, ref);
  if (checkouts.length === 0) return;
  if (from === null) throw new CheckoutBusyError(ref, checkouts[0]!.workTree, 'on an unborn branch');
  for (const checkout of checkouts) {
    if (gitIn(checkout, ['update-index', '-q', '--ignore-submodules', '--refresh']).missing) {
      throw new CheckoutBusyError(ref, checkout.workTree, 'and no git binary is available to update it');
    }
    const clean =
      gitIn(checkout, ['diff-files', '--quiet', '--ignore-submodules', '--']).ok &&
      gitIn(checkout, ['diff-index', '--quiet', '--cached', '--ignore-submodules', from, '--']).ok;
    if (!clean) throw new CheckoutBusyError(ref, checkout.workTree, 'with uncommitted changes');
  }
  const done: Checkout[] = [];
  for (const checkout of checkouts) {
    const moved = gitIn(checkout, ['read-tree', '-u', '-m', from, to]);
    if (!moved.ok) {
      for (const back of done) gitIn(back, ['read-tree', '-u', '-m', to, from]);
      const reason = moved.output.split('\n')[0] ?? '';
      throw new CheckoutBusyError(ref, checkout.workTree, `and could not be updated (${reason})`);
    }
    done.push(checkout);
  }
}

/** Undoes updateCheckouts when the ref could not be moved after all. */
export function revertCheckouts(commonDir: string, ref: string, from: string | null, to: string): void {
  if (from === null) return;
  for (const checkout of checkoutsOf(commonDir, ref)) gitIn(checkout, ['read-tree', '-u', '-m', to, from]);
}
