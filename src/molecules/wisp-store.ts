/**
 * Wisps: molecules kept only on this machine, in `<git common dir>/gt/wisps/<id>.yaml` (the same file
 * format as the ledger's). They are never committed and never pushed; `gt mol squash` leaves a digest
 * bead on the ledger, `gt mol burn` drops them without trace. Writes happen under gt's write lock (the
 * callers run them inside a ledger write) and land by rename, so a killed process never leaves half a file.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GtError, LedgerFileError, NotFoundError } from '../errors.js';
import type { LedgerProblem } from '../ledger/view.js';
import { closestIds } from '../beads/ids.js';
import { decodeMolecule, encodeMolecule, type Molecule } from './molecule.js';

export class WispStore {
  readonly dir: string;
  private readonly cache = new Map<string, Molecule>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'wisps');
  }

  /** Ids of the wisps on this machine, sorted. */
  ids(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((f) => f.endsWith('.yaml') && !f.startsWith('.'))
        .map((f) => f.slice(0, -5))
        .sort();
    } catch {
      return [];
    }
  }

  pathOf(id: string): string {
    return join(this.dir, `${id}.yaml`);
  }

  /** One wisp; a broken file throws an error with its path and line. */
  read(id: string): Molecule {
    try {
      return this.decode(id);
    } catch (error) {
      if (error instanceof LedgerFileError) throw new GtError(error.message, 'fix or delete the wisp file (it is only on this machine)');
      throw error;
    }
  }

  private decode(id: string): Molecule {
    const known = this.cache.get(id);
    if (known) return known;
    let text: string;
    try {
      text = readFileSync(this.pathOf(id), 'utf8');
    } catch {
      throw new NotFoundError('wisp', id, closestIds(id, this.ids()));
    }
    const molecule = decodeMolecule(text, this.pathOf(id));
    this.cache.set(id, molecule);
    return molecule;
  }

  /** Every wisp that can be read, and the files that cannot. */
  all(): { molecules: Molecule[]; problems: LedgerProblem[] } {
    const molecules: Molecule[] = [];
    const problems: LedgerProblem[] = [];
    for (const id of this.ids()) {
      try {
        molecules.push(this.decode(id));
      } catch (error) {
        if (!(error instanceof LedgerFileError)) throw error;
        problems.push({ path: error.path, problem: error.problem, ...(error.line !== undefined ? { line: error.line } : {}) });
      }
    }
    return { molecules, problems };
  }

  write(molecule: Molecule): void {
    const text = encodeMolecule(molecule);
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${molecule.id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, this.pathOf(molecule.id));
    this.cache.set(molecule.id, molecule);
  }

  remove(id: string): void {
    rmSync(this.pathOf(id), { force: true });
    this.cache.delete(id);
  }
}
