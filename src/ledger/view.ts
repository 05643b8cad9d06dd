import type { LedgerConfig } from './config.js';
import { dirOf, idFromPath, logicalPath } from './layout.js';
import { EntityTable, type Identified } from './entity-table.js';

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

/**
 * A view from its tables by directory (every registered kind present). The problems of files in a
 * table's directory make that table's `broken` entries, unless `broken` gives them per table. Problems
 * given as a function are worked out the first time a command asks for them (head-view.ts).
 */
export function viewOfTables(
  config: LedgerConfig,
  tables: ReadonlyMap<string, EntityTable<Identified>>,
  problems: readonly LedgerProblem[] | (() => readonly LedgerProblem[]),
  head: string,
  brokenByTable?: ReadonlyMap<string, ReadonlyMap<string, LedgerProblem>>,
): LedgerView {
  const broken: Record<string, ReadonlyMap<string, LedgerProblem>> = {};
  if (brokenByTable) {
    for (const dir of tables.keys()) broken[dir] = brokenByTable.get(dir) ?? new Map();
  } else {
    const found: Record<string, Map<string, LedgerProblem>> = {};
    for (const dir of tables.keys()) broken[dir] = found[dir] = new Map();
    for (const p of typeof problems === 'function' ? problems() : problems) {
      const path = logicalPath(p.path);
      found[dirOf(path)]?.set(idFromPath(path) ?? path, p);
    }
  }
  const view: Record<string, unknown> = { config, broken, head, tables };
  if (typeof problems === 'function') Object.defineProperty(view, 'problems', { get: problems, enumerable: true });
  else view.problems = problems;
  for (const [dir, table] of tables) view[dir] = table;
  return view as unknown as LedgerView;
}
