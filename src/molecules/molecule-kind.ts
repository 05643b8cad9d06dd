/** What the ledger needs to store, read and merge molecule files (`molecules/<id>.yaml`). */
import type { EntityKind } from '../ledger/entity-kind.js';
import { entityPath } from '../ledger/layout.js';
import { decodeMolecule, encodeMolecule, type Molecule } from './molecule.js';
import { isSameMolecule, mergeMolecule } from './molecule-merge.js';

declare module '../ledger/view.js' {
  interface LedgerTables {
    molecules: Molecule;
  }
}

export const moleculeKind: EntityKind<Molecule> = {
  dir: 'molecules',
  decode: decodeMolecule,
  encode: encodeMolecule,
  idOf: (molecule) => molecule.id,
  merge: mergeMolecule,
  sameIdentity: isSameMolecule,
  // The bound bead follows when it was renamed by an id collision.
  renameId: (molecule, from, to) => ({
    ...molecule,
    id: molecule.id === from ? to : molecule.id,
    ...(molecule.bead === from ? { bead: to } : {}),
  }),
  // The bead a molecule works on must exist: finishing the last step closes it.
  check: (view) =>
    [...view.molecules.values()]
      .filter((m) => m.bead !== undefined && !view.beads.has(m.bead) && !view.broken.beads.has(m.bead))
      .map((m) => ({ severity: 'error' as const, path: entityPath('molecules', m.id), message: `bead ${m.bead} does not exist` })),
};
