import type { EntityKind } from './ledger/entity-kind.js';
import type { Bead } from './beads/bead.js';
import { decodeBead, encodeBead } from './beads/bead-codec.js';
import { isSameBead, mergeBead } from './beads/bead-merge.js';
import { convoyKind } from './convoys/convoy.js';
import { agentKind } from './agents/agent.js';
import { mailKind } from './mail/mail.js';
import { moleculeKind } from './molecules/molecule-kind.js';

export const beadKind: EntityKind<Bead> = {
  dir: 'beads',
  decode: decodeBead,
  encode: encodeBead,
  idOf: (bead) => bead.id,
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
};

/** Every kind of entity kept on the ledger, by directory. */
export const ENTITY_KINDS: ReadonlyMap<string, EntityKind<unknown>> = new Map<string, EntityKind<unknown>>([
  [beadKind.dir, beadKind as EntityKind<unknown>],
  [convoyKind.dir, convoyKind as EntityKind<unknown>],
  [agentKind.dir, agentKind as EntityKind<unknown>],
  [mailKind.dir, mailKind as EntityKind<unknown>],
  [moleculeKind.dir, moleculeKind as EntityKind<unknown>],
]);

export { convoyKind, agentKind, mailKind, moleculeKind };
