import type { Repository } from '../git/repository.js';
import { BLOB_MODE, TREE_MODE, decodeCommit, decodeTree, encodeCommit, encodeTree, type Commit, type TreeEntry } from '../git/object-format.js';
import { GtError, LedgerFileError } from '../errors.js';
import type { DecodedFile, FileRecord, LedgerIndex } from './index-cache.js';
import { CONFIG_PATH, dirOf, idFromPath, isShardName, logicalPath, placementOf, shardOf, storedPath } from './layout.js';
import type { EntityKinds } from './entity-kind.js';
import { decodeConfig } from './config-codec.js';
import type { HeadSource } from './head.js';

/**
 * The ledger files of one commit by logical path (layout.ts): path → blob id, for `gt.yaml`, every
 * entity file `<dir>/<id>.yaml` wherever it is stored, and every other `<dir>/<file>`.
 */
export interface Snapshot {
  commit: string;
  tree: string;
  files: ReadonlyMap<string, string>;
  /** Entity files not stored where the current layout puts them: logical path → stored path. */
  misplaced: ReadonlyMap<string, string>;
  /** Stored paths of second copies of an entity file, not read (see chooseCopies). */
  shadowed: readonly string[];
}

/** Of a commit's snapshot, what a write on it needs to move it to the current layout: gt.yaml (at least) and the misplaced files. */
export type LayoutFacts = Pick<Snapshot, 'files' | 'misplaced'>;

/** A file in a tree being built: an existing blob, or new content not yet written. */
export type FileVersion = { oid: string } | { text: string; value: unknown };

/** A change to one stored file: its logical path (what the index keys it by) and its new version. */
interface StoredChange {
  path: string;
  version: FileVersion | null;
}

/** Reads objects through the index: each commit, tree and file is fetched from git at most once. */
export class ObjectCache {
  constructor(
    readonly repo: Repository,
    readonly index: LedgerIndex,
    /** The kinds of entity files, by directory. */
    readonly kinds: EntityKinds,
  ) {}

  async commitInfo(oid: string): Promise<{ tree: string; parents: string[] }> {
    const cached = this.index.commit(oid);
    if (cached) return cached;
    const commit = await this.repo.readCommit(oid);
    this.index.setCommit(oid, commit.tree, commit.parents);
    return { tree: commit.tree, parents: commit.parents };
  }

  async treeEntries(oid: string): Promise<TreeEntry[]> {
    const cached = this.index.tree(oid);
    if (cached) return cached;
    const entries = await this.repo.readTree(oid);
    this.index.learnTree(oid, entries);
    return entries;
  }

  /** Reads many trees with one round trip for those the index lacks. */
  async prefetchTrees(oids: string[]): Promise<void> {
    const missing = oids.filter((oid) => !this.index.tree(oid));
    if (missing.length === 0) return;
    const objects = await this.repo.reader.readMany(missing);
    for (const oid of missing) {
      const obj = objects.get(oid);
      if (obj) this.index.learnTree(oid, decodeTree(obj.content));
    }
  }

  /**
   * Makes the trees of `commit` known without reading the index files, for a write that starts from
   * a cached view: asking git for a commit and a few trees costs less than parsing the whole index.
   */
  async primeTrees(commit: string): Promise<void> {
    if (this.index.isLoaded || this.index.knowsTreesOf(commit)) return;
    const info = await this.repo.readCommit(commit);
    this.index.rememberCommit(commit, info.tree, info.parents);
    const root = await this.repo.readTree(info.tree);
    this.index.rememberTree(info.tree, root);
    const dirs = root.filter((e) => e.mode === TREE_MODE).map((e) => e.oid);
    const objects = await this.repo.reader.readMany(dirs);
    for (const oid of dirs) {
      const obj = objects.get(oid);
      if (obj) this.index.rememberTree(oid, decodeTree(obj.content));
    }
  }

  /**
   * How heads (head.ts) read git: trees the index knows from memory, the rest (and blobs) in one round
   * trip each. Run inside preferringGit, so that nothing loads the whole index; shard trees and files
   * read for a view are not added to it (the shard store keeps them).
   */
  headSource(): HeadSource {
    return {
      trees: async (oids) => {
        const out = new Map<string, TreeEntry[]>();
        const missing: string[] = [];
        for (const oid of oids) {
          const known = this.index.tree(oid);
          if (known) out.set(oid, known);
          else missing.push(oid);
        }
        if (missing.length > 0) {
          const objects = await this.repo.reader.readMany(missing);
          for (const oid of missing) {
            const obj = objects.get(oid);
            if (obj) out.set(oid, decodeTree(obj.content));
          }
        }
        return out;
      },
      blobs: async (oids) => new Map([...(await this.repo.reader.readMany(oids))].map(([oid, obj]) => [oid, obj.content])),
      known: (path, blob) => this.index.record(path, blob),
      decode: (path, text) => decodeLedgerFile(path, text, this.kinds),
    };
  }

