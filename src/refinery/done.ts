/**
 * `gt done` (and the MCP server's gt_done): the actor finishes the work on its hook. With a refinery
 * (refinery.target set) its committed branch is submitted for review; otherwise the hooked beads close
 * (landing what they complete) and the actor goes idle. Either way an agent's branch is merged into the
 * ledger and the observer reacts at once.
 */
import type { Ledger } from '../ledger/ledger.js';
import type { Bead } from '../beads/bead.js';
import type { Convoy } from '../convoys/convoy.js';
import { settingsOf } from '../settings/settings-service.js';
import { mergeAgentBranches } from '../ledger/agent-merge.js';
import { agentRef } from '../ledger/layout.js';
import { finishHookedWork } from '../work/hook-service.js';
import { writeAndLand } from '../work/close-and-land.js';
import { observe, type ObserveAction } from '../observer/observe.js';
import { submitForReview, type Submission } from './submit.js';

export type DoneResult =
  | { submission: Submission; actions: ObserveAction[] }
  /** `session`: the bead of the polecat session it was run in, when it was (see sessionBead). */
  | { closed: Bead[]; landed: Convoy[]; actions: ObserveAction[]; session?: string };

/** Inside a polecat session (GT_BEAD set for this agent): the bead it was started for, and only that one is finished. */
export function sessionBead(ledger: Ledger): string | undefined {
  return !ledger.actor.isOverseer && process.env.GT_AGENT === ledger.actor.name && process.env.GT_BEAD ? process.env.GT_BEAD : undefined;
}

export async function finishWork(ledger: Ledger, reason?: string, session = sessionBead(ledger)): Promise<DoneResult> {
  const target = settingsOf(await ledger.view(), { gitDir: ledger.repo.paths.gitDir }).refinery.target;
  const submission = target !== undefined ? await submitForReview(ledger, target, reason) : undefined;
  let done: { closed: Bead[]; landed: Convoy[] } | undefined;
  if (!submission) {
    const { result, landed } = await writeAndLand(ledger, (tx) => {
      const beads = finishHookedWork(tx, reason, session);
      return { result: beads, message: `done ${beads.map((b) => b.id).join(', ')}: ${beads.map((b) => b.title).join('; ')}` };
    });
    done = { closed: result, landed };
  }
  // A session whose bead was closed already may have written nothing: no agent branch to merge then.
  if (!ledger.actor.isOverseer && ledger.repo.refs.resolve(agentRef(ledger.actor.name)) !== null) await mergeAgentBranches(ledger, [ledger.actor.name]);
  const { actions } = await observe(ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir);
  return submission ? { submission, actions } : { ...done!, actions, ...(session !== undefined ? { session } : {}) };
}
