/** Mail on the ledger: every message is one file, so a read on one branch and a reply on another never collide. */
import type { Transaction } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import { effectId, generateId, resolveId } from '../beads/ids.js';
import { checkAgentName } from '../ledger/names.js';
import { RuleError, UsageError } from '../errors.js';
import { mailKind, type Mail, type MailKind } from './mail.js';

export interface SendInput {
  to: string;
  subject: string;
  body?: string;
  replyTo?: string;
  /** Default: the actor. The observer signs its own notifications. */
  from?: string;
  /** Default: an ordinary message. */
  kind?: MailKind;
  /** An automatic message any clone may send (mail.ts `effect`): its id follows from this, and it is sent once. */
  effect?: string;
}

function parseRecipient(raw: string): string {
  const to = raw.trim().replace(/\/$/, '');
  return checkAgentName(to, 'address');
}

export function sendMail(tx: Transaction, input: SendInput): Mail {
  const subject = input.subject.trim();
  if (subject === '') throw new UsageError('the subject is empty', 'give one with -s "subject"');
  const id = input.effect !== undefined ? effectId(tx.config.prefix, 'm', input.effect) : generateId(tx.config.prefix, tx.mail.idSet(), 'm');
  const already = input.effect !== undefined ? tx.mail.get(id) : undefined;
  if (already) return already;
  const mail: Mail = {
    id,
    from: input.from ?? tx.actor.name,
    to: parseRecipient(input.to),
    subject,
    ...(input.body !== undefined && input.body !== '' ? { body: input.body } : {}),
    ...(input.kind !== undefined ? { kind: input.kind } : {}),
    status: 'unread',
    ...(input.replyTo ? { reply_to: input.replyTo } : {}),
    created_at: tx.now,
    ...(input.effect !== undefined ? { effect: input.effect } : {}),
  };
  return tx.put(mailKind, mail);
}

export function lookupMail(mail: ReadonlyMap<string, Mail>, query: string): Mail {
  return mail.get(resolveId(query, mail.keys(), 'message'))!;
}

/** Messages to `who`, newest first. */
export function inboxOf(view: Pick<LedgerView, 'mail'>, who: string, options: { unreadOnly?: boolean } = {}): Mail[] {
  return [...view.mail.values()]
    .filter((m) => m.to === who && (!options.unreadOnly || m.status === 'unread'))
    .sort((a, b) => (a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : a.id < b.id ? 1 : -1));
}

/** Unread messages to `who`, nudges apart from the rest (each newest first): what a running agent must see first. */
export function unreadFor(view: Pick<LedgerView, 'mail'>, who: string): { nudges: Mail[]; mail: Mail[] } {
  const unread = inboxOf(view, who, { unreadOnly: true });
  return { nudges: unread.filter((m) => m.kind === 'nudge'), mail: unread.filter((m) => m.kind !== 'nudge') };
}

/**
 * A nudge to `to` (`gt nudge`, the witness): its first line is the subject, any further lines the body.
 */
export function sendNudge(tx: Transaction, input: { to: string; text: string; from?: string }): Mail {
  const text = input.text.trim();
  if (text === '') throw new UsageError('the nudge is empty', 'say something with -m "text"');
  const [first = '', ...rest] = text.split('\n');
  const body = rest.join('\n').trim();
  return sendMail(tx, { to: input.to, subject: first.trim(), kind: 'nudge', ...(body !== '' ? { body } : {}), ...(input.from !== undefined ? { from: input.from } : {}) });
}

/** Marks a message read when its recipient reads it; anyone else reading it changes nothing. */
export function readMail(tx: Transaction, query: string): { mail: Mail; marked: boolean } {
  const mail = lookupMail(tx.mail, query);
  if (mail.to !== tx.actor.name || mail.status === 'read') return { mail, marked: false };
  return { mail: tx.put(mailKind, { ...mail, status: 'read', read_at: tx.now }), marked: true };
}

export function replyTo(tx: Transaction, query: string, body: string, subject?: string): Mail {
  const original = lookupMail(tx.mail, query);
  if (body.trim() === '') throw new RuleError('the reply is empty', 'write it with -m "text"');
  const re = subject ?? (original.subject.startsWith('Re: ') ? original.subject : `Re: ${original.subject}`);
  return sendMail(tx, { to: original.from, subject: re, body, replyTo: original.id });
}
