import { asciiJson } from './ascii-json.js';
import type { Derivation } from './derived.js';

/** What the table needs of an entity: its id and, when it has one, its status. */
export interface Identified {
  readonly id: string;
}

interface Row<T> {
  status: string;
  /** The entity as JSON, when it came from the view cache and has not been needed yet. */
  text?: string;
  value?: T;
  /** Reads the JSON text of a row whose file is stored in git and not held (setStored). */
  load?: () => string;
}

/** The `status` of an entity, '' for entities without one. */
export function statusField(value: unknown): string {
  const status = (value as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : '';
}

/**
 * Where a table's rows come from when they are read on demand: shards of rows (shard-store.ts) and
 * rows read up front (files stored flat, in an older layout).
 */
export interface TableSource {
  /** Shard names, each loaded (synchronously) the first time the table needs one of its rows. */
  readonly shards: readonly string[];
  rowsOf(shard: string): readonly SourceRow[];
  /** Like rowsOf, but rows not already held are read for the caller alone (see EntityTable.fork). */
  peekRowsOf?(shard: string): readonly SourceRow[];
  /** The shard an id's file belongs in. */
  shardOf(id: string): string;
  /** How many entities the table holds, without loading it (files counted, so a misplaced duplicate counts twice). */
  readonly sizeHint: number;
  /** Who refers to `id` as the source's files stand (links.ts); undefined when it cannot tell without loading. */
  referrers?(id: string): { source: string; type: string }[];
  /** A text derived from every row as the source holds them (derived.ts), kept per folder tree and carried forward by what changed. */
  derived?(derivation: Derivation): string;
  /** The references an entity's JSON text makes (links.ts), for the rows this table changed. */
  linksOf?(text: string): readonly (readonly [type: string, target: string])[];
}

/** A row as a source keeps it; the table holds it as it is (parsing fills in `value`, shared by every table that holds it). */
export interface SourceRow {
  readonly id: string;
  readonly status: string;
  readonly text: string;
  readonly misplaced?: true;
  value?: unknown;
}

/** Rows of the BROKEN status (shard-store.ts) are problems, kept out of the table. */
const BROKEN_STATUS = '!';

/**
 * The entities of one kind in a view, by id. Entities read from the view cache stay JSON text until
 * something asks for them, and each row carries the entity's status, so that a command that only
 * needs the open beads, or one bead and its neighbours, does not parse the whole ledger. Values are
 * trusted: they were validated when their ledger file was decoded.
 */
export class EntityTable<T extends Identified> implements ReadonlyMap<string, T> {
  private constructor(
    private rows: Map<string, Row<T>>,
    /**
     * For a table read on demand: its source, the shards not loaded yet, the ids this table changed,
     * whether shards were loaded out of their order (one entity asked for before all of them), and
     * whether the shards it reads are its own (fork).
     */
    private readonly lazy?: { source: TableSource; pending: Set<string>; changed: Set<string>; outOfOrder?: boolean; ownReads?: boolean },
  ) {}

  /**
   * A table whose shards are loaded when first needed: `get` of one id reads one shard, and only a
   * question about every entity (`values`, `size`) reads them all. `loose` rows are in from the start.
   */
  static onDemand<T extends Identified>(source: TableSource, loose: Iterable<{ id: string; status: string; text: string }>): EntityTable<T> {
    const map = new Map<string, Row<T>>();
    for (const row of loose) if (row.status !== BROKEN_STATUS) map.set(row.id, { status: row.status, text: row.text });
    return new EntityTable(map, { source, pending: new Set(source.shards), changed: new Set() });
  }

  /** Loads the shard `id` belongs in, unless loaded. */
  private need(id: string): void {
    const lazy = this.lazy;
    if (lazy && lazy.pending.size > 0) {
      const shard = lazy.source.shardOf(id);
      if (lazy.pending.has(shard)) {
        lazy.outOfOrder = true;
        this.loadShard(shard);
      }
    }
  }

  private needAll(): void {
    const lazy = this.lazy;
    if (!lazy || lazy.pending.size === 0) return;
    for (const shard of [...lazy.pending]) this.loadShard(shard);
    if (lazy.outOfOrder) this.restoreOrder();
  }

  /**
   * Puts the rows back in the order of the files (flat ones, then shard by shard), with entities this
   * table added last: iterating a table gives the same order whatever was looked up before.
   */
  private restoreOrder(): void {
    const lazy = this.lazy!;
    lazy.outOfOrder = false;
    const ordered = new Map<string, Row<T>>();
    const take = (id: string): void => {
      const row = this.rows.get(id);
      if (row && !ordered.has(id)) ordered.set(id, row);
    };
    for (const [id, row] of this.rows) if (!lazy.changed.has(id)) take(id);
    for (const shard of lazy.source.shards) for (const row of this.rowsOf(shard)) take(row.id);
    for (const id of this.rows.keys()) take(id);
    this.rows = ordered;
  }

  private rowsOf(shard: string): readonly SourceRow[] {
    const { source, ownReads } = this.lazy!;
    return ownReads && source.peekRowsOf ? source.peekRowsOf(shard) : source.rowsOf(shard);
  }

  private loadShard(shard: string): void {
    const lazy = this.lazy!;
    lazy.pending.delete(shard);
    for (const row of this.rowsOf(shard)) {
      if (row.status === BROKEN_STATUS) continue;
      // A file in its own shard wins over a flat copy; a file in a shard not its own (misplaced by
      // hand) only fills a gap. What this table changed itself is never overwritten.
      if (lazy.changed.has(row.id) || (row.misplaced && this.rows.has(row.id))) continue;
      this.rows.set(row.id, row as Row<T>);
    }
  }

  /**
   * Who refers to `id` among this table's entities, by the source's references plus what this table
   * changed; undefined when the table cannot tell without a scan (the caller scans).
   */
  referrers(id: string): { source: string; type: string }[] | undefined {
    const lazy = this.lazy;
    const found = lazy?.source.referrers?.(id);
    if (!lazy || !found || !lazy.source.linksOf) return undefined;
    const out = found.filter((r) => !lazy.changed.has(r.source));
    for (const changed of lazy.changed) {
      const text = this.textOf(changed);
      if (text !== undefined) for (const [type, target] of lazy.source.linksOf(text)) if (target === id) out.push({ source: changed, type });
    }
    return out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.type < b.type ? -1 : 1));
  }

  /**
   * A derived text (derived.ts) for this table, from the source's store; undefined for a table that
   * is not read from a source or that has changed since (a transaction's): the caller works it out.
   */
  derived(derivation: Derivation): string | undefined {
    const lazy = this.lazy;
    return lazy && lazy.changed.size === 0 && lazy.source.derived ? lazy.source.derived(derivation) : undefined;
  }

  /** What choosing a fresh id needs, without loading every shard: how many there are, and whether one is taken. */
  idSet(): { readonly size: number; has(id: string): boolean } {
    const size = this.lazy && this.lazy.pending.size > 0 ? Math.max(this.lazy.source.sizeHint, this.rows.size) : this.rows.size;
    return { size, has: (id) => this.has(id) };
  }

  static of<T extends Identified>(values: Iterable<T>): EntityTable<T> {
    const rows = new Map<string, Row<T>>();
    for (const value of values) rows.set(value.id, { status: statusField(value), value });
    return new EntityTable(rows);
  }

  /** Rows as the view cache stores them: id, status, JSON text. */
  static fromText<T extends Identified>(rows: Iterable<[id: string, status: string, text: string]>): EntityTable<T> {
    const map = new Map<string, Row<T>>();
    for (const [id, status, text] of rows) map.set(id, { status, text });
    return new EntityTable(map);
  }

  get size(): number {
    this.needAll();
    return this.rows.size;
  }

  has(id: string): boolean {
    this.need(id);
    return this.rows.has(id);
  }

  get(id: string): T | undefined {
    this.need(id);
    const row = this.rows.get(id);
    return row ? this.valueOf(row) : undefined;
  }

  /**
   * The entity, parsed for this call only when it is not parsed yet: for a write that replaces it,
   * so that rewriting every entity (an import) does not leave every old version parsed in the rows
   * the view shares.
   */
  getOnce(id: string): T | undefined {
    this.need(id);
    const row = this.rows.get(id);
    if (!row) return undefined;
    return row.value ?? (JSON.parse(this.textOfRow(row)) as T);
  }

  /** The entity's JSON text (ASCII), undefined when there is no such entity. */
  textOf(id: string): string | undefined {
    this.need(id);
    const row = this.rows.get(id);
    return row ? this.textOfRow(row) : undefined;
  }

  /** The status without parsing the entity. */
  statusOf(id: string): string | undefined {
    this.need(id);
    return this.rows.get(id)?.status;
  }

  /** The entities whose status passes `keep`; the others are never parsed. */
  withStatus(keep: (status: string) => boolean): T[] {
    this.needAll();
    const out: T[] = [];
    for (const row of this.rows.values()) if (keep(row.status)) out.push(this.valueOf(row));
    return out;
  }

  /** The entities whose status passes `keep`, as their JSON text (never parsed here). */
  textsWithStatus(keep: (status: string) => boolean): { id: string; status: string; text: string }[] {
    this.needAll();
    const out: { id: string; status: string; text: string }[] = [];
    for (const [id, row] of this.rows) if (keep(row.status)) out.push({ id, status: row.status, text: this.textOfRow(row) });
    return out;
  }

  keys(): MapIterator<string> {
    this.needAll();
    return this.rows.keys();
  }

  *values(): MapIterator<T> {
    this.needAll();
    for (const row of this.rows.values()) yield this.valueOf(row);
  }

  *entries(): MapIterator<[string, T]> {
    this.needAll();
    for (const [id, row] of this.rows) yield [id, this.valueOf(row)];
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(callback: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    this.needAll();
    for (const [id, row] of this.rows) callback(this.valueOf(row), id, this);
  }

  /**
   * A copy to change: rows are shared, so what either side already parsed is parsed once. Shards the
   * copy reads are its own (not kept by the source for others): a transaction that rewrites every
   * entity then lets go of each old row as it replaces it (an import at 50,000 beads: 40 MB).
   */
  fork(): EntityTable<T> {
    const lazy = this.lazy;
    return new EntityTable(new Map(this.rows), lazy && { source: lazy.source, pending: new Set(lazy.pending), changed: new Set(lazy.changed), ownReads: true });
  }

  private changing(id: string): void {
    this.need(id);
    this.lazy?.changed.add(id);
  }

  set(value: T): void {
    this.changing(value.id);
    this.rows.set(value.id, { status: statusField(value), value });
  }

  /**
   * Adds a row held as nothing but its status and a way to read it again (from the file stored in
   * git), for a write of thousands of rows: its text is read if and when it is asked for.
   */
  setStored(id: string, status: string, load: () => string): void {
    this.changing(id);
    this.rows.set(id, { status, load });
  }

  delete(id: string): void {
    this.changing(id);
    this.rows.delete(id);
  }

  /** Every row as the view cache stores it; unparsed rows keep their original text. */
  *textRows(): Generator<[id: string, status: string, text: string]> {
    this.needAll();
    for (const [id, row] of this.rows) yield [id, row.status, this.textOfRow(row)];
  }

  private textOfRow(row: Row<T>): string {
    row.text ??= row.value === undefined ? row.load!() : asciiJson(row.value);
    return row.text;
  }

  private valueOf(row: Row<T>): T {
    row.value ??= JSON.parse(this.textOfRow(row)) as T;
    return row.value;
  }
}
