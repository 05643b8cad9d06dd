import { RESERVED_TABLE_NAMES, type LedgerView } from './view.js';
import type { DoctorFinding } from './doctor.js';
import type { LinksOf } from './links.js';

/** What the ledger needs to know about one kind of entity to store, read and merge its files. */
export interface MergeNote {
  /** The entity the note is about. */
  id: string;
  field: string;
  kept: unknown;
  superseded: unknown;
}

export interface EntityKind<T> {
  /** Directory on the ledger: one `<id>.yaml` file per entity. */
  readonly dir: string;
  /** Parses and validates a file; throws LedgerFileError naming the path and line. */
  decode(text: string, path: string): T;
  encode(value: T): string;
  idOf(value: T): string;
  /** Three-way, field-level merge; `base` undefined when both sides added the entity. */
  merge(base: T | undefined, ours: T, theirs: T): { value: T; notes: MergeNote[] };
  /** Two files with the same id that describe the same entity (as opposed to an id collision). */
  sameIdentity(a: T, b: T): boolean;
  /**
   * The fields whose writes the files record (`seen`/`writes`, merge/causal.ts), stamped by every
   * transaction write; none for a kind that keeps its own bookkeeping (molecules).
   */
  readonly causalFields?: readonly string[];
  /** The entity with every reference to `from` (its own id included) replaced by `to`. */
  renameId(value: T, from: string, to: string): T;
  /**
   * The references an entity makes to others of its kind, read from its JSON text (a bead's
   * dependencies): with it, views answer "who refers to X" from an index (links.ts) instead of a scan.
   */
  readonly links?: LinksOf;
  /** What `gt doctor` finds wrong with the entities of this kind beyond their files (dangling references). */
  check?(view: LedgerView): DoctorFinding[];
}

/** The kinds a ledger stores, by directory, in the order registered (src/kinds.ts). */
export type EntityKinds = ReadonlyMap<string, EntityKind<unknown>>;

/**
 * The kinds to open a ledger with, from a record of table name to kind (the name is the kind's
 * directory). Throws on a name that is not its kind's directory or that a view uses for itself.
 */
export function defineKinds<T>(kinds: { readonly [K in keyof T]: EntityKind<T[K]> }): EntityKinds {
  const map = new Map<string, EntityKind<unknown>>();
  for (const [name, kind] of Object.entries<EntityKind<unknown>>(kinds)) {
    if (kind.dir !== name) throw new Error(`entity kind '${name}' keeps its files in '${kind.dir}/': register it as '${kind.dir}'`);
    if (RESERVED_TABLE_NAMES.includes(name) || !/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`'${name}' cannot name an entity kind`);
    map.set(name, kind as unknown as EntityKind<unknown>);
  }
  return map;
}
