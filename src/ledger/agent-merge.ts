import type { Ledger } from './ledger.js';
import { filesAddedOrChanged, mergeCommits } from './merge/shard-merge.js';
import { TREE_MODE } from '../git/object-format.js';
import { withWriteLock } from './write-lock.js';
import { staleLockMs } from './ledger.js';
import { AGENT_REF_PREFIX, CONFIG_PATH, LEDGER_REF, agentFromRef, agentRef, idFromPath } from './layout.js';
import type { MergeNote } from './entity-kind.js';
import { withMergeNotes } from './merge/merge-notes.js';

export { describeMergeNote } from './merge/merge-notes.js';
import { NotFoundError, RefConflictError, RepositoryError } from '../errors.js';
import { CheckoutBusyError } from '../git/worktrees.js';
import { closestIds } from './closest-ids.js';

export interface AgentMergeReport {
  agent: string;
  /** `merged`: a merge commit landed; `up-to-date`: the branch had nothing the ledger lacks. */
  outcome: 'merged' | 'up-to-date';
  commit?: string;
  /** Ids of the entities the merge changed on the ledger. */
  changed: string[];
  notes: MergeNote[];
  renames: { from: string; to: string }[];
}

/**
 * Merges agent branches into the ledger, one merge commit each (field-level three-way merge), then
 * moves each merged branch to the new ledger tip. Without names: every agent branch with changes.
 */
export async function mergeAgentBranches(ledger: Ledger, agents?: string[]): Promise<AgentMergeReport[]> {
  return withWriteLock(ledger.repo.stateDir, staleLockMs(), () => ledger.preferringGit(async () => {
    const branches = ledger.repo.refs.list(AGENT_REF_PREFIX);
    const names = [...branches.keys()].map((ref) => agentFromRef(ref)!).sort();
    const wanted = agents && agents.length > 0 ? agents : names;
    for (const name of wanted) if (!branches.has(agentRef(name))) throw new NotFoundError('agent branch', name, closestIds(name, names));
    const reports: AgentMergeReport[] = [];
    for (const name of wanted) reports.push(await mergeOne(ledger, name));
    await catchUpMergedBranches(ledger, reports);
    return reports;
  }));
}

/** Branches merged earlier in this run sit on an older ledger commit: bring them to the final tip. */
async function catchUpMergedBranches(ledger: Ledger, reports: AgentMergeReport[]): Promise<void> {
  const tip = ledger.requireLedgerTip();
  for (const report of reports) {
    if (report.outcome !== 'merged') continue;
    const ref = agentRef(report.agent);
    const agentTip = ledger.repo.refs.resolve(ref);
    if (!agentTip || agentTip === tip || !(await isAncestor(ledger, agentTip, tip, reports.length))) continue;
    try {
      ledger.updateRef(ref, agentTip, tip, 'fast-forward to ledger after gt merge', new Date(ledger.now()));
    } catch (error) {
      // Moved meanwhile, or checked out with changes: the branch stays behind, merged, for its next write.
      if (!(error instanceof RefConflictError) && !(error instanceof CheckoutBusyError)) throw error;
    }
  }
}

/**
 * Whether `ancestor` is in the history of `tip`. A branch merged in this run sits on one of this
 * run's merge commits, a few first parents below the tip (their commit records are in memory): found
 * there without asking git; else git's merge base decides.
 */
async function isAncestor(ledger: Ledger, ancestor: string, tip: string, steps: number): Promise<boolean> {
  let at: string | undefined = tip;
  for (let i = 0; at !== undefined && i <= steps; i++) {
    if (at === ancestor) return true;
    at = (await ledger.cache.commitInfo(at)).parents[0];
  }
  return (await ledger.mergeBase(ancestor, tip)) === ancestor;
}

async function mergeOne(ledger: Ledger, agent: string): Promise<AgentMergeReport> {
  const ref = agentRef(agent);
  const agentTip = (): string => ledger.repo.refs.resolve(ref)!;
  const outcome = await mergeTipIntoLedger(ledger, agentTip, `gt/agents/${agent}`, { fastForward: false });
  if (outcome.outcome === 'up-to-date') return { agent, outcome: 'up-to-date', changed: [], notes: [], renames: [] };
  try {
    ledger.updateRef(ref, outcome.theirs, outcome.commit, `fast-forward to ledger after ${outcome.subject}`, new Date(ledger.now()));
  } catch (error) {
    // The agent wrote again meanwhile: its new work stays on its branch for the next merge. A
    // checkout of the branch with changes keeps it where it is: already merged, nothing is lost.
    if (!(error instanceof RefConflictError) && !(error instanceof CheckoutBusyError)) throw error;
  }
  return { agent, outcome: 'merged', commit: outcome.commit, changed: outcome.changed, notes: outcome.notes, renames: outcome.renames };
}

