/** A mail message between agents and the overseer. This file is the schema. */
import { defineRecordKind } from '../ledger/record-kind.js';
import type { Seen, Writes } from '../ledger/merge/causal.js';

export const MAIL_STATUSES = ['unread', 'read'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * What a message is for. Absent: an ordinary message. `nudge`: a word to a running agent (`gt nudge`, the
 * witness's stall nudge), shown before everything else by `gt prime` and `gt mail check`.
 */
export const MAIL_KINDS = ['nudge'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export interface Mail {
  id: string;
  from: string;
  to: string;
  subject: string;
  body?: string;
  kind?: MailKind;
  /** `read` once the recipient has read it; a read on one branch wins over unread on another. */
  status: MailStatus;
  reply_to?: string;
  created_at: string;
  read_at?: string;
  /**
   * What produced an automatic message that any clone may send (`landing:<convoy>:<opened_at>:<to>`):
   * its id is derived from it (ids.ts effectId), and two copies sent by two clones are one message.
   */
  effect?: string;
  edited?: Record<string, string>;
  /** Who wrote what this file has seen (ledger/merge/causal.ts). */
  seen?: Seen;
  writes?: Writes;
}

declare module '../ledger/view.js' {
  interface LedgerTables {
    mail: Mail;
  }
}

export const mailKind = defineRecordKind<Mail>({
  what: 'mail',
  dir: 'mail',
  // Two clones sending the same automatic message made the same file: one message, merged field by field.
  sameIdentity: (a, b) => (a.effect !== undefined && a.effect === b.effect) || a.created_at === b.created_at,
  fields: [
    { name: 'id', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'from', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'to', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'subject', field: { type: 'text' }, required: true, merge: 'fixed' },
    { name: 'body', field: { type: 'text' }, merge: 'fixed' },
    { name: 'kind', field: { type: 'enum', values: MAIL_KINDS }, merge: 'fixed' },
    { name: 'status', field: { type: 'enum', values: MAIL_STATUSES }, required: true, merge: 'rank' },
    { name: 'reply_to', field: { type: 'text' }, merge: 'fixed' },
    { name: 'created_at', field: { type: 'time' }, required: true, merge: 'fixed' },
    { name: 'read_at', field: { type: 'time' }, merge: 'max' },
    { name: 'effect', field: { type: 'text' }, merge: 'fixed' },
  ],
});
