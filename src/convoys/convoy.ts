/** The convoy: a batch of beads that lands when every bead it tracks is closed. This file is the schema. */
import { defineRecordKind } from '../ledger/record-kind.js';
import { agentNameProblem } from '../ledger/names.js';
import { entityPath } from '../ledger/layout.js';
import type { LedgerView } from '../ledger/view.js';
import type { DoctorFinding } from '../ledger/doctor.js';
import type { Seen, Writes } from '../ledger/merge/causal.js';

export const CONVOY_STATUSES = ['open', 'closed'] as const;
export type ConvoyStatus = (typeof CONVOY_STATUSES)[number];

export const LANDED_REASON = 'All tracked beads closed';

export interface Convoy {
  id: string;
  title: string;
  status: ConvoyStatus;
  description?: string;
  /** Bead ids, sorted: the non-blocking `tracks` relation. */
  tracks?: string[];
  /** Address (agent name or overseer) that gets the landing mail. */
  owner?: string;
  /** More addresses that get the landing mail. */
  notify?: string[];
  /** Agents the observer hands this convoy's next ready bead to. */
  feed?: string[];
  created_at: string;
  created_by: string;
  updated_at: string;
  landed_at?: string;
  /** When the convoy was last reopened (work added after it closed): a new landing episode. */
  reopened_at?: string;
  closed_at?: string;
  close_reason?: string;
  edited?: Record<string, string>;
  /** Who wrote what this file has seen (ledger/merge/causal.ts). */
  seen?: Seen;
  writes?: Writes;
}

const ADDRESS = { type: 'text', check: agentNameProblem, hint: 'an agent name or overseer' } as const;

declare module '../ledger/view.js' {
  interface LedgerTables {
    convoys: Convoy;
  }
}

export const convoyKind = defineRecordKind<Convoy>({
  what: 'convoy',
  dir: 'convoys',
  fields: [
    { name: 'id', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'title', field: { type: 'text' }, required: true, merge: 'stamped' },
    // A landing and a concurrent reopen are settled by which happened last.
    { name: 'status', field: { type: 'enum', values: CONVOY_STATUSES }, required: true, merge: 'stamped' },
    { name: 'description', field: { type: 'text' }, merge: 'stamped' },
    { name: 'tracks', field: { type: 'set' }, merge: 'set' },
    { name: 'owner', field: ADDRESS, merge: 'stamped' },
    { name: 'notify', field: { type: 'set', check: agentNameProblem }, merge: 'set' },
    { name: 'feed', field: { type: 'set', check: agentNameProblem }, merge: 'set' },
    { name: 'created_at', field: { type: 'time' }, required: true, merge: 'fixed' },
    { name: 'created_by', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'updated_at', field: { type: 'time' }, required: true, merge: 'max' },
    { name: 'landed_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'reopened_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'closed_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'close_reason', field: { type: 'text' }, merge: 'stamped' },
  ],
}, { check: checkConvoys });

/** Tracked beads that do not exist (a hand edit, a merge outside gt): the convoy could never land. */
function checkConvoys(view: LedgerView): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const convoy of view.convoys.values()) {
    for (const id of convoy.tracks ?? []) {
      if (!view.beads.has(id) && !view.broken.beads.has(id)) findings.push({ severity: 'error', path: entityPath('convoys', convoy.id), message: `tracks ${id}, which does not exist` });
    }
  }
  return findings;
}
