import type { LedgerConfig } from './config.js';
import type { FileVersion, ObjectCache } from './snapshot.js';
import { CONFIG_PATH, dirOf, idFromPath, logicalPath, storedPath } from './layout.js';
import { EntityTable, type Identified } from './entity-table.js';
import { LedgerFileError, RepositoryError } from '../errors.js';

/** A ledger file that cannot be read as what it should be. Every other entity keeps working. */
export interface LedgerProblem {
  /** Where the file is stored on the ledger (the shard folder included). */
  path: string;
  line?: number;
  problem: string;
}

/**
 * The entity tables of a view, by directory, and the type of entity each holds. The ledger declares
 * none: each domain adds its own where it defines its kind (`declare module '../ledger/view.js'`), and
 * src/kinds.ts registers the kinds themselves.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface LedgerTables {}

/** A map of table name to entity type, like LedgerTables or a part of it (`{ beads: Bead }`). */
export type TableMap<T> = { [K in keyof T]: Identified };

/** One EntityTable per entry of a table map. */
export type Tables<T extends TableMap<T>> = { readonly [K in keyof T]: EntityTable<T[K]> };

/** What every view has besides its tables. */
export interface ViewCore<T extends TableMap<T> = LedgerTables> {
  readonly config: LedgerConfig;
  /** Per table, the ids of entity files that exist but could not be read, with why. */
  readonly broken: { readonly [K in keyof T]: ReadonlyMap<string, LedgerProblem> };
  readonly problems: readonly LedgerProblem[];
  /** The commit the view was read from (for an agent with unmerged changes: its branch tip). */
  readonly head: string;
  /** Every table by directory, for code that handles every kind alike. */
  readonly tables: ReadonlyMap<string, EntityTable<Identified>>;
}

/**
 * The work state one actor sees: the ledger, plus (for an agent) its own changes not yet merged.
 * A domain names the tables it reads: `LedgerView<{ beads: Bead }>`; by default, every table.
 */
export type LedgerView<T extends TableMap<T> = LedgerTables> = ViewCore<T> & Tables<T>;

/** Names a table cannot have: the view's own fields. */
export const RESERVED_TABLE_NAMES: readonly string[] = ['config', 'broken', 'problems', 'head', 'tables', 'view', 'actor', 'now'];

export async function buildView(cache: ObjectCache, files: ReadonlyMap<string, FileVersion>, head: string): Promise<LedgerView> {
  const stored: [string, string][] = [];
  for (const [path, version] of files) if ('oid' in version) stored.push([path, version.oid]);
  const records = await cache.recordsOf(stored);

  if (!files.has(CONFIG_PATH)) {
    throw new RepositoryError(`the ledger at ${head.slice(0, 12)} has no ${CONFIG_PATH}`, 'run gt init to write a new one (every bead is kept)');
  }
  const configVersion = files.get(CONFIG_PATH)!;
  let config: LedgerConfig;
  if ('value' in configVersion) {
    config = configVersion.value as LedgerConfig;
  } else {
    const record = records.get(CONFIG_PATH)!;
    if (!('text' in record)) {
      // A gt.yaml from a newer gt is not broken: upgrading is the fix, not rewriting it.
      const hint = record.problem.includes('upgrade gt') ? undefined : 'run gt init to write a valid one (every bead is kept), or fix it on the ledger branch';
      throw new LedgerFileError(CONFIG_PATH, record.line, record.problem, hint);
    }
    config = JSON.parse(record.text) as LedgerConfig;
  }

  // Entities go into their tables as the JSON text the index holds: parsed only if a command needs them.
  const tables = new Map<string, EntityTable<Identified>>([...cache.kinds.keys()].map((dir) => [dir, EntityTable.of<Identified>([])]));
  const problems: LedgerProblem[] = [];
  for (const [path, version] of files) {
    const table = tables.get(dirOf(path));
    if (!table || idFromPath(path) === undefined) continue;
    if ('value' in version) {
      table.set(version.value as Identified);
      continue;
    }
    const record = records.get(path)!;
    const id = idFromPath(path) ?? path;
    if ('text' in record) {
      table.setText(id, record.status, record.text);
    } else {
      // Named where the file is stored (beads/3f/gt-4f2a.yaml), so that a person can open it.
      problems.push({ path: storedPath(path), problem: record.problem, ...(record.line !== undefined ? { line: record.line } : {}) });
    }
  }
  return viewOfTables(config, tables, problems, head);
}

/**
 * A view from its tables by directory (every registered kind present). The problems of files in a
 * table's directory make that table's `broken` entries.
 */
export function viewOfTables(
  config: LedgerConfig,
  tables: ReadonlyMap<string, EntityTable<Identified>>,
  problems: readonly LedgerProblem[],
  head: string,
): LedgerView {
  const broken: Record<string, Map<string, LedgerProblem>> = {};
  for (const dir of tables.keys()) broken[dir] = new Map();
  for (const p of problems) {
    const path = logicalPath(p.path);
    broken[dirOf(path)]?.set(idFromPath(path) ?? path, p);
  }
  const view: Record<string, unknown> = { config, broken, problems, head, tables };
  for (const [dir, table] of tables) view[dir] = table;
  return view as unknown as LedgerView;
}

/** The tables of a view by directory, for code that handles every kind alike. */
export function tablesOf(view: ViewCore<object>): Map<string, EntityTable<Identified>> {
  return new Map(view.tables);
}
