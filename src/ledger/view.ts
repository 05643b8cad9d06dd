import type { Bead } from '../beads/bead.js';
import type { LedgerConfig } from './config.js';
import type { FileVersion, ObjectCache } from './snapshot.js';
import { CONFIG_PATH, dirOf, idFromPath } from './layout.js';
import { beadKind } from './kinds.js';
import { LedgerFileError, RepositoryError } from '../errors.js';

/** A ledger file that cannot be read as what it should be. Every other entity keeps working. */
export interface LedgerProblem {
  path: string;
  line?: number;
  problem: string;
}

/** The work state one actor sees: the ledger, plus (for an agent) its own changes not yet merged. */
export interface LedgerView {
  readonly config: LedgerConfig;
  readonly beads: ReadonlyMap<string, Bead>;
  /** Ids of bead files that exist but could not be read, with why. */
  readonly brokenBeads: ReadonlyMap<string, LedgerProblem>;
  readonly problems: readonly LedgerProblem[];
  /** The commit the view was read from (for an agent with unmerged changes: its branch tip). */
  readonly head: string;
}

export async function buildView(cache: ObjectCache, files: ReadonlyMap<string, FileVersion>, head: string): Promise<LedgerView> {
  const stored: [string, string][] = [];
  for (const [path, version] of files) if ('oid' in version) stored.push([path, version.oid]);
  const decoded = await cache.decodeAll(stored);
  const valueAt = (path: string): { value: unknown } | LedgerProblem => {
    const version = files.get(path)!;
    if ('value' in version) return { value: version.value };
    const d = decoded.get(path)!;
    return 'value' in d ? d : { path, problem: d.problem, ...(d.line !== undefined ? { line: d.line } : {}) };
  };

  if (!files.has(CONFIG_PATH)) {
    throw new RepositoryError(`the ledger at ${head.slice(0, 12)} has no ${CONFIG_PATH}`, 'run gt init to repair it');
  }
  const configResult = valueAt(CONFIG_PATH);
  if (!('value' in configResult)) throw new LedgerFileError(CONFIG_PATH, configResult.line, configResult.problem);
  const config = configResult.value as LedgerConfig;

  const beads = new Map<string, Bead>();
  const brokenBeads = new Map<string, LedgerProblem>();
  const problems: LedgerProblem[] = [];
  for (const path of files.keys()) {
    if (dirOf(path) !== beadKind.dir || !path.endsWith('.yaml')) continue;
    const result = valueAt(path);
    if ('value' in result) {
      const bead = result.value as Bead;
      beads.set(bead.id, bead);
    } else {
      problems.push(result);
      brokenBeads.set(idFromPath(path) ?? path, result);
    }
  }
  return { config, beads, brokenBeads, problems, head };
}
