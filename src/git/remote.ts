/**
 * What `gt sync` and `gt init` ask of a git remote: which remote the ledger follows, what gt branches
 * it has, fetching them into remote-tracking refs and pushing the ledger. Network work is git's own
 * (any URL, credential helper or SSH setup git accepts works).
 */
import { spawnSync } from 'node:child_process';
import { runGit } from './git-command.js';

/** The remote-tracking ref of `branch` on `remote`. */
export function trackingRef(remote: string, branch: string): string {
  return `refs/remotes/${remote}/${branch}`;
}

export function remoteNames(cwd: string): string[] {
  return runGit(cwd, ['remote']).split('\n').filter(Boolean);
}

/** The remote `branch` follows (`branch.<name>.remote`), if set. */
export function upstreamRemote(cwd: string, branch: string): string | undefined {
  try {
    const value = runGit(cwd, ['config', '--get', `branch.${branch}.remote`], { quiet: true }).trim();
    return value === '' || value === '.' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Makes `branch` follow the same-named branch of `remote` (as `git branch --set-upstream-to` does). */
export function setUpstream(cwd: string, branch: string, remote: string): void {
  runGit(cwd, ['config', `branch.${branch}.remote`, remote]);
  runGit(cwd, ['config', `branch.${branch}.merge`, `refs/heads/${branch}`]);
}

export class RemoteError extends Error {}

function gitNetwork(cwd: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  if (result.error) throw new RemoteError(result.error.message);
  if (result.status !== 0) throw new RemoteError((result.stderr || result.stdout).trim().split('\n').filter(Boolean).pop() ?? `git ${args[0]} failed`);
  return result.stdout;
}

/** The remote's branches under `refs/heads/<prefix>`, by full ref name (one round trip). */
export function remoteBranches(cwd: string, remote: string, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of gitNetwork(cwd, ['ls-remote', '--heads', remote, `refs/heads/${prefix}*`]).split('\n')) {
    const [oid, ref] = line.split('\t');
    if (oid && ref) out.set(ref, oid);
  }
  return out;
}

/**
 * Fetches the given branches of `remote` into its remote-tracking refs (forced: a remote branch that
 * was rewritten is followed), and prunes tracking refs of `prefix` branches the remote no longer has.
 */
export function fetchBranches(cwd: string, remote: string, branches: readonly string[], prefix: string): void {
  const specs = branches.map((ref) => `+${ref}:${trackingRef(remote, ref.slice('refs/heads/'.length))}`);
  if (specs.length > 0) gitNetwork(cwd, ['fetch', '--quiet', '--no-tags', remote, ...specs]);
  // Pruning by hand: `git fetch --prune` with explicit refspecs would prune everything else too.
  const wanted = new Set(branches.map((ref) => trackingRef(remote, ref.slice('refs/heads/'.length))));
  const local = runGit(cwd, ['for-each-ref', '--format=%(refname)', `refs/remotes/${remote}/${prefix}`]).split('\n').filter(Boolean);
  for (const ref of local) if (!wanted.has(ref)) runGit(cwd, ['update-ref', '-d', ref]);
}

/**
 * Pushes `commit` to `branch` on `remote` only if the remote still has `expected` there (null: no such
 * branch), so a push that raced another clone is refused instead of overwriting it. Returns false then.
 */
export function pushIfUnchanged(cwd: string, remote: string, branch: string, commit: string, expected: string | null): boolean {
  const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
  const result = spawnSync('git', ['push', '--quiet', '--porcelain', lease, remote, `${commit}:refs/heads/${branch}`], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  if (result.error) throw new RemoteError(result.error.message);
  if (result.status === 0) return true;
  const said = `${result.stdout}\n${result.stderr}`;
  if (/stale info|rejected|fetch first|non-fast-forward/.test(said)) return false;
  throw new RemoteError(said.trim().split('\n').filter(Boolean).pop() ?? 'git push failed');
}

/** Whether a remote-tracking ref exists for `branch` on any remote; returns the remotes that have one. */
export function remotesTracking(refNames: Iterable<string>, branch: string): string[] {
  const suffix = `/${branch}`;
  const out: string[] = [];
  for (const ref of refNames) {
    if (ref.startsWith('refs/remotes/') && ref.endsWith(suffix)) out.push(ref.slice('refs/remotes/'.length, ref.length - suffix.length));
  }
  return out.sort();
}
