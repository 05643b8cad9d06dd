/**
 * Commits on code branches that name beads (`Closes: gt-4f2a`), found by the observer itself, so that
 * `gt watch` alone does what the post-commit hook does. Code branches are the local ones and the
 * remote-tracking ones (what `git fetch` or `git pull` brought from another clone), as far as the
 * `observer.branches` setting watches them. Only commits that arrived since the last pass are read:
 * reachable from a moved (or new) watched tip and from none of the watched tips the last pass saw.
 */
import type { Ledger } from '../ledger/ledger.js';
import { commitsSince, type CommitInfo } from '../git/git-command.js';
import { remoteNames } from '../git/remote.js';
import { recordCommits, type CloseRule } from '../beads/commit-record.js';
import { closeRuleOf } from '../work/merge-queue.js';
import { parseBeadReferences } from '../beads/trailers.js';
import { resolveSettings } from '../settings/settings-service.js';
import { refPatternMatches } from '../settings/registry.js';

const HEADS = 'refs/heads/';
const REMOTES = 'refs/remotes/';
/** gt's own branches (the ledger, agent branches) are not code, here or on a remote. */
const GT_BRANCHES = 'gt/';

function cwdOf(ledger: Ledger): string {
  return ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
}

/** `refs/remotes/<remote>/<branch>` split by the remote names git knows (a remote's name may hold a slash). */
function onRemote(ref: string, remotes: readonly string[]): { remote: string; branch: string } | undefined {
  const rest = ref.slice(REMOTES.length);
  const remote = remotes.filter((r) => rest.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  return remote === undefined ? undefined : { remote, branch: rest.slice(remote.length + 1) };
}

/**
 * Every code branch and its tip, watched or not: local branches, and remote-tracking branches of
 * the remotes git knows (their symbolic HEAD is only an alias of one of them).
 */
export function codeBranches(ledger: Ledger): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ref, oid] of ledger.repo.refs.list(HEADS)) if (!ref.slice(HEADS.length).startsWith(GT_BRANCHES)) out.set(ref, oid);
  const tracking = ledger.repo.refs.list(REMOTES);
  if (tracking.size === 0) return out;
  const remotes = remoteNames(cwdOf(ledger));
  for (const [ref, oid] of tracking) {
    const branch = onRemote(ref, remotes)?.branch;
    if (branch !== undefined && branch !== 'HEAD' && !branch.startsWith(GT_BRANCHES)) out.set(ref, oid);
  }
  return out;
}

/** The `observer.branches` patterns in effect (a bad value falls through to the next source, as `gt config list` shows). */
export async function watchedPatterns(ledger: Ledger): Promise<string[]> {
  const row = resolveSettings((await ledger.view()).config, { gitDir: ledger.repo.paths.gitDir }).find((s) => s.key === 'observer.branches');
  return Array.isArray(row?.value) ? row.value : [];
}

export function isWatched(ref: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => refPatternMatches(pattern, ref));
}

/**
 * The branch a ref's commits are recorded as being on: a remote-tracking branch by its name on the
 * remote (`origin/main` is main), so that the record a clone makes of a fetched commit is the very
 * record the clone that made it wrote, and both merge into one.
 */
function branchLabel(ref: string, remotes: () => readonly string[]): string {
  if (ref.startsWith(HEADS)) return ref.slice(HEADS.length);
  return onRemote(ref, remotes())?.branch ?? ref.slice(REMOTES.length);
}

/** Every commit since the last pass, however many (a pull of 250 `Closes:` commits records 250). */
function newCommits(cwd: string, tip: string, known: readonly string[]): CommitInfo[] {
  try {
    return commitsSince(cwd, tip, known);
  } catch {
    // An old tip is gone (gc after a force-push): read nothing rather than the branch's whole history.
    return [];
  }
}

/**
 * Records the new bead-naming commits of every moved watched branch; returns one line per thing done.
 * `seen` holds the tips of the last pass (watched or not); only the watched ones bound what is new, so
 * that commits fetched while remote-tracking branches were not watched count once merged locally.
 */
export async function recordBranchCommits(ledger: Ledger, seen: Readonly<Record<string, string>>, tips: ReadonlyMap<string, string>, patterns: readonly string[]): Promise<string[]> {
  const cwd = cwdOf(ledger);
  const lines: string[] = [];
  const known = [...new Set(Object.entries(seen).filter(([ref]) => isWatched(ref, patterns)).map(([, oid]) => oid))];
  // Without anything seen before, there is no "since": the first pass only remembers where branches are.
  if (known.length === 0) return lines;
  let rule: CloseRule | undefined;
  let remotes: string[] | undefined;
  const listRemotes = (): string[] => (remotes ??= remoteNames(cwd));
  // main and origin/main after a pull: the commits are read once, and recorded once per branch name.
  const byTip = new Map<string, CommitInfo[]>();
  const done = new Set<string>();
  for (const [ref, tip] of [...tips].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (seen[ref] === tip || !isWatched(ref, patterns)) continue;
    const label = branchLabel(ref, listRemotes);
    if (done.has(`${label}\0${tip}`)) continue;
    done.add(`${label}\0${tip}`);
    let commits = byTip.get(tip);
    if (!commits) byTip.set(tip, (commits = newCommits(cwd, tip, known).filter((c) => parseBeadReferences(c.message).length > 0)));
    if (commits.length === 0) continue;
    rule ??= await closeRuleOf(ledger);
    const outcome = await recordCommits(ledger, label, commits, [], rule);
    lines.push(...outcome.lines);
  }
  return lines;
}
