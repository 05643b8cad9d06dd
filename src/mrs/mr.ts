/**
 * The merge request: an agent's finished branch waiting for the refinery to merge it into the target.
 * This file is the schema; the queue's rules are in mr-service.ts.
 */
import { defineRecordKind } from '../ledger/record-kind.js';
import { agentNameProblem } from '../ledger/names.js';
import { entityPath } from '../ledger/layout.js';
import type { LedgerView } from '../ledger/view.js';
import type { DoctorFinding } from '../ledger/doctor.js';
import type { Seen, Writes } from '../ledger/merge/causal.js';

/**
 * `queued` waits for the refinery (`waiting` says why, when it was tried and could not move the target);
 * `merging` is claimed by a refinery run; `merged`, `rejected` are final; `conflict` and `failed` wait for
 * the agent's next `gt done` (which supersedes the request) or `gt mq retry`.
 */
export const MR_STATUSES = ['queued', 'merging', 'merged', 'conflict', 'failed', 'rejected'] as const;
export type MrStatus = (typeof MR_STATUSES)[number];

/** How many log lines a request keeps (older ones are dropped as new ones come). */
export const MR_LOG_KEPT = 30;

export interface MergeRequest {
  id: string;
  /** The agent's branch, short name (`polecat/nux`). */
  branch: string;
  /** The branch's commit when it was submitted: what gets merged, even if the branch moves on. */
  commit: string;
  /** The target branch, short name, as refinery.target was at submission. */
  target: string;
  bead: string;
  /** The open convoy tracking the bead at submission, if any: its age orders the queue. */
  convoy?: string;
  agent: string;
  /** The bead's priority at submission, a digit 0-4 (0 most urgent); text, as the table has no number type. */
  priority: string;
  status: MrStatus;
  /** Why a queued request is waiting (a checked-out target with changes, say). */
  waiting?: string;
  /** Merge tries by the refinery for this bead, carried over when a request is superseded. */
  attempts: string;
  /** While merging: the refinery run holding it (`<host>:<pid>`). */
  runner?: string;
  /** The commit the target was (or is about to be) moved to with this request in it. */
  merge_commit?: string;
  /** Conflicting files (conflict), or the tail of the test output (failed). */
  conflict_files?: string[];
  test_tail?: string;
  /** The bead created to resolve a conflict. */
  conflict_bead?: string;
  /** The request this one replaced, and the one that replaced it. */
  supersedes?: string;
  superseded_by?: string;
  /** When the overseer was told this bead's requests keep failing (once per bead). */
  escalated_at?: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  merged_at?: string;
  /** `<ISO time> <text>` lines, newest last. */
  log?: string[];
  edited?: Record<string, string>;
  /** Who wrote what this file has seen (ledger/merge/causal.ts). */
  seen?: Seen;
  writes?: Writes;
}

const SHA = { type: 'text', pattern: /^[0-9a-f]{40}([0-9a-f]{24})?$/, hint: 'a full commit id' } as const;
const LOG_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z [^\n]+$/;

declare module '../ledger/view.js' {
  interface LedgerTables {
    mrs: MergeRequest;
  }
}

export const mrKind = defineRecordKind<MergeRequest>({
  what: 'merge request',
  dir: 'mrs',
  fields: [
    { name: 'id', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'branch', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'commit', field: SHA, required: true, merge: 'fixed' },
    { name: 'target', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'bead', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'convoy', field: { type: 'text' }, merge: 'fixed' },
    { name: 'agent', field: { type: 'text', check: agentNameProblem }, required: true, merge: 'fixed' },
    { name: 'priority', field: { type: 'text', pattern: /^[0-4]$/, hint: 'a priority 0-4' }, required: true, merge: 'stamped' },
    // A refinery's verdict and an agent's concurrent change are settled by which happened last.
    { name: 'status', field: { type: 'enum', values: MR_STATUSES }, required: true, merge: 'stamped' },
    { name: 'waiting', field: { type: 'text' }, merge: 'stamped' },
    // Text compares badly as a number ('10' < '9'): the latest count wins instead.
    { name: 'attempts', field: { type: 'text', pattern: /^(0|[1-9][0-9]{0,5})$/, hint: 'a whole number' }, required: true, merge: 'stamped' },
    { name: 'runner', field: { type: 'text' }, merge: 'stamped' },
    { name: 'merge_commit', field: SHA, merge: 'stamped' },
    { name: 'conflict_files', field: { type: 'set' }, merge: 'stamped' },
    { name: 'test_tail', field: { type: 'text' }, merge: 'stamped' },
    { name: 'conflict_bead', field: { type: 'text' }, merge: 'stamped' },
    { name: 'supersedes', field: { type: 'text' }, merge: 'fixed' },
    { name: 'superseded_by', field: { type: 'text' }, merge: 'stamped' },
    { name: 'escalated_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'created_at', field: { type: 'time' }, required: true, merge: 'fixed' },
    { name: 'created_by', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'updated_at', field: { type: 'time' }, required: true, merge: 'max' },
    { name: 'merged_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'log', field: { type: 'set', check: (v) => (LOG_LINE.test(v) ? undefined : 'a log line is "<ISO time> <text>"') }, merge: 'set' },
  ],
}, { check: checkMergeRequests });

/** Beads a merge request names that do not exist. */
function checkMergeRequests(view: LedgerView): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const mr of view.mrs.values()) {
    for (const [field, id] of [['bead', mr.bead], ['conflict_bead', mr.conflict_bead]] as const) {
      if (id !== undefined && !view.beads.has(id) && !view.broken.beads.has(id)) findings.push({ severity: 'error', path: entityPath('mrs', mr.id), message: `${field} ${id} does not exist` });
    }
  }
  return findings;
}
