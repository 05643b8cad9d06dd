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
  /** The entity with every reference to `from` (its own id included) replaced by `to`. */
  renameId(value: T, from: string, to: string): T;
}
