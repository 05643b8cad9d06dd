/**
 * Every kind of entity kept on the ledger, registered in one place above the domains: the ledger
 * builds its views, transactions, merges and doctor from this list and names no kind itself. A new
 * kind is its own module (schema, codec, merge, and its `LedgerTables` entry) plus one line here.
 */
import { defineKinds, type EntityKind } from './ledger/entity-kind.js';
import { Ledger, type LedgerOptions } from './ledger/ledger.js';
import type { LedgerTables } from './ledger/view.js';
import { beadKind } from './beads/bead-kind.js';
import { convoyKind } from './convoys/convoy.js';
import { agentKind } from './agents/agent.js';
import { mailKind } from './mail/mail.js';
import { moleculeKind } from './molecules/molecule-kind.js';
import { mrKind } from './mrs/mr.js';
import { checkoutAgent } from './agents/checkout.js';

/** Table name (the kind's directory) to kind; every table a domain declares must be here. */
const KINDS = {
  beads: beadKind,
  convoys: convoyKind,
  agents: agentKind,
  mail: mailKind,
  molecules: moleculeKind,
  mrs: mrKind,
} satisfies { [K in keyof LedgerTables]: EntityKind<LedgerTables[K]> };

export const ENTITY_KINDS = defineKinds(KINDS);

export { beadKind, convoyKind, agentKind, mailKind, moleculeKind, mrKind };

/** Opens the ledger of the repository around `cwd` with gt's kinds (see Ledger.open). */
export function openLedger(options: Omit<LedgerOptions, 'kinds' | 'checkoutAgent'>): Ledger {
  return Ledger.open({ ...options, kinds: ENTITY_KINDS, checkoutAgent });
}