  /** Kind folder trees, and shard trees (`<shard>/<oid>`), known to hold every entity file in its own shard. */
  private readonly placedFolders = new Set<string>();
  private readonly placedShards = new Set<string>();

  /**
   * Whether every entity file of `commit` is stored where the current layout puts it: no flat file of
   * an older layout, none in a shard not its own. Then the files of its snapshot are the files of its
   * shards as they are, and a merge may compare it tree by tree (merge/shard-merge.ts). Each folder and
   * shard tree is checked once per process: a merge of many branches checks the ledger once, then only
   * the shards each branch changed.
   */
  async isPlaced(commit: string): Promise<boolean> {
    const { tree } = await this.commitInfo(commit);
    const folders = (await this.treeEntries(tree)).filter((e) => e.mode === TREE_MODE && this.kinds.has(e.name) && !this.placedFolders.has(e.oid));
    await this.prefetchTrees(folders.map((folder) => folder.oid));
    for (const folder of folders) {
      const entries = await this.treeEntries(folder.oid);
      if (entries.some((e) => e.mode !== TREE_MODE && placementOf(`${folder.name}/${e.name}`) !== undefined)) return false;
      const shards = entries.filter((e) => e.mode === TREE_MODE && isShardName(e.name) && !this.placedShards.has(`${e.name}/${e.oid}`));
      await this.prefetchTrees(shards.map((shard) => shard.oid));
      for (const shard of shards) {
        for (const e of await this.treeEntries(shard.oid)) {
          // placementOf's 'wrong-shard' without its regular expressions (a tree entry's name has no '/').
          if (e.mode !== TREE_MODE && e.name.endsWith(ENTITY_SUFFIX) && e.name.length > ENTITY_SUFFIX.length && shardOf(e.name.slice(0, -ENTITY_SUFFIX.length)) !== shard.name) return false;
        }
        this.placedShards.add(`${shard.name}/${shard.oid}`);
      }
      this.placedFolders.add(folder.oid);
    }
    return true;
  }

  /**
   * What a write on `commit` needs of its layout (Ledger.migration): its gt.yaml and its misplaced
   * files. For a commit in the current layout that is read from the root tree alone.
   */
  async layoutOf(commit: string): Promise<LayoutFacts> {
    if (!(await this.isPlaced(commit))) return this.snapshot(commit);
    const config = (await this.treeEntries((await this.commitInfo(commit)).tree)).find((e) => e.name === CONFIG_PATH && e.mode !== TREE_MODE);
    return { files: new Map(config ? [[CONFIG_PATH, config.oid]] : []), misplaced: new Map() };
  }

  /** Recent snapshots by commit: a merge of many agents reads the same base and tips more than once. */
  private readonly snapshots = new Map<string, Snapshot>();

  async snapshot(commit: string): Promise<Snapshot> {
    const known = this.snapshots.get(commit);
    if (known) return known;
    const snapshot = await this.readSnapshot(commit);
    this.snapshots.set(commit, snapshot);
    if (this.snapshots.size > 16) this.snapshots.delete(this.snapshots.keys().next().value!);
    return snapshot;
  }

  private async readSnapshot(commit: string): Promise<Snapshot> {
    const { tree } = await this.commitInfo(commit);
    const root = await this.treeEntries(tree);
    const files = new Map<string, string>();
    const dirs = root.filter((e) => e.mode === TREE_MODE);
    await this.prefetchTrees(dirs.map((d) => d.oid));
    // Entity files as stored: in their shard (current layout), flat (older ledgers), or in another shard.
    const stored: [path: string, oid: string][] = [];
    const shards: { dir: string; entry: TreeEntry }[] = [];
    for (const entry of root) {
      if (entry.mode !== TREE_MODE) {
        files.set(entry.name, entry.oid);
        continue;
      }
      const isKind = this.kinds.has(entry.name);
      for (const child of await this.treeEntries(entry.oid)) {
        const path = `${entry.name}/${child.name}`;
        if (child.mode !== TREE_MODE) {
          if (isKind && placementOf(path) !== undefined) stored.push([path, child.oid]);
          else files.set(path, child.oid);
        } else if (isKind && isShardName(child.name)) shards.push({ dir: entry.name, entry: child });
      }
    }
    await this.prefetchTrees(shards.map((s) => s.entry.oid));
    for (const { dir, entry } of shards) {
      for (const child of await this.treeEntries(entry.oid)) {
        const path = `${dir}/${entry.name}/${child.name}`;
        // Anything else in a shard (a subfolder, a README) is not read, and writes keep it as it is.
        if (child.mode !== TREE_MODE && placementOf(path) !== undefined) stored.push([path, child.oid]);
      }
    }
    const { chosen, misplaced, shadowed } = chooseCopies(stored);
    for (const [path, oid] of chosen) files.set(path, oid);
    return { commit, tree, files, misplaced, shadowed };
  }

