import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { LedgerConfig } from './config.js';
import { tablesOf, viewOfTables, type LedgerProblem, type LedgerView } from './view.js';
import { EntityTable, type Identified } from './entity-table.js';
import type { EntityKinds } from './entity-kind.js';
import { asciiJson } from './ascii-json.js';

/**
 * The first line of a cached view; one line per entity follows: `<dir>\t<id>\t<status>\t<entity as JSON>`.
 * A view written by a write holds only the entities the write changed, on top of the view it started
 * from (`base`); a removed entity is a row with status `-` and no text.
 */
interface ViewHeader {
  version: number;
  head: string;
  config: LedgerConfig;
  problems: LedgerProblem[];
  base?: string;
  /** How many views this one stands on. */
  depth?: number;
}

const VERSION = 7;
/** Views of the most recent heads kept (the ledger's and agents' latest ones); older ones are removed. */
const KEEP = 24;
/** A chain of views on views is cut (the next one written whole) past this many. */
const MAX_DEPTH = 8;
const REMOVED = '-';
/** Views kept in memory by a long-lived process (gt mcp, gt watch): the current heads, read without touching the disk. */
const IN_MEMORY = 4;

export interface ViewDelta {
  /** The key of the view the change was made to. */
  base: string;
  /** The entities the change wrote or removed. */
  changed: Iterable<[dir: string, id: string]>;
}

function parseRow(line: string): [dir: string, row: [string, string, string]] | undefined {
  const a = line.indexOf('\t');
  const b = line.indexOf('\t', a + 1);
  const c = line.indexOf('\t', b + 1);
  if (a <= 0 || b < 0 || c < 0) return undefined;
  return [line.slice(0, a), [line.slice(a + 1, b), line.slice(b + 1, c), line.slice(c + 1)]];
}

/**
 * Finished views keyed by the commits they were read from. A read whose refs have not moved since
 * the last read or write loads one flat file instead of rebuilding the view from the index: the
 * common case. Like the index, it is keyed by commit ids and cannot go stale. Beads stay JSON text
 * until a command needs them (see EntityTable).
 */
export class ViewCache {
  private readonly dir: string;

  constructor(
    stateDir: string,
    /** The kinds a view has a table for, each one present even when empty. */
    private readonly kinds: EntityKinds,
  ) {
    this.dir = join(stateDir, 'views');
  }

  /** How deep in a chain each view read by this process stands (to know when to cut the chain). */
  private readonly depths = new Map<string, number>();
  /** The views this process read or wrote last, most recent last. Views are never changed in place (a write forks the tables). */
  private readonly recent = new Map<string, LedgerView>();

  private remember(key: string, view: LedgerView): void {
    this.recent.delete(key);
    this.recent.set(key, view);
    if (this.recent.size > IN_MEMORY) this.recent.delete(this.recent.keys().next().value!);
  }

  get(key: string, depth = 0): LedgerView | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const kept = this.recent.get(key);
    if (kept) {
      this.remember(key, kept);
      return kept;
    }
    let lines: string[];
    let header: ViewHeader;
    try {
      // Every row is ASCII JSON (see asciiJson), and so is the header: the one-byte read is exact.
      lines = readFileSync(join(this.dir, `${key}.view`), 'latin1').split('\n');
      header = JSON.parse(lines[0]!) as ViewHeader;
    } catch {
      return undefined;
    }
    if (header.version !== VERSION || lines[lines.length - 1] !== '') return undefined;
    const base = header.base !== undefined ? this.get(header.base, depth + 1) : undefined;
    if (header.base !== undefined && !base) return undefined;
    const rows = new Map<string, [string, string, string][]>();
    for (let i = 1; i < lines.length - 1; i++) {
      const parsed = parseRow(lines[i]!);
      if (!parsed) return undefined;
      let list = rows.get(parsed[0]);
      if (!list) rows.set(parsed[0], (list = []));
      list.push(parsed[1]);
    }
    let tables: Map<string, EntityTable<Identified>>;
    if (base) {
      tables = new Map([...tablesOf(base)].map(([dir, table]) => [dir, table.fork()]));
      for (const [dir, list] of rows) {
        const table = tables.get(dir);
        if (!table) return undefined;
        for (const [id, status, text] of list) {
          if (status === REMOVED) table.delete(id);
          else table.setText(id, status, text);
        }
      }
    } else {
      tables = new Map([...this.kinds.keys()].map((dir) => [dir, EntityTable.fromText<Identified>(rows.get(dir) ?? [])]));
      for (const dir of rows.keys()) if (!tables.has(dir)) return undefined;
    }
    this.depths.set(key, header.depth ?? 0);
    const view = viewOfTables(header.config, tables, header.problems, header.head);
    this.remember(key, view);
    return view;
  }

  /**
   * Stores a view. With `delta` (a write that started from a cached view), only what the write changed
   * is written, on top of that view: a write does not rewrite the whole ledger's worth of JSON.
   */
  put(key: string, view: LedgerView, delta?: ViewDelta): void {
    this.remember(key, view);
    try {
      mkdirSync(this.dir, { recursive: true });
      const baseDepth = delta ? this.depths.get(delta.base) : undefined;
      const onBase = delta !== undefined && baseDepth !== undefined && baseDepth + 1 < MAX_DEPTH;
      const header: ViewHeader = {
        version: VERSION,
        head: view.head,
        config: view.config,
        problems: [...view.problems],
        ...(onBase ? { base: delta.base, depth: baseDepth + 1 } : {}),
      };
      const parts = [asciiJson(header)];
      if (onBase) {
        const tables = tablesOf(view);
        for (const [dir, id] of delta.changed) {
          const text = tables.get(dir)?.textOf(id);
          parts.push(text === undefined ? `${dir}\t${id}\t${REMOVED}\t` : `${dir}\t${id}\t${tables.get(dir)!.statusOf(id)}\t${text}`);
        }
      } else {
        for (const [dir, table] of tablesOf(view)) for (const [id, status, text] of table.textRows()) parts.push(`${dir}\t${id}\t${status}\t${text}`);
      }
      parts.push('');
      const tmp = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, parts.join('\n'));
      renameSync(tmp, join(this.dir, `${key}.view`));
      this.depths.set(key, onBase ? baseDepth + 1 : 0);
      this.prune();
    } catch {
      // Only a cache: the next read rebuilds it.
    }
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.view') || f.endsWith('.json'))
      .map((f) => ({ f, t: statSync(join(this.dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(KEEP)) {
      try {
        unlinkSync(join(this.dir, f));
      } catch {
        // Another process pruned it first.
      }
    }
  }
}
