/** `gt nudge`: a word to a running agent, kept as mail marked `nudge` so its next prime and mail check show it first. */
import type { Transaction } from '../ledger/ledger.js';
import type { Mail } from '../mail/mail.js';
import { sendNudge } from '../mail/mail-service.js';
import { closestIds } from '../ledger/closest-ids.js';
import { NotFoundError } from '../errors.js';

/** Nudges the agent `to`, which must be registered (a nudge to nobody would never be seen). */
export function nudgeAgent(tx: Transaction, to: string, text: string, from?: string): Mail {
  const name = to.trim().replace(/\/$/, '');
  if (!tx.agents.has(name)) throw new NotFoundError('agent', name, closestIds(name, tx.agents.keys()));
  return sendNudge(tx, { to: name, text, ...(from !== undefined ? { from } : {}) });
}
