/** What the ledger needs to store, read and merge bead files (`beads/<id>.yaml`). */
import type { EntityKind } from '../ledger/entity-kind.js';
import type { Transaction } from '../ledger/ledger.js';
import { CAUSAL_FIELDS, type Bead } from './bead.js';
import { decodeBead, encodeBead } from './bead-codec.js';
import { isSameBead, mergeBead } from './bead-merge.js';
import { checkBeads } from './bead-doctor.js';
import { depsOfJson } from './bead-json.js';

declare module '../ledger/view.js' {
  interface LedgerTables {
    beads: Bead;
  }
}

export const beadKind: EntityKind<Bead> = {
  dir: 'beads',
  decode: decodeBead,
  encode: encodeBead,
  idOf: (bead) => bead.id,
  causalFields: CAUSAL_FIELDS,
  merge: (base, ours, theirs) => {
    const { bead, notes } = mergeBead(base, ours, theirs);
    return { value: bead, notes: notes.map((n) => ({ id: n.beadId, field: n.field, kept: n.kept, superseded: n.superseded })) };
  },
  sameIdentity: isSameBead,
  renameId: (bead, from, to) => ({
    ...bead,
    id: bead.id === from ? to : bead.id,
    deps: bead.deps.map((d) => (d.id === from ? { ...d, id: to } : d)),
  }),
  check: checkBeads,
  // Dependencies, read from the JSON text without parsing the bead (bead-json.ts): what `show`'s
  // dependents come from, through the view's index of references.
  links: (text) => (depsOfJson(text) ?? []).map((d) => [d.type, d.id] as const),
};

/** Writes a bead as given (beads keep their own edit stamps); the transaction records the write. */
export function putBead(tx: Transaction<{ beads: Bead }>, bead: Bead): void {
  tx.putEntity(beadKind, bead);
}
