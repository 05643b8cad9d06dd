import type { Bead } from '../beads/bead.js';
import type { LedgerConfig } from './config.js';
import type { FileVersion, ObjectCache } from './snapshot.js';
import { CONFIG_PATH, dirOf, idFromPath } from './layout.js';
import { beadKind } from './kinds.js';
import { EntityTable } from './entity-table.js';
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
  readonly beads: EntityTable<Bead>;
  /** Ids of bead files that exist but could not be read, with why. */
  readonly brokenBeads: ReadonlyMap<string, LedgerProblem>;
  readonly problems: readonly LedgerProblem[];
  /** The commit the view was read from (for an agent with unmerged changes: its branch tip). */
  readonly head: string;
}

export async function buildView(cache: ObjectCache, files: ReadonlyMap<string, FileVersion>, head: string): Promise<LedgerView> {
  const stored: [string, string][] = [];
  for (const [path, version] of files) if ('oid' in version) stored.push([path, version.oid]);
  const records = await cache.recordsOf(stored);

  if (!files.has(CONFIG_PATH)) {
    throw new RepositoryError(`the ledger at ${head.slice(0, 12)} has no ${CONFIG_PATH}`, 'run gt init to repair it');
  }
  const configVersion = files.get(CONFIG_PATH)!;
  let config: LedgerConfig;
  if ('value' in configVersion) {
    config = configVersion.value as LedgerConfig;
  } else {
    const record = records.get(CONFIG_PATH)!;
    if (!('text' in record)) throw new LedgerFileError(CONFIG_PATH, record.line, record.problem);
    config = JSON.parse(record.text) as LedgerConfig;
  }

  // Beads go into the table as the JSON text the index holds: parsed only if a command needs them.
  const beads = EntityTable.of<Bead>([]);
  const brokenBeads = new Map<string, LedgerProblem>();
  const problems: LedgerProblem[] = [];
  for (const [path, version] of files) {
    if (dirOf(path) !== beadKind.dir || !path.endsWith('.yaml')) continue;
    if ('value' in version) {
      beads.set(version.value as Bead);
      continue;
    }
    const record = records.get(path)!;
    const id = idFromPath(path) ?? path;
    if ('text' in record) {
      beads.setText(id, record.status, record.text);
    } else {
      const problem: LedgerProblem = { path, problem: record.problem, ...(record.line !== undefined ? { line: record.line } : {}) };
      problems.push(problem);
      brokenBeads.set(id, problem);
    }
  }
  return { config, beads, brokenBeads, problems, head };
}
