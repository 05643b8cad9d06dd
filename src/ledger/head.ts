import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TREE_MODE, type TreeEntry } from '../git/object-format.js';
import { LedgerFileError, RepositoryError } from '../errors.js';
import type { LedgerConfig } from './config.js';
import type { DecodedFile, FileRecord } from './index-cache.js';
import type { EntityKinds } from './entity-kind.js';
import { statusField } from './entity-table.js';
import { asciiJson } from './ascii-json.js';
import { CONFIG_PATH, idFromPath, isShardName, logicalPath, placementOf } from './layout.js';
import { BROKEN, type ShardRow, type ShardStore } from './shard-store.js';

export type ShardEntry = [oid: string, count: number, broken: number];

function entryOf(oid: string, rows: readonly ShardRow[]): ShardEntry {
  return [oid, rows.length, rows.reduce((n, r) => n + (r.status === BROKEN ? 1 : 0), 0)];
}

/** One kind's folder in a view: its shards by name, and any entity files stored flat (an older layout). */
export interface KindHead {
  tree: string;
  /** Shard name → [shard tree id, number of entity files in it, how many of those cannot be read]. */
  shards: Record<string, ShardEntry>;
  /** Entity files stored directly in the folder, decoded. */
  loose: ShardRow[];
}

/**
 * What a view of one ledger tree is made of, small enough to read on every command: gt.yaml, and per
 * kind the shard trees (whose rows ShardStore keeps). Every shard a head names is in the store when
 * the head is written, so a view loads any shard synchronously when a table is asked for an entity.
 */
export interface Head {
  version: number;
  /** The commit the view is read from (for an agent with unmerged work: its branch tip). */
  head: string;
  tree: string;
  config: LedgerConfig;
  kinds: Record<string, KindHead>;
  /** The key of the head this one was made next to (the parent of a write): derived indexes start from there. */
  base?: string;
}

const VERSION = 1;
/** Heads kept on disk: the current tips of the ledger and of agents, with some history for derived indexes. */
const KEEP = 48;
/** Pruning runs when this many more have piled up, so that it is paid once per many commands. */
const SLACK = 24;
/** Shards decoded per round trip to git when many are missing (a cold build): bounds the memory it holds. */
const SHARD_BATCH = 4;

/** How a head is read from git: trees and blobs in one round trip each, and files already decoded. */
export interface HeadSource {
  trees(oids: readonly string[]): Promise<Map<string, TreeEntry[]>>;
  blobs(oids: readonly string[]): Promise<Map<string, Buffer>>;
  /** A file decoded earlier (the write that made it), by logical path and blob, without loading anything. */
  known(path: string, blob: string): FileRecord | undefined;
  decode(path: string, text: string): DecodedFile;
}

/** A file to decode: its logical path (layout.ts; what decoding and the index go by), id and blob. */
interface FileRef {
  path: string;
  id: string;
  blob: string;
}

function rowOf(id: string, blob: string, decoded: DecodedFile | FileRecord): ShardRow {
  if ('text' in decoded) return { id, blob, status: decoded.status, text: decoded.text };
  if ('value' in decoded) return { id, blob, status: statusField(decoded.value), text: asciiJson(decoded.value) };
  return { id, blob, status: BROKEN, text: asciiJson(decoded.line !== undefined ? { problem: decoded.problem, line: decoded.line } : { problem: decoded.problem }) };
}

/** Decodes entity files, reusing rows of the same file and blob from `reuse`. */
async function rowsOfFiles(source: HeadSource, files: FileRef[], reuse: ReadonlyMap<string, ShardRow>): Promise<ShardRow[]> {
  const rows: (ShardRow | undefined)[] = [];
  const missing: number[] = [];
  files.forEach((f, i) => {
    const known = reuse.get(`${f.id} ${f.blob}`);
    const record = known ?? source.known(f.path, f.blob);
    rows.push(record === undefined ? undefined : 'blob' in record ? record : rowOf(f.id, f.blob, record));
    if (record === undefined) missing.push(i);
  });
  if (missing.length > 0) {
    const blobs = await source.blobs([...new Set(missing.map((i) => files[i]!.blob))]);
    for (const i of missing) {
      const f = files[i]!;
      const content = blobs.get(f.blob);
      rows[i] = rowOf(f.id, f.blob, content ? source.decode(f.path, content.toString('utf8')) : { problem: `blob ${f.blob} is missing from the object store` });
    }
  }
  return rows as ShardRow[];
}

