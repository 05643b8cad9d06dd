/**
 * The merge queue's rules over a transaction: submitting, superseding, claiming, and each verdict. A
 * request moves only along these transitions, each checked against the status it is in, under the
 * ledger's compare-and-swap: two refineries can never both claim one request (the second sees `merging`).
 */
import type { Transaction } from '../ledger/ledger.js';
import { generateId, resolveId } from '../beads/ids.js';
import { RuleError } from '../errors.js';
import { MR_LOG_KEPT, mrKind, type MergeRequest, type MrStatus } from './mr.js';

type MrTx = Transaction<{ mrs: MergeRequest }>;

/** Statuses of a request still in play: a new one for the same bead supersedes it. */
export const ACTIVE_STATUSES: readonly MrStatus[] = ['queued', 'merging', 'conflict', 'failed'];

export function lookupMr(mrs: ReadonlyMap<string, MergeRequest>, query: string): MergeRequest {
  return mrs.get(resolveId(query, mrs.keys(), 'merge request'))!;
}

export function attemptsOf(mr: MergeRequest): number {
  return Number(mr.attempts);
}

/** The request with one more log line (`now` and one line of text), keeping the newest MR_LOG_KEPT. */
export function withMrLog(mr: MergeRequest, now: string, text: string): MergeRequest {
  const line = `${now} ${text.replace(/\s+/g, ' ').trim()}`;
  return { ...mr, log: [...(mr.log ?? []), line].sort().slice(-MR_LOG_KEPT) };
}

function save(tx: MrTx, mr: MergeRequest, text?: string): MergeRequest {
  const next = text === undefined ? mr : withMrLog(mr, tx.now, text);
  return tx.put(mrKind, { ...next, updated_at: tx.now });
}

