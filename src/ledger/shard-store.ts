import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CacheDamagedError } from '../errors.js';

/**
 * One entity file of a shard as a view needs it: its id, the blob it was read from, its status and
 * the entity as JSON text (ASCII, see asciiJson); for a file that cannot be read, status BROKEN and
 * the problem as JSON text instead.
 */
export interface ShardRow {
  readonly id: string;
  readonly blob: string;
  readonly status: string;
  readonly text: string;
  /** The file is in a shard not its own (moved there by hand): it only fills a gap (see EntityTable). */
  readonly misplaced?: true;
  /** The entity parsed from `text`, once some table needed it: rows are shared by every view that holds the shard. */
  value?: unknown;
}

/** The status of a row whose file could not be read; its text is `{"problem":…,"line":…}`. */
export const BROKEN = '!';

/**
 * Shards kept in memory, most recently used last: every shard of a ledger of any size (256 per kind
 * folder) with room for the versions a long-lived process sees next, but not every version it ever saw.
 */
const IN_MEMORY = 640;

/** Marks the id of a misplaced row in a file (no id can start with it: names.ts). */
const MISPLACED = '~';

/** Bump when what a row holds for a blob changes (a codec that validates differently): old files are then ignored. */
const VERSION = 1;
/** Shard files no kept view refers to are removed only past this age: a command still reading one is never robbed. */
const PRUNE_AGE_MS = 10 * 60_000;

/**
 * The rows of a shard file. From its text, each field is a slice of the whole file, which lives as long
 * as any row does; from its bytes, each field is a string of its own, so that a row let go of is freed
 * whatever becomes of the others (a transaction replacing rows one by one, see peek).
 */
function parseRows(file: string | Buffer): ShardRow[] | undefined {
  const text = typeof file === 'string' ? file : file.toString('latin1');
  const field = typeof file === 'string' ? (from: number, to: number) => file.slice(from, to) : (from: number, to: number) => file.toString('latin1', from, to);
  const rows: ShardRow[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) return undefined;
    const a = text.indexOf('\t', at);
    const b = text.indexOf('\t', a + 1);
    const c = text.indexOf('\t', b + 1);
    if (a < 0 || c < 0 || c > end) return undefined;
    const row: ShardRow = { id: field(at, a), blob: field(a + 1, b), status: field(b + 1, c), text: field(c + 1, end) };
    rows.push(row.id.startsWith(MISPLACED) ? { ...row, id: row.id.slice(1), misplaced: true } : row);
    at = end + 1;
  }
  return rows;
}

export function formatRows(rows: readonly ShardRow[]): string {
  let out = '';
  for (const r of rows) out += `${r.misplaced ? MISPLACED : ''}${r.id}\t${r.blob}\t${r.status}\t${r.text}\n`;
  return out;
}

/**
 * The decoded files of shard trees, by kind folder and tree id: `.git/gt/shards/<dir>/<tree oid>`, one
 * line per file. Keyed by the tree's id, an entry can never be stale, and every view (every ledger
 * tip, every agent's) whose shard is the same tree shares it: a write makes one new shard file, not a
 * new copy of the ledger. Rows read are kept in memory for the process, so a long-lived one (gt mcp,
 * gt watch) only ever reads the shards that changed.
 */
export class ShardStore {
  private readonly dir: string;
  private readonly memory = new Map<string, ShardRow[]>();
  /** What this process did: shard files read from disk, and shards decoded from git and stored. */
  readonly stats = { filesRead: 0, shardsStored: 0 };

  constructor(stateDir: string) {
    this.dir = join(stateDir, `shards-v${VERSION}`);
  }

  private pathOf(kind: string, oid: string): string {
    return join(this.dir, kind, oid);
  }

  has(kind: string, oid: string): boolean {
    return this.memory.has(`${kind}/${oid}`) || existsSync(this.pathOf(kind, oid));
  }

  /** The rows of a shard that has been stored (see has); synchronous, so that a table can load a shard when asked for one entity. */
  load(kind: string, oid: string): ShardRow[] {
    return this.read(kind, oid, true);
  }

  /**
   * Like load, but a shard not in memory is not kept there: for an earlier version of a shard, read
   * to compare with its new one (after an import that rewrote every shard, 40 MB at 50,000 beads).
   */
  peek(kind: string, oid: string): ShardRow[] {
    return this.read(kind, oid, false);
  }

  private read(kind: string, oid: string, keep: boolean): ShardRow[] {
    const key = `${kind}/${oid}`;
    const known = this.memory.get(key);
    if (known) {
      if (keep) this.keep(key, known);
      return known;
    }
    let rows: ShardRow[] | undefined;
    this.stats.filesRead++;
    try {
      rows = parseRows(keep ? readFileSync(this.pathOf(kind, oid), 'latin1') : readFileSync(this.pathOf(kind, oid)));
    } catch {
      rows = undefined;
    }
    // Files are written whole and renamed into place, and kept while any recent view names them: this
    // only happens when the cache was damaged or deleted under a running command. Whatever else was
    // done to it, the store starts again empty: the next view is rebuilt from git.
    if (!rows) {
      this.memory.clear();
      rmSync(this.dir, { recursive: true, force: true });
      throw new CacheDamagedError(`${kind} shard ${oid.slice(0, 12)}`);
    }
    if (keep) this.keep(key, rows);
    return rows;
  }

  private keep(key: string, rows: ShardRow[]): void {
    this.memory.delete(key);
    this.memory.set(key, rows);
    if (this.memory.size > IN_MEMORY) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Stores a shard's rows (atomically: a reader sees the whole file or none). */
  put(kind: string, oid: string, rows: ShardRow[], keepInMemory = true): void {
    this.stats.shardsStored++;
    if (keepInMemory) this.keep(`${kind}/${oid}`, rows);
    try {
      mkdirSync(join(this.dir, kind), { recursive: true });
      const tmp = join(this.dir, kind, `.${oid}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, formatRows(rows), 'latin1');
      renameSync(tmp, this.pathOf(kind, oid));
    } catch {
      // Only a cache: without the file the view is rebuilt from git next time.
      if (!keepInMemory) this.keep(`${kind}/${oid}`, rows);
    }
  }

  /** Removes shard files that no kept view refers to (`kind/oid` keys) and that are old enough. */
  prune(referenced: ReadonlySet<string>, now: number): void {
    pruneKeyedFiles(this.dir, referenced, now);
  }
}

/**
 * In a cache of `<root>/<kind>/<tree oid>` files: removes those whose `<kind>/<oid>` is not in `referenced`
 * and that were written long enough ago that no running command can still be about to read them.
 */
export function pruneKeyedFiles(root: string, referenced: ReadonlySet<string>, now: number): void {
  let kinds: string[];
  try {
    kinds = readdirSync(root);
  } catch {
    return;
  }
  for (const kind of kinds) {
    let files: string[];
    try {
      files = readdirSync(join(root, kind));
    } catch {
      continue;
    }
    for (const file of files) {
      if (referenced.has(`${kind}/${file}`)) continue;
      const path = join(root, kind, file);
      try {
        if (now - statSync(path).mtimeMs > PRUNE_AGE_MS) unlinkSync(path);
      } catch {
        // Another process pruned it first.
      }
    }
  }
}