function byFile(rows: readonly ShardRow[]): Map<string, ShardRow> {
  return new Map(rows.map((r) => [`${r.id} ${r.blob}`, r]));
}

/**
 * The head of the ledger tree `tree` (read from commit `label`). Shards the store lacks are read from
 * git and decoded, a few at a time; with `base` (a head of a nearby tree), files of a changed shard
 * that `base` already decoded are reused, so following a ledger that moved costs what moved.
 */
export async function buildHead(source: HeadSource, store: ShardStore, kinds: EntityKinds, label: string, tree: string, base?: Head): Promise<Head> {
  const root = (await source.trees([tree])).get(tree);
  if (!root) throw new RepositoryError(`tree ${tree} is missing from the object store`);
  const configEntry = root.find((e) => e.name === CONFIG_PATH && e.mode !== TREE_MODE);
  if (!configEntry) throw new RepositoryError(`the ledger at ${label.slice(0, 12)} has no ${CONFIG_PATH}`, 'run gt init to write a new one (every bead is kept)');
  const [configRow] = await rowsOfFiles(source, [{ path: CONFIG_PATH, id: CONFIG_PATH, blob: configEntry.oid }], new Map());
  if (configRow!.status === BROKEN) {
    const problem = JSON.parse(configRow!.text) as { problem: string; line?: number };
    // A gt.yaml from a newer gt is not broken: upgrading is the fix, not rewriting it.
    const hint = problem.problem.includes('upgrade gt') ? undefined : 'run gt init to write a valid one (every bead is kept), or fix it on the ledger branch';
    throw new LedgerFileError(CONFIG_PATH, problem.line, problem.problem, hint);
  }
  const config = JSON.parse(configRow!.text) as LedgerConfig;

  const folders = root.filter((e) => e.mode === TREE_MODE && kinds.has(e.name));
  const folderTrees = await source.trees(folders.map((e) => e.oid));
  const heads: Record<string, KindHead> = {};
  const missing: { dir: string; name: string; oid: string }[] = [];
  for (const folder of folders) {
    const dir = folder.name;
    const before = base?.kinds[dir];
    const kind: KindHead = { tree: folder.oid, shards: {}, loose: [] };
    const loose: FileRef[] = [];
    for (const child of folderTrees.get(folder.oid) ?? []) {
      const path = `${dir}/${child.name}`;
      if (child.mode !== TREE_MODE) {
        if (placementOf(path) === 'flat') loose.push({ path, id: idFromPath(path)!, blob: child.oid });
      } else if (isShardName(child.name)) {
        const known = before?.shards[child.name];
        if (store.has(dir, child.oid)) kind.shards[child.name] = known && known[0] === child.oid && known.length === 3 ? known : entryOf(child.oid, store.load(dir, child.oid));
        else missing.push({ dir, name: child.name, oid: child.oid });
      }
    }
    if (loose.length > 0) kind.loose = await rowsOfFiles(source, loose, byFile(before?.loose ?? []));
    heads[dir] = kind;
  }

  // Keeps in memory what a command is likely to read next (a few changed shards), not a whole cold build.
  const keep = missing.length <= SHARD_BATCH;
  for (let at = 0; at < missing.length; at += SHARD_BATCH) {
    const batch = missing.slice(at, at + SHARD_BATCH);
    const trees = await source.trees(batch.map((s) => s.oid));
    for (const shard of batch) {
      const files: FileRef[] = [];
      for (const child of trees.get(shard.oid) ?? []) {
        const path = `${shard.dir}/${shard.name}/${child.name}`;
        // Anything else in a shard (a subfolder, a README) is not read: snapshot.ts does the same.
        if (child.mode !== TREE_MODE && placementOf(path) !== undefined) files.push({ path: logicalPath(path), id: child.name.slice(0, -'.yaml'.length), blob: child.oid });
      }
      const previous = base?.kinds[shard.dir]?.shards[shard.name];
      const reuse = previous && store.has(shard.dir, previous[0]) ? byFile(store.peek(shard.dir, previous[0])) : new Map<string, ShardRow>();
      const rows = (await rowsOfFiles(source, files, reuse)).map((row) =>
        placementOf(`${shard.dir}/${shard.name}/${row.id}.yaml`) === 'placed' ? row : { ...row, misplaced: true as const },
      );
      store.put(shard.dir, shard.oid, rows, keep);
      heads[shard.dir]!.shards[shard.name] = entryOf(shard.oid, rows);
    }
  }
  return { version: VERSION, head: label, tree, config, kinds: heads, ...(base ? { base: baseKeyOf(base) } : {}) };
}

