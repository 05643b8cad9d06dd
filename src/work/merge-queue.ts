/**
 * The merge queue across domains: `gt done` submitting work for review, the queue's order, and what
 * each refinery verdict does to beads, agents, convoys and mail, each in the transaction that records it.
 *
 * A bead under review is `blocked` with the label `in-review`, still assigned to its agent (its
 * submitted work): off the agent's hook, so the agent is idle, and not ready for anyone else.
 */
import type { Ledger, Transaction } from '../ledger/ledger.js';
import { resolveSettings } from '../settings/settings-service.js';
import type { Bead } from '../beads/bead.js';
import type { CloseRule } from '../beads/commit-record.js';
import { addDependency, closeBead, createBead, updateBead } from '../beads/bead-service.js';
import { hookedOn } from '../agents/hook.js';
import { OVERSEER } from '../ledger/layout.js';
import { GtError, RuleError } from '../errors.js';
import { addToConvoy, convoysTracking } from '../convoys/convoy-service.js';
import type { ConvoyTables } from '../convoys/convoy-service.js';
import { sendMail } from '../mail/mail-service.js';
import type { MergeRequest } from '../mrs/mr.js';
import { latestRequest } from '../mrs/mr-service.js';
import { beadsWithStatus } from '../beads/readiness.js';
import { attemptsOf, markConflict, markEscalated, markFailed, markMerged, rejectRequest, submitRequest } from '../mrs/mr-service.js';
import { slingBead, touchAgent } from './hook-service.js';

export const IN_REVIEW_LABEL = 'in-review';
export const REFINERY_ADDRESS = 'refinery';

export function isInReview(bead: Bead): boolean {
  return bead.labels.includes(IN_REVIEW_LABEL);
}

/** The close rule of a repository's refinery.target (read leniently: a bad value counts as unset here; gt doctor names it). */
export async function closeRuleOf(ledger: Ledger): Promise<CloseRule> {
  const target = resolveSettings((await ledger.view()).config, { gitDir: ledger.repo.paths.gitDir }).find((s) => s.key === 'refinery.target')?.value;
  return refineryCloseRule(typeof target === 'string' ? target : undefined);
}

/**
 * With a refinery (`target` set), a `Closes:` commit closes its bead only once it is on the target, and
 * not a bead in review, which the refinery closes `Merged in <id>` itself: work lands when it is merged.
 */
export function refineryCloseRule(target: string | undefined): CloseRule {
  return (bead, branch) => {
    if (target === undefined) return undefined;
    if (branch !== target) return `once merged into ${target} (refinery.target), not on ${branch}`;
    return isInReview(bead) ? 'when the refinery records its merge request merged' : undefined;
  };
}

export interface SubmitResult {
  beads: Bead[];
  requests: MergeRequest[];
  /** Earlier requests the new ones replaced. */
  superseded: MergeRequest[];
}

/**
 * `gt done` with a refinery: each bead on the actor's hook gets a merge request for `commit` of
 * `branch` (superseding an earlier one for it) and goes into review; the agent goes idle.
 */
export function submitWork(tx: Transaction, input: { branch: string; commit: string; target: string; note?: string }): SubmitResult {
  const agent = tx.actor.name;
  // Beads already in review from this branch are submitted again: the new commit supersedes the old.
  const inReview = beadsWithStatus(tx.beads, (status) => status === 'blocked').filter(
    (b) => {
      const latest = b.assignee === agent && isInReview(b) ? latestRequest(tx.mrs, b.id) : undefined;
      return latest?.branch === input.branch && (latest.status === 'queued' || latest.status === 'conflict');
    },
  );
  const work = [...hookedOn(tx.beads, agent), ...inReview];
  if (work.length === 0) throw new RuleError(`nothing is hooked on ${agent}`, tx.actor.isOverseer ? 'run gt done as the agent: gt --as <agent> done' : 'see what is ready with gt ready');
  const result: SubmitResult = { beads: [], requests: [], superseded: [] };
  for (const bead of work) {
    const convoy = convoysTracking(tx, bead.id)[0];
    const { mr, superseded } = submitRequest(tx, { ...input, bead: bead.id, agent, priority: bead.priority, ...(convoy ? { convoy: convoy.id } : {}) });
    result.requests.push(mr);
    if (superseded) result.superseded.push(superseded);
    result.beads.push(updateBead(tx, bead.id, { status: 'blocked', addLabels: [IN_REVIEW_LABEL] }).bead);
  }
  if (!tx.actor.isOverseer) touchAgent(tx, agent, { state: 'idle' });
  return result;
}

/** The queued requests in the order the refinery takes them: priority, then convoy age, then request age. */
export function queueOrder(tables: ConvoyTables & { readonly mrs: ReadonlyMap<string, MergeRequest> }): MergeRequest[] {
  const age = (mr: MergeRequest): string => (mr.convoy ? tables.convoys.get(mr.convoy)?.created_at : undefined) ?? mr.created_at;
  return [...tables.mrs.values()]
    .filter((m) => m.status === 'queued')
    .sort((a, b) => Number(a.priority) - Number(b.priority) || age(a).localeCompare(age(b)) || a.created_at.localeCompare(b.created_at) || (a.id < b.id ? -1 : 1));
}

function closeMerged(tx: Transaction, beadId: string, mrId: string): void {
  const bead = tx.beads.get(beadId);
  if (!bead || bead.status === 'closed') return;
  if (isInReview(bead)) updateBead(tx, beadId, { removeLabels: [IN_REVIEW_LABEL] });
  closeBead(tx, beadId, { force: true, reason: `Merged in ${mrId}` });
  // A bead handed back (failed, then retried with gt mq retry) leaves its agent's hook by merging.
  const agent = bead.assignee;
  if (agent && agent !== OVERSEER && tx.agents.get(agent)?.state === 'working' && hookedOn(tx.beads, agent).length === 0) touchAgent(tx, agent, { state: 'idle' });
}