/** Every request for a bead, oldest first. */
export function requestsFor(mrs: ReadonlyMap<string, MergeRequest>, bead: string): MergeRequest[] {
  return [...mrs.values()].filter((m) => m.bead === bead).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

/** The bead's newest request, if any: the one whose state `gt convoy status` shows. */
export function latestRequest(mrs: ReadonlyMap<string, MergeRequest>, bead: string): MergeRequest | undefined {
  return requestsFor(mrs, bead).at(-1);
}

export interface SubmitInput {
  branch: string;
  commit: string;
  target: string;
  bead: string;
  convoy?: string;
  agent: string;
  priority: number;
  /** The submitter's words (`gt done --reason`), kept in the log. */
  note?: string;
}

/**
 * Records a request for a bead. An earlier active request for the same bead is superseded (marked
 * rejected, pointing to the new one), its attempts and escalation carried over; one being merged
 * right now cannot be superseded.
 */
export function submitRequest(tx: MrTx, input: SubmitInput): { mr: MergeRequest; superseded?: MergeRequest } {
  const earlier = requestsFor(tx.mrs, input.bead).filter((m) => ACTIVE_STATUSES.includes(m.status));
  const busy = earlier.find((m) => m.status === 'merging');
  if (busy) throw new RuleError(`${busy.id} for ${input.bead} is being merged right now`, `wait for it to finish (gt mq show ${busy.id}), then run gt done again if it fails`);
  const previous = earlier.at(-1);
  const id = generateId(tx.config.prefix, tx.mrs.idSet(), 'mr');
  const mr = save(
    tx,
    {
      id,
      branch: input.branch,
      commit: input.commit,
      target: input.target,
      bead: input.bead,
      ...(input.convoy ? { convoy: input.convoy } : {}),
      agent: input.agent,
      priority: String(input.priority),
      status: 'queued',
      attempts: previous ? previous.attempts : '0',
      ...(previous ? { supersedes: previous.id } : {}),
      ...(previous?.escalated_at ? { escalated_at: previous.escalated_at } : {}),
      created_at: tx.now,
      created_by: tx.actor.name,
      updated_at: tx.now,
    },
    `submitted ${input.branch} at ${input.commit.slice(0, 12)} for ${input.target}${previous ? `, superseding ${previous.id}` : ''}${input.note ? `: ${input.note}` : ''}`,
  );
  let superseded: MergeRequest | undefined;
  for (const old of earlier) {
    const done = save(tx, { ...old, status: 'rejected', superseded_by: id, waiting: undefined }, `superseded by ${id}`);
    if (old === previous) superseded = done;
  }
  return { mr, ...(superseded ? { superseded } : {}) };
}

/** queued → merging for one run of the refinery (`runner`), counting an attempt; undefined if it is no longer queued. */
export function claimRequest(tx: MrTx, id: string, runner: string): MergeRequest | undefined {
  const mr = tx.mrs.get(id);
  if (!mr || mr.status !== 'queued') return undefined;
  return save(tx, { ...mr, status: 'merging', runner, waiting: undefined, attempts: String(attemptsOf(mr) + 1) }, `merging (attempt ${attemptsOf(mr) + 1}, ${runner})`);
}

function requireStatus(mr: MergeRequest | undefined, id: string, status: MrStatus): MergeRequest {
  if (!mr) throw new RuleError(`merge request ${id} is not on the ledger`);
  if (mr.status !== status) throw new RuleError(`${id} is ${mr.status}, not ${status}`);
  return mr;
}

/** While merging: the commit the target is about to move to, so a refinery killed now can tell, on restart, whether it moved. */
export function notePendingMerge(tx: MrTx, id: string, mergeCommit: string): MergeRequest {
  const mr = requireStatus(tx.mrs.get(id), id, 'merging');
  return save(tx, { ...mr, merge_commit: mergeCommit });
}

/** merging → queued: it could not be merged now (`why`), or its run was interrupted; the attempt is given back. */
export function requeueRequest(tx: MrTx, id: string, why: string, options: { waiting?: boolean } = {}): MergeRequest {
  const mr = requireStatus(tx.mrs.get(id), id, 'merging');
  const attempts = String(Math.max(0, attemptsOf(mr) - 1));
  return save(tx, { ...mr, status: 'queued', runner: undefined, merge_commit: undefined, attempts, ...(options.waiting ? { waiting: why } : { waiting: undefined }) }, why);
}

/** merging (or a conflicted/failed request whose commit a later merge brought in) → merged. */
export function markMerged(tx: MrTx, id: string, mergeCommit: string, note: string): MergeRequest {
  const mr = tx.mrs.get(id);
  if (!mr) throw new RuleError(`merge request ${id} is not on the ledger`);
  if (mr.status === 'merged' || mr.status === 'queued') throw new RuleError(`${id} is ${mr.status}, it cannot be marked merged`);
  return save(tx, { ...mr, status: 'merged', runner: undefined, waiting: undefined, merge_commit: mergeCommit, merged_at: tx.now }, note);
}

export function markConflict(tx: MrTx, id: string, files: string[], conflictBead: string): MergeRequest {
  const mr = requireStatus(tx.mrs.get(id), id, 'merging');
  return save(tx, { ...mr, status: 'conflict', runner: undefined, merge_commit: undefined, conflict_files: files, conflict_bead: conflictBead }, `conflict in ${files.join(', ') || '(unknown files)'}: ${conflictBead} created`);
}

export function markFailed(tx: MrTx, id: string, tail: string, why: string): MergeRequest {
  const mr = requireStatus(tx.mrs.get(id), id, 'merging');
  return save(tx, { ...mr, status: 'failed', runner: undefined, merge_commit: undefined, test_tail: tail }, why);
}

export function markEscalated(tx: MrTx, id: string, mail: string): MergeRequest {
  const mr = tx.mrs.get(id)!;
  return save(tx, { ...mr, escalated_at: tx.now }, `escalated to the overseer (${mail})`);
}

/** `gt mq retry`: a conflicted, failed or rejected request goes back in the queue. */
export function retryRequest(tx: MrTx, query: string): MergeRequest {
  const mr = lookupMr(tx.mrs, query);
  if (mr.status === 'queued') return mr;
  if (mr.status === 'merging' || mr.status === 'merged') throw new RuleError(`${mr.id} is ${mr.status}: there is nothing to retry`);
  if (mr.superseded_by) throw new RuleError(`${mr.id} was superseded by ${mr.superseded_by}`, `retry that one: gt mq retry ${mr.superseded_by}`);
  return save(tx, { ...mr, status: 'queued', waiting: undefined, conflict_files: undefined, test_tail: undefined }, `retried by ${tx.actor.name}`);
}

/** `gt mq reject`: the request leaves the queue for good. */
export function rejectRequest(tx: MrTx, query: string, reason?: string): { mr: MergeRequest; was: MrStatus } {
  const before = lookupMr(tx.mrs, query);
  if (before.status === 'merged' || before.status === 'rejected') throw new RuleError(`${before.id} is already ${before.status}`);
  if (before.status === 'merging') throw new RuleError(`${before.id} is being merged right now`, `wait for the refinery to finish with it (gt mq show ${before.id})`);
  const mr = save(tx, { ...before, status: 'rejected', waiting: undefined }, `rejected by ${tx.actor.name}${reason ? `: ${reason}` : ''}`);
  return { mr, was: before.status };
}
