import type { Bead } from '../beads/bead.js';
import type { LedgerConfig } from './config.js';
import type { FileVersion, ObjectCache } from './snapshot.js';
import { CONFIG_PATH, dirOf, idFromPath } from './layout.js';
import { ENTITY_KINDS, beadKind } from '../kinds.js';
import type { Convoy } from '../convoys/convoy.js';
import type { AgentRecord } from '../agents/agent.js';
import type { Mail } from '../mail/mail.js';
import type { Molecule } from '../molecules/molecule.js';
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
  readonly convoys: EntityTable<Convoy>;
  readonly agents: EntityTable<AgentRecord>;
  readonly mail: EntityTable<Mail>;
  readonly molecules: EntityTable<Molecule>;
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

  // Entities go into their tables as the JSON text the index holds: parsed only if a command needs them.
  const tables = new Map<string, EntityTable<{ id: string }>>([...ENTITY_KINDS.keys()].map((dir) => [dir, EntityTable.of<{ id: string }>([])]));
  const brokenBeads = new Map<string, LedgerProblem>();
  const problems: LedgerProblem[] = [];
  for (const [path, version] of files) {
    const table = tables.get(dirOf(path));
    if (!table || !path.endsWith('.yaml')) continue;
    if ('value' in version) {
      table.set(version.value as { id: string });
      continue;
    }
    const record = records.get(path)!;
    const id = idFromPath(path) ?? path;
    if ('text' in record) {
      table.setText(id, record.status, record.text);
    } else {
      const problem: LedgerProblem = { path, problem: record.problem, ...(record.line !== undefined ? { line: record.line } : {}) };
      problems.push(problem);
      if (dirOf(path) === beadKind.dir) brokenBeads.set(id, problem);
    }
  }
  return viewOfTables(config, tables, brokenBeads, problems, head);
}

/** A view from its tables by directory (every kind present). */
export function viewOfTables(
  config: LedgerConfig,
  tables: ReadonlyMap<string, EntityTable<{ id: string }>>,
  brokenBeads: ReadonlyMap<string, LedgerProblem>,
  problems: readonly LedgerProblem[],
  head: string,
): LedgerView {
  const table = <T extends { id: string }>(dir: string): EntityTable<T> => (tables.get(dir) ?? EntityTable.of([])) as unknown as EntityTable<T>;
  return { config, beads: table('beads'), convoys: table('convoys'), agents: table('agents'), mail: table('mail'), molecules: table('molecules'), brokenBeads, problems, head };
}

/** The tables of a view by directory, for code that handles every kind alike. */
export function tablesOf(view: LedgerView): Map<string, EntityTable<{ id: string }>> {
  return new Map<string, EntityTable<{ id: string }>>([
    ['beads', view.beads],
    ['convoys', view.convoys],
    ['agents', view.agents],
    ['mail', view.mail],
    ['molecules', view.molecules],
  ]);
}
