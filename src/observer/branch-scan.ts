/**
 * Commits on code branches that name beads (`Closes: gt-4f2a`), found by the observer itself, so that
 * `gt watch` alone does what the post-commit hook does. Only commits that arrived since the last pass
 * are read: reachable from a moved (or new) branch tip and from none of the tips the last pass saw.
 */
import type { Ledger } from '../ledger/ledger.js';
import { commitsSince, type CommitInfo } from '../git/git-command.js';
import { recordCommits, type CloseRule } from '../beads/commit-record.js';
import { closeRuleOf } from '../work/merge-queue.js';
import { parseBeadReferences } from '../beads/trailers.js';

const BRANCH_PREFIX = 'refs/heads/';
const GT_PREFIX = 'refs/heads/gt/';

/** Code branches and their tips (gt's own branches are not code). */
export function codeBranches(ledger: Ledger): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ref, oid] of ledger.repo.refs.list(BRANCH_PREFIX)) if (!ref.startsWith(GT_PREFIX)) out.set(ref, oid);
  return out;
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

/** Records the new bead-naming commits of every moved branch; returns one line per thing done. */
export async function recordBranchCommits(ledger: Ledger, seen: Readonly<Record<string, string>>, tips: ReadonlyMap<string, string>): Promise<string[]> {
  const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
  const lines: string[] = [];
  const known = [...new Set(Object.values(seen))];
  // Without anything seen before, there is no "since": the first pass only remembers where branches are.
  if (known.length === 0) return lines;
  let rule: CloseRule | undefined;
  for (const [ref, tip] of tips) {
    if (seen[ref] === tip) continue;
    const commits = newCommits(cwd, tip, known).filter((c) => parseBeadReferences(c.message).length > 0);
    if (commits.length === 0) continue;
    rule ??= await closeRuleOf(ledger);
    const outcome = await recordCommits(ledger, ref.slice(BRANCH_PREFIX.length), commits, [], rule);
    lines.push(...outcome.lines);
  }
  return lines;
}