/** Heads carry the key they were stored under so that a derived head can name its base. */
const keys = new WeakMap<Head, string>();

function baseKeyOf(head: Head): string | undefined {
  return keys.get(head);
}

/** The files of heads: `.git/gt/heads/<key>.json`, plus `latest`, the key of the last head written. */
export class HeadStore {
  private readonly dir: string;
  private writes = 0;

  constructor(stateDir: string) {
    this.dir = join(stateDir, `heads-v${VERSION}`);
  }

  read(key: string): Head | undefined {
    try {
      const head = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'latin1')) as Head;
      if (head.version !== VERSION) return undefined;
      keys.set(head, key);
      return head;
    } catch {
      return undefined;
    }
  }

  /** The head written last by any process: the base for a tip gt did not make itself (a pull, a merge by git). */
  latest(): Head | undefined {
    try {
      return this.read(readFileSync(join(this.dir, 'latest'), 'latin1').trim());
    } catch {
      return undefined;
    }
  }

  write(key: string, head: Head): void {
    keys.set(head, key);
    try {
      mkdirSync(this.dir, { recursive: true });
      const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const tmp = join(this.dir, `.${key}.${suffix}`);
      writeFileSync(tmp, asciiJson(head), 'latin1');
      renameSync(tmp, join(this.dir, `${key}.json`));
      writeFileSync(join(this.dir, `.latest.${suffix}`), key);
      renameSync(join(this.dir, `.latest.${suffix}`), join(this.dir, 'latest'));
    } catch {
      // Only a cache: the next read rebuilds the head from git.
    }
  }

  /**
   * Removes all but the most recent heads when enough have piled up. Returns what the kept heads name
   * (`<dir>/<shard tree>` and `<dir>/<folder tree>`), for the caches keyed by those to prune what is
   * left; undefined when it did not prune.
   */
  prune(): { shards: Set<string>; folders: Set<string> } | undefined {
    let files: { f: string; t: number }[];
    try {
      files = readdirSync(this.dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ f, t: statSync(join(this.dir, f)).mtimeMs }));
    } catch {
      return undefined;
    }
    if (files.length <= KEEP + SLACK) return undefined;
    files.sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(KEEP)) {
      try {
        unlinkSync(join(this.dir, f));
      } catch {
        // Another process pruned it first.
      }
    }
    const shards = new Set<string>();
    const folders = new Set<string>();
    for (const { f } of files.slice(0, KEEP)) {
      const head = this.read(f.slice(0, -'.json'.length));
      for (const [dir, kind] of Object.entries(head?.kinds ?? {})) {
        folders.add(`${dir}/${kind.tree}`);
        for (const [oid] of Object.values(kind.shards)) shards.add(`${dir}/${oid}`);
      }
    }
    return { shards, folders };
  }

  /** Counts writes; true every so often, when pruning is worth a look. */
  pruneDue(): boolean {
    return ++this.writes % 8 === 1;
  }
}

/** Whether every shard `head` names is in the store (a cache pruned or deleted by hand is rebuilt, never half-read). */
export function headComplete(head: Head, store: ShardStore): boolean {
  for (const [dir, kind] of Object.entries(head.kinds)) for (const [oid] of Object.values(kind.shards)) if (!store.has(dir, oid)) return false;
  return true;
}