  /** Makes sure the index has every file (by path and blob id), reading the missing ones from git in one batch. */
  private async indexFiles(entries: readonly (readonly [path: string, oid: string])[]): Promise<void> {
    const missing = entries.filter(([path, oid]) => this.index.record(path, oid) === undefined);
    if (missing.length === 0) return;
    const objects = await this.repo.reader.readMany([...new Set(missing.map(([, oid]) => oid))]);
    for (const [path, oid] of missing) {
      const obj = objects.get(oid);
      const decoded: DecodedFile = obj ? decodeLedgerFile(path, obj.content.toString('utf8'), this.kinds) : { problem: `blob ${oid} is missing from the object store` };
      this.index.setFile(path, oid, decoded);
    }
  }

  /** Parses files (by path and blob id). */
  async decodeAll(entries: Iterable<[path: string, oid: string]>): Promise<Map<string, DecodedFile>> {
    const list = [...entries];
    await this.indexFiles(list);
    return new Map(list.map(([path, oid]) => [path, this.index.file(path, oid)!]));
  }

  /** The files as the index keeps them, values left as JSON text. */
  async recordsOf(entries: Iterable<[path: string, oid: string]>): Promise<Map<string, FileRecord>> {
    const list = [...entries];
    await this.indexFiles(list);
    return new Map(list.map(([path, oid]) => [path, this.index.record(path, oid)!]));
  }

  async decode(path: string, oid: string): Promise<DecodedFile> {
    return (await this.decodeAll([[path, oid]])).get(path)!;
  }

  writeBlob(path: string, text: string, value: unknown): string {
    const oid = this.repo.writer.write('blob', Buffer.from(text, 'utf8'));
    this.index.setFile(path, oid, { value });
    return oid;
  }

  /**
   * Writes the tree of `baseTree` with `changes` applied (by logical path: blob id, new content, or
   * null to delete) and the stored files `remove` removed. Copy-on-write: only the trees on the path
   * to a change are rewritten (root → kind folder → shard), and anything gt does not know (other
   * files, deeper folders) is kept as it was. An entity file is written to its shard (layout.ts), and
   * a flat copy of it from an older layout is removed in the same tree.
   */
  async writeTree(baseTree: string | null, changes: ReadonlyMap<string, FileVersion | null>, remove: readonly string[] = []): Promise<string> {
    const stored = new Map<string, StoredChange>();
    for (const path of remove) stored.set(path, { path, version: null });
    for (const [path, version] of changes) {
      const inKind = idFromPath(path) !== undefined && this.kinds.has(dirOf(path));
      if (inKind && !stored.has(path)) stored.set(path, { path, version: null });
      stored.set(inKind ? storedPath(path) : path, { path, version });
    }
    return (await this.writeSubtree(baseTree ?? undefined, '', stored))!;
  }

