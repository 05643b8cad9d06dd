/** What the ledger needs to store, read and merge molecule files (`molecules/<id>.yaml`). */
import type { EntityKind } from '../ledger/entity-kind.js';
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
};