export type TipMerge =
  | { outcome: 'up-to-date' }
  | { outcome: 'merged' | 'fast-forward'; commit: string; theirs: string; subject: string; changed: string[]; notes: MergeNote[]; renames: { from: string; to: string }[] };

/**
 * Merges a commit holding a ledger into `gt/ledger` (field-level three-way merge, one merge commit), or
 * fast-forwards to it when `fastForward` and the ledger has nothing it lacks. `theirs` is read again on a
 * retry (a ref that moved). Runs under the caller's write lock.
 */
export async function mergeTipIntoLedger(ledger: Ledger, theirs: () => string, label: string, options: { fastForward: boolean }): Promise<TipMerge> {
  for (let attempt = 0; ; attempt++) {
    const ledgerTip = ledger.requireLedgerTip();
    const theirTip = theirs();
    const base = await ledger.mergeBase(theirTip, ledgerTip);
    if (base === null) throw new RepositoryError(`${label} shares no history with the ledger`);
    if (base === theirTip) return { outcome: 'up-to-date' };
    const oursTree = (await ledger.cache.commitInfo(ledgerTip)).tree;
    const merged = options.fastForward && base === ledgerTip ? undefined : await mergeCommits(ledger.cache, base, ledgerTip, theirTip);
    const when = new Date(ledger.now());
    let commit: string;
    let subject: string;
    let changed: string[];
    if (merged) {
      // A merge into a ledger still in the old layout moves it, like any other write.
      const migration = merged.changes.size > 0 ? await ledger.migration(await ledger.cache.layoutOf(ledgerTip), merged.changes) : undefined;
      const tree = merged.changes.size > 0 ? await ledger.cache.writeTree(oursTree, migration?.changes ?? merged.changes, migration?.remove) : oursTree;
      changed = [...merged.changes.keys()].map((p) => idFromPath(p) ?? p).sort();
      subject = `merge ${label}: ${changed.length === 0 ? 'nothing new' : changed.length <= 5 ? changed.join(', ') : `${changed.length} entities`}`;
      const message = withMergeNotes(subject, merged.notes);
      commit = ledger.commitTree(tree, [ledgerTip, theirTip], migration ? `${message.trimEnd()}\n\n${migration.note}` : message, when);
    } else {
      changed = (await filesAddedOrChanged(ledger.cache, ledgerTip, theirTip)).map((p) => idFromPath(p) ?? p).sort();
      subject = `fast-forward to ${label}`;
      commit = theirTip;
    }
    try {
      ledger.updateRef(LEDGER_REF, ledgerTip, commit, subject, when);
    } catch (error) {
      if (error instanceof RefConflictError && attempt < 8) continue;
      throw error;
    }
    return { outcome: merged ? 'merged' : 'fast-forward', commit, theirs: theirTip, subject, changed, notes: merged?.notes ?? [], renames: merged?.renames ?? [] };
  }
}

/** Whether `commit`'s root holds gt.yaml, as a ledger's does. */
async function holdsLedger(ledger: Ledger, commit: string): Promise<boolean> {
  const root = await ledger.cache.treeEntries((await ledger.cache.commitInfo(commit)).tree);
  return root.some((e) => e.name === CONFIG_PATH && e.mode !== TREE_MODE);
}

/**
 * `gt merge <ref>`: merges any commit that holds a ledger (a remote-tracking branch, a pull request's
 * head) into gt/ledger, fast-forwarding when the ledger has nothing it lacks.
 */
export async function mergeLedgerCommit(ledger: Ledger, commit: string, label: string): Promise<TipMerge> {
  return withWriteLock(ledger.repo.stateDir, staleLockMs(), () =>
    ledger.preferringGit(async () => {
      if (!(await holdsLedger(ledger, commit))) throw new RepositoryError(`${label} holds no gt ledger (no ${CONFIG_PATH} at its root)`);
      return mergeTipIntoLedger(ledger, () => commit, label, { fastForward: true });
    }),
  );
}
