import type { Repository } from '../git/repository.js';
import { BLOB_MODE, TREE_MODE, decodeCommit, decodeTree, encodeCommit, encodeTree, type Commit, type TreeEntry } from '../git/object-format.js';
import { GtError, LedgerFileError } from '../errors.js';
import type { DecodedFile, FileRecord, LedgerIndex } from './index-cache.js';
import { CONFIG_PATH, dirOf, idFromPath } from './layout.js';
import type { EntityKinds } from './entity-kind.js';
import { decodeConfig } from './config-codec.js';

/** The ledger files of one commit: path → blob id, for `gt.yaml` and every `<dir>/<file>`. */
export interface Snapshot {
  commit: string;
  tree: string;
  files: ReadonlyMap<string, string>;
}

/** A file in a tree being built: an existing blob, or new content not yet written. */
export type FileVersion = { oid: string } | { text: string; value: unknown };

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
  private async prefetchTrees(oids: string[]): Promise<void> {
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
    for (const entry of root) {
      if (entry.mode === TREE_MODE) {
        for (const child of await this.treeEntries(entry.oid)) {
          if (child.mode !== TREE_MODE) files.set(`${entry.name}/${child.name}`, child.oid);
        }
      } else {
        files.set(entry.name, entry.oid);
      }
    }
    return { commit, tree, files };
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
   * Writes the tree of `baseTree` with `changes` applied (blob id, new content, or null to delete),
   * copy-on-write: only the directories that changed are rewritten, and anything gt does not know
   * (other files, deeper folders) is kept as it was.
   */
  async writeTree(baseTree: string | null, changes: ReadonlyMap<string, FileVersion | null>): Promise<string> {
    const byDir = new Map<string, Map<string, FileVersion | null>>();
    for (const [path, version] of changes) {
      const dir = dirOf(path);
      const name = dir === '' ? path : path.slice(dir.length + 1);
      let group = byDir.get(dir);
      if (!group) byDir.set(dir, (group = new Map()));
      group.set(name, version);
    }
    const rootEntries = new Map((baseTree ? await this.treeEntries(baseTree) : []).map((e) => [e.name, e]));
    for (const [dir, group] of byDir) {
      if (dir === '') {
        for (const [name, version] of group) this.applyFile(rootEntries, name, name, version);
        continue;
      }
      const existing = rootEntries.get(dir);
      const baseDir = existing && existing.mode === TREE_MODE ? existing.oid : undefined;
      const dirEntries = new Map((baseDir ? await this.treeEntries(baseDir) : []).map((e) => [e.name, e]));
      for (const [name, version] of group) this.applyFile(dirEntries, `${dir}/${name}`, name, version);
      if (dirEntries.size === 0) {
        rootEntries.delete(dir);
        continue;
      }
      const entries = [...dirEntries.values()];
      const oid = this.repo.writer.write('tree', encodeTree(entries));
      // A directory tree holds one entry per entity: record it as a delta of its parent, so the index
      // grows with the change, not with the ledger.
      if (baseDir) {
        const set = [...group.keys()].map((name) => dirEntries.get(name)).filter((e): e is TreeEntry => e !== undefined);
        const del = [...group.keys()].filter((name) => !dirEntries.has(name));
        this.index.setTreeDelta(oid, baseDir, set, del);
      } else {
        this.index.setTree(oid, entries);
      }
      rootEntries.set(dir, { mode: TREE_MODE, name: dir, oid });
    }
    return this.writeTreeObject([...rootEntries.values()]);
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
