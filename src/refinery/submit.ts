/**
 * `gt done` with a refinery (refinery.target set): the agent's checked-out branch, committed, is
 * submitted as a merge request for each bead on its hook.
 */
import type { Ledger } from '../ledger/ledger.js';
import { RuleError } from '../errors.js';
import { checkedOutBranch, headCommit } from '../git/merge-work.js';
import { sandboxChanges } from '../git/sandbox-work.js';
import { submitWork, type SubmitResult } from '../work/merge-queue.js';

export interface Submission extends SubmitResult {
  branch: string;
  commit: string;
  target: string;
}

/**
 * Submits the checkout's branch for review, or returns undefined when there is nothing to submit: no
 * working tree, a detached HEAD, or the target (or a gt branch) itself checked out; then `gt done`
 * closes the work as it does without a refinery. Refused while the checkout has uncommitted changes.
 */
export async function submitForReview(ledger: Ledger, target: string, note?: string): Promise<Submission | undefined> {
  const workTree = ledger.repo.paths.workTree;
  if (workTree === null) return undefined;
  const branch = checkedOutBranch(workTree);
  if (branch === undefined || branch === target || branch.startsWith('gt/')) return undefined;
  const changes = sandboxChanges(workTree);
  if (changes.length > 0) {
    const shown = changes.slice(0, 10).map((l) => l.trim()).join(', ');
    throw new RuleError(
      `${workTree} has uncommitted changes: ${shown}${changes.length > 10 ? `, and ${changes.length - 10} more` : ''}`,
      'commit them (git add -A && git commit) or stash them, then run gt done again: the refinery merges commits only',
    );
  }
  const commit = headCommit(workTree);
  if (commit === undefined) throw new RuleError(`${branch} has no commit yet`, 'commit your work, then run gt done again');
  const { result } = await ledger.write((tx) => {
    const submitted = submitWork(tx, { branch, commit, target, ...(note ? { note } : {}) });
    return {
      result: submitted,
      message: `done ${submitted.beads.map((b) => b.id).join(', ')}: submitted ${submitted.requests.map((m) => m.id).join(', ')} (${branch} at ${commit.slice(0, 12)} for ${target})`,
    };
  });
  return { ...result, branch, commit, target };
}