  /** `base` (a tree under `prefix`) with `changes` (by path below it) applied; undefined when nothing is left in it. */
  private async writeSubtree(base: string | undefined, prefix: string, changes: ReadonlyMap<string, StoredChange>): Promise<string | undefined> {
    const here = new Map<string, StoredChange>();
    const below = new Map<string, Map<string, StoredChange>>();
    for (const [path, change] of changes) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        here.set(path, change);
        continue;
      }
      const name = path.slice(0, slash);
      let group = below.get(name);
      if (!group) below.set(name, (group = new Map()));
      group.set(path.slice(slash + 1), change);
    }
    const entries = new Map((base ? await this.treeEntries(base) : []).map((e) => [e.name, e]));
    const touched = new Set<string>();
    for (const [name, change] of here) {
      touched.add(name);
      const existing = entries.get(name);
      // A removal names a file; a folder of that name (the shards of a kind) is not it.
      if (existing?.mode === TREE_MODE && change.version === null) continue;
      this.applyFile(entries, change.path, name, change.version);
    }
    for (const [name, group] of below) {
      const existing = entries.get(name);
      const sub = await this.writeSubtree(existing?.mode === TREE_MODE ? existing.oid : undefined, `${prefix}${name}/`, group);
      if (existing?.mode === TREE_MODE && existing.oid === sub) continue;
      // Only removals below a name that holds no folder: nothing to do.
      if (sub === undefined && existing?.mode !== TREE_MODE) continue;
      touched.add(name);
      if (sub === undefined) entries.delete(name);
      else entries.set(name, { mode: TREE_MODE, name, oid: sub });
    }
    if (prefix === '') return this.writeTreeObject([...entries.values()]);
    if (entries.size === 0) return undefined;
    const list = [...entries.values()];
    const oid = this.repo.writer.write('tree', encodeTree(list));
    if (oid === base) return oid;
    // A folder tree holds one entry per shard or entity: record it as a delta of its parent, so the
    // index grows with the change, not with the ledger.
    if (base) {
      const set = [...touched].map((name) => entries.get(name)).filter((e): e is TreeEntry => e !== undefined);
      const del = [...touched].filter((name) => !entries.has(name));
      this.index.setTreeDelta(oid, base, set, del);
    } else {
      this.index.setTree(oid, list);
    }
    return oid;
  }

  private applyFile(entries: Map<string, TreeEntry>, path: string, name: string, version: FileVersion | null): void {
    if (version === null) {
      entries.delete(name);
      return;
    }
    const oid = 'oid' in version ? version.oid : this.writeBlob(path, version.text, version.value);
    entries.set(name, { mode: BLOB_MODE, name, oid });
  }

  private writeTreeObject(entries: TreeEntry[]): string {
    const oid = this.repo.writer.write('tree', encodeTree(entries));
    this.index.setTree(oid, entries);
    return oid;
  }

  writeCommit(commit: Commit): string {
    const oid = this.repo.writer.write('commit', encodeCommit(commit));
    this.index.setCommit(oid, commit.tree, commit.parents);
    return oid;
  }

  async fullCommit(oid: string): Promise<Commit> {
    const obj = await this.repo.reader.read(oid);
    if (!obj) throw new GtError(`commit ${oid} is missing from the object store`);
    return decodeCommit(obj.content);
  }
}

/** How an entity file's name ends (layout.ts idFromPath). */
const ENTITY_SUFFIX = '.yaml';

const PLACEMENT_RANK = { placed: 0, flat: 1, 'wrong-shard': 2 } as const;

/**
 * One copy of each entity file by logical path. Normally there is one; a merge made outside gt can
 * leave two (an old flat copy beside the sharded one): the one in its own shard wins, then a flat
 * one. Misplaced and shadowed copies are gt check's problems; gt doctor --fix moves the misplaced.
 */
function chooseCopies(stored: readonly [path: string, oid: string][]): { chosen: Map<string, string>; misplaced: Map<string, string>; shadowed: string[] } {
  const best = new Map<string, { path: string; oid: string; rank: number }>();
  const shadowed: string[] = [];
  for (const [path, oid] of stored) {
    const logical = logicalPath(path);
    const rank = PLACEMENT_RANK[placementOf(path)!];
    const known = best.get(logical);
    if (known && known.rank <= rank) {
      shadowed.push(path);
      continue;
    }
    if (known) shadowed.push(known.path);
    best.set(logical, { path, oid, rank });
  }
  const chosen = new Map<string, string>();
  const misplaced = new Map<string, string>();
  for (const [logical, copy] of best) {
    chosen.set(logical, copy.oid);
    if (copy.rank > 0) misplaced.set(logical, copy.path);
  }
  return { chosen, misplaced, shadowed: shadowed.sort() };
}

/** Parses one ledger file by what its path says it is; files gt does not know are kept as text. */
export function decodeLedgerFile(path: string, text: string, kinds: EntityKinds): DecodedFile {
  try {
    if (path === CONFIG_PATH) return { value: decodeConfig(text, path) };
    const kind = kinds.get(dirOf(path));
    if (!kind || idFromPath(path) === undefined) return { value: null };
    return { value: kind.decode(text, path) };
  } catch (error) {
    if (error instanceof LedgerFileError) {
      return error.line === undefined ? { problem: error.problem } : { problem: error.problem, line: error.line };
    }
    return { problem: (error as Error).message };
  }
}
