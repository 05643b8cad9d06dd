import { asciiJson } from './ascii-json.js';

/** What the table needs of an entity: its id and, when it has one, its status. */
export interface Identified {
  readonly id: string;
}

interface Row<T> {
  status: string;
  /** The entity as JSON, when it came from the view cache and has not been needed yet. */
  text?: string;
  value?: T;
}

/** The `status` of an entity, '' for entities without one. */
export function statusField(value: unknown): string {
  const status = (value as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : '';
}

/**
 * The entities of one kind in a view, by id. Entities read from the view cache stay JSON text until
 * something asks for them, and each row carries the entity's status, so that a command that only
 * needs the open beads, or one bead and its neighbours, does not parse the whole ledger. Values are
 * trusted: they were validated when their ledger file was decoded.
 */
export class EntityTable<T extends Identified> implements ReadonlyMap<string, T> {
  private constructor(private readonly rows: Map<string, Row<T>>) {}

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
    return this.rows.size;
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  get(id: string): T | undefined {
    const row = this.rows.get(id);
    return row ? this.valueOf(row) : undefined;
  }

  /** The entity's JSON text (ASCII), undefined when there is no such entity. */
  textOf(id: string): string | undefined {
    const row = this.rows.get(id);
    return row ? this.textOfRow(row) : undefined;
  }

  /** The status without parsing the entity. */
  statusOf(id: string): string | undefined {
    return this.rows.get(id)?.status;
  }

  /** The entities whose status passes `keep`; the others are never parsed. */
  withStatus(keep: (status: string) => boolean): T[] {
    const out: T[] = [];
    for (const row of this.rows.values()) if (keep(row.status)) out.push(this.valueOf(row));
    return out;
  }

  /** The entities whose status passes `keep`, as their JSON text (never parsed here). */
  textsWithStatus(keep: (status: string) => boolean): { id: string; status: string; text: string }[] {
    const out: { id: string; status: string; text: string }[] = [];
    for (const [id, row] of this.rows) if (keep(row.status)) out.push({ id, status: row.status, text: this.textOfRow(row) });
    return out;
  }

  keys(): MapIterator<string> {
    return this.rows.keys();
  }

  *values(): MapIterator<T> {
    for (const row of this.rows.values()) yield this.valueOf(row);
  }

  *entries(): MapIterator<[string, T]> {
    for (const [id, row] of this.rows) yield [id, this.valueOf(row)];
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(callback: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    for (const [id, row] of this.rows) callback(this.valueOf(row), id, this);
  }

  /** A copy to change: rows are shared, so what either side already parsed is parsed once. */
  fork(): EntityTable<T> {
    return new EntityTable(new Map(this.rows));
  }

  /** Adds a row as JSON text; it is parsed if and when it is asked for. */
  setText(id: string, status: string, text: string): void {
    this.rows.set(id, { status, text });
  }

  set(value: T): void {
    this.rows.set(value.id, { status: statusField(value), value });
  }

  delete(id: string): void {
    this.rows.delete(id);
  }

  /** Every row as the view cache stores it; unparsed rows keep their original text. */
  *textRows(): Generator<[id: string, status: string, text: string]> {
    for (const [id, row] of this.rows) yield [id, row.status, this.textOfRow(row)];
  }

  private textOfRow(row: Row<T>): string {
    row.text ??= asciiJson(row.value);
    return row.text;
  }

  private valueOf(row: Row<T>): T {
    row.value ??= JSON.parse(row.text!) as T;
    return row.value;
  }
}