/**
 * A request is in the target: merged, its bead closed `Merged in <id>`. A conflicted request this one
 * resolved (its conflict bead is this request's bead) is merged with it. The caller lands the convoys
 * these closings complete, in the same commit (close-and-land.ts).
 */
export function recordMerged(tx: Transaction, id: string, mergeCommit: string, note: string): MergeRequest[] {
  const mr = markMerged(tx, id, mergeCommit, note);
  closeMerged(tx, mr.bead, mr.id);
  // A conflict that went away (gt mq retry after the target moved on): its resolution bead is moot.
  if (mr.conflict_bead) closeMerged(tx, mr.conflict_bead, mr.id);
  const merged = [mr];
  for (const resolved of [...tx.mrs.values()].filter((m) => m.status === 'conflict' && m.conflict_bead === mr.bead)) {
    merged.push(markMerged(tx, resolved.id, mergeCommit, `merged with ${mr.id}, which resolved its conflict`));
    closeMerged(tx, resolved.bead, mr.id);
  }
  return merged;
}

/** Hooks a bead back on its agent; beside other work already there, if need be, rather than displacing it. */
function handBack(tx: Transaction, beadId: string, agent: string, notes?: string): Bead {
  try {
    slingBead(tx, beadId, agent, { noConvoy: true });
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    updateBead(tx, beadId, { status: 'hooked', assignee: agent });
    touchAgent(tx, agent, { state: 'working' });
  }
  const bead = tx.beads.get(beadId)!;
  return updateBead(tx, beadId, { ...(isInReview(bead) ? { removeLabels: [IN_REVIEW_LABEL] } : {}), ...(notes ? { appendNotes: notes } : {}) }).bead;
}

/**
 * The branch does not merge cleanly: the request is `conflict`, and a bead to resolve it, listing the
 * files, blocks the original and goes to the same agent (and into the original's convoys).
 */
export function recordConflict(tx: Transaction, id: string, files: string[]): { mr: MergeRequest; bead: Bead } {
  const mr = tx.mrs.get(id)!;
  // The original may be gone from the ledger (removed by hand): the conflict still goes to the agent.
  const original = tx.beads.get(mr.bead);
  const bead = createBead(tx, {
    title: `Resolve conflict merging ${mr.branch} into ${mr.target}`,
    priority: original?.priority ?? Number(mr.priority),
    description: [
      `${mr.id} (${mr.bead}${original ? `: ${original.title}` : ''}) does not merge cleanly into ${mr.target}.`,
      '',
      'Conflicting files:',
      ...(files.length > 0 ? files.map((f) => `- ${f}`) : ['- (git named none)']),
      '',
      `In your sandbox: git merge ${mr.target} (or rebase onto it), resolve these files, commit, then run gt done.`,
    ].join('\n'),
  });
  if (original) {
    addDependency(tx, original.id, bead.id, 'blocks');
    for (const convoy of convoysTracking(tx, original.id)) addToConvoy(tx, convoy.id, [bead.id]);
  }
  handBack(tx, bead.id, mr.agent);
  return { mr: markConflict(tx, id, files, bead.id), bead: tx.beads.get(bead.id)! };
}

/** The tests failed (or timed out): the request is `failed` and the bead goes back to its agent with the output's tail in its notes. */
export function recordFailed(tx: Transaction, id: string, tail: string, why: string): { mr: MergeRequest; bead?: Bead } {
  const mr = markFailed(tx, id, tail, why);
  const open = tx.beads.get(mr.bead)?.status !== 'closed' && tx.beads.has(mr.bead);
  if (!open) return { mr };
  return { mr, bead: handBack(tx, mr.bead, mr.agent, `${mr.id}: ${why}. Last lines of the output:\n${tail}`) };
}

/** After `maxAttempts` failed or conflicting tries of a bead, the overseer is mailed, once per bead. */
export function escalateIfDue(tx: Transaction, id: string, maxAttempts: number): boolean {
  const mr = tx.mrs.get(id)!;
  if (mr.escalated_at || attemptsOf(mr) < maxAttempts) return false;
  const bead = tx.beads.get(mr.bead);
  const mail = sendMail(tx, {
    to: OVERSEER,
    from: REFINERY_ADDRESS,
    subject: `Merge of ${mr.bead} failed ${attemptsOf(mr)} times (${mr.id}, ${mr.status})`,
    body: [
      `${mr.bead}${bead ? ` "${bead.title}"` : ''} by ${mr.agent} has not merged into ${mr.target} after ${attemptsOf(mr)} attempts (refinery.max_attempts is ${maxAttempts}).`,
      `Last: ${mr.status}${mr.conflict_files?.length ? ` in ${mr.conflict_files.join(', ')}` : ''}.`,
      ...(mr.test_tail ? ['', mr.test_tail] : []),
      '',
      `See gt mq show ${mr.id}; retry with gt mq retry ${mr.id}, or drop it with gt mq reject ${mr.id}.`,
    ].join('\n'),
  });
  markEscalated(tx, id, mail.id);
  return true;
}

/** `gt mq reject`: the request leaves the queue; a bead still waiting in review goes back to its agent, with the reason. */
export function rejectAndHandBack(tx: Transaction, query: string, reason?: string): { mr: MergeRequest; bead?: Bead } {
  const { mr } = rejectRequest(tx, query, reason);
  const bead = tx.beads.get(mr.bead);
  if (!bead || bead.status === 'closed' || !isInReview(bead)) return { mr };
  return { mr, bead: handBack(tx, bead.id, mr.agent, `${mr.id} was rejected${reason ? `: ${reason}` : ''}`) };
}
