import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TREE_MODE, type TreeEntry } from '../git/object-format.js';
import { statusField } from './entity-table.js';
import { asciiJson } from './ascii-json.js';
import { isShardName, logicalPath } from './layout.js';

/** A file's parsed value, or why it could not be parsed. */
export type DecodedFile = { value: unknown } | { problem: string; line?: number };

/** A parsed file as the index keeps it: the value as JSON text with its status, or the problem. */
export type FileRecord = { status: string; text: string } | { problem: string; line?: number };

type EntryTuple = [mode: string, name: string, oid: string];

/** A tree written by gt as its parent tree plus a few changes: cheap to record, resolved on demand. */
interface TreeDelta {
  base: string;
  set: EntryTuple[];
  del: string[];
}

interface IndexData {
  version: number;
  commits: Record<string, { tree: string; parents: string[] }>;
  trees: Record<string, EntryTuple[]>;
  deltas: Record<string, TreeDelta>;
  /**
   * Keyed by `<path> <blob oid>`: validation depends on the path (the id must match the file name).
   * Each value is one string, `v<status>\t<value as JSON>` or `p<problem as JSON>`, parsed when asked
   * for: loading the index makes one string per file instead of an object graph, and a view takes
   * the JSON text as it is (see EntityTable).
   */
  files: Record<string, string>;
  mergeBases: Record<string, string | null>;
}

/** 7: gt.yaml may hold settings, which an index written by an older gt recorded as a problem. */
const INDEX_VERSION = 7;
/** Past this much log, the next save folds it into the base (and drops what no ref reaches). */
const MAX_LOG_BYTES = 512 * 1024;
/**
 * A process that never read the index (a merge, a write from a cached view) appends up to this much
 * before it folds the log itself: folding means parsing the whole base (43 MB at 50,000 beads), which
 * the next process that reads the index anyway does for little more.
 */
const MAX_LOG_BYTES_UNREAD = 4 * MAX_LOG_BYTES;
const MAX_DELTA_CHAIN = 64;
/** Trees resolved from deltas kept in memory. */
const MAX_RESOLVED = 8;

function emptyData(): IndexData {
  return { version: INDEX_VERSION, commits: {}, trees: {}, deltas: {}, files: {}, mergeBases: {} };
}

function mergeInto(target: IndexData, source: Partial<IndexData>): void {
  Object.assign(target.commits, source.commits);
  Object.assign(target.trees, source.trees);
  Object.assign(target.deltas, source.deltas);
  Object.assign(target.files, source.files);
  Object.assign(target.mergeBases, source.mergeBases);
}

/** `tuples` as the anchor tree plus the entries that differ. */
function deltaAgainst(anchor: string, anchorByName: ReadonlyMap<string, EntryTuple>, tuples: readonly EntryTuple[]): TreeDelta {
  const set: EntryTuple[] = [];
  const names = new Set<string>();
  for (const t of tuples) {
    names.add(t[1]);
    const a = anchorByName.get(t[1]);
    if (!a || a[0] !== t[0] || a[2] !== t[2]) set.push(t);
  }
  const del = [...anchorByName.keys()].filter((name) => !names.has(name));
  return { base: anchor, set, del };
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/**
 * The read index in `.git/gt/`. Every entry is keyed by git object ids, which never change meaning, so
 * the index cannot be stale: a ref that moved behind gt's back points at ids the index has not seen
 * yet, and only those are read from git.
 *
 * It is log-structured so that a command pays for what it changed, not for the size of the ledger:
 * `index.json` is a compacted base, and each command appends what it learned as one line of
 * `index.log`. Trees gt writes are recorded as deltas of their parent tree. When the log grows large,
 * a save compacts both into a new base, keeping only what the live refs reach. Concurrent processes
 * may lose each other's entries in a race; that only costs a re-read, never a wrong answer.
 */
export class LedgerIndex {
  private readonly added: IndexData = emptyData();
  private dirty = false;
  private readonly resolved = new Map<string, EntryTuple[]>();
  private readonly parsedFiles = new Map<string, DecodedFile>();
  private data: IndexData = emptyData();
  private loaded = false;
  /** When false, a lookup the process cannot answer is a miss (the caller asks git) instead of reading the files. */
  private loadOnMiss = true;
  /** The files on disk are of another format: the next save replaces them. */
  private outdated = false;
  private logBytes = 0;

  private constructor(private readonly dir: string) {}

  /**
   * Opens the index without reading it: the files are parsed at the first lookup that what this
   * process already knows cannot answer. A write that works from a cached view never pays for it.
   */
  static open(stateDir: string): LedgerIndex {
    return new LedgerIndex(stateDir);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Reads the base and the log; returns false when that was already done (so a retry is pointless). */
  private load(): boolean {
    if (this.loaded) return false;
    this.loaded = true;
    const data = emptyData();
    try {
      const base = JSON.parse(readFileSync(join(this.dir, 'index.json'), 'utf8')) as IndexData;
      // An index of another format is dropped with its log: it is only a cache, rebuilt from git.
      if (base.version !== INDEX_VERSION) {
        this.outdated = true;
        return true;
      }
      mergeInto(data, base);
    } catch {
      // Missing or unreadable: start empty, it is only a cache.
    }
    try {
      const log = readFileSync(join(this.dir, 'index.log'), 'utf8');
      this.logBytes = log.length;
      for (const line of log.split('\n')) {
        if (line === '') continue;
        try {
          const entry = JSON.parse(line) as Partial<IndexData>;
          if (entry.version === INDEX_VERSION) mergeInto(data, entry);
        } catch {
          // A line torn by a killed writer: skip it, its entries are simply re-read.
        }
      }
    } catch {
      // No log yet.
    }
    // Entries are keyed by object ids, so what this process learned agrees with the files.
    mergeInto(data, this.data);
    this.data = data;
    return true;
  }

  private find<V>(pick: (data: IndexData) => V | undefined): V | undefined {
    return pick(this.data) ?? (this.loadOnMiss && this.load() ? pick(this.data) : undefined);
  }

  /**
   * For work that touches a few files of many commits (merging agent branches, diffing for the
   * observer): asking git for those objects costs less time and far less memory than loading an
   * index of the whole ledger. What is learned is still appended to the log.
   */
  async preferringGit<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.loadOnMiss;
    this.loadOnMiss = false;
    try {
      return await fn();
    } finally {
      this.loadOnMiss = previous;
    }
  }

  /**
   * A tree read from git. While git is preferred and the files are not loaded (see preferringGit), it
   * is only remembered for this process: logging every whole tree a merge reads would bloat the log.
   */
  learnTree(oid: string, entries: readonly TreeEntry[]): void {
    if (this.loaded || this.loadOnMiss) this.setTree(oid, entries);
    else this.rememberTree(oid, entries);
  }

  commit(oid: string): { tree: string; parents: string[] } | undefined {
    return this.find((d) => d.commits[oid]);
  }

  setCommit(oid: string, tree: string, parents: string[]): void {
    const entry = { tree, parents };
    this.data.commits[oid] = entry;
    this.added.commits[oid] = entry;
    this.dirty = true;
  }

  /**
   * A tree's entries: stored whole, or resolved from its chain of deltas in one pass over the whole
   * tree the chain starts from. Only the tree asked for is memoised, not every tree along the chain.
   */
  private tuples(oid: string): EntryTuple[] | undefined {
    const chain: TreeDelta[] = [];
    let at = oid;
    let base: EntryTuple[] | undefined;
    for (;;) {
      base = this.data.trees[at] ?? this.resolved.get(at);
      if (base) break;
      const delta = this.data.deltas[at];
      if (!delta) return this.loadOnMiss && this.load() ? this.tuples(oid) : undefined;
      if (chain.length >= MAX_DELTA_CHAIN) return undefined;
      chain.push(delta);
      at = delta.base;
    }
    if (chain.length === 0) return base;
    const byName = new Map(base.map((t) => [t[1], t]));
    for (const delta of chain.reverse()) {
      for (const name of delta.del) byName.delete(name);
      for (const t of delta.set) byName.set(t[1], t);
    }
    const tuples = [...byName.values()];
    this.resolved.set(oid, tuples);
    // Each write resolves its parent's directory trees: a long-lived process (gt mcp, gt watch) keeps
    // only the latest, from which the next chain starts, not one whole tree per write.
    if (this.resolved.size > MAX_RESOLVED) this.resolved.delete(this.resolved.keys().next().value!);
    return tuples;
  }

  /** How many deltas lie between a tree and a tree stored whole (0 for a whole one, undefined if unknown). */
  private chainLength(oid: string): number | undefined {
    let length = 0;
    for (let at = oid; !this.data.trees[at]; length++) {
      const delta = this.data.deltas[at];
      if (!delta || length > MAX_DELTA_CHAIN) return undefined;
      at = delta.base;
    }
    return length;
  }

  tree(oid: string): TreeEntry[] | undefined {
    return this.tuples(oid)?.map(([mode, name, entryOid]) => ({ mode, name, oid: entryOid }));
  }

  /**
   * Whether this process can answer for a commit and its trees (root and directories) without reading
   * the files: true after it wrote that commit itself, as a long-lived process's next write starts there.
   */
  knowsTreesOf(commit: string): boolean {
    const previous = this.loadOnMiss;
    this.loadOnMiss = false;
    try {
      const info = this.data.commits[commit];
      const root = info ? this.tuples(info.tree) : undefined;
      return root !== undefined && root.every(([mode, , oid]) => mode !== TREE_MODE || this.tuples(oid) !== undefined);
    } finally {
      this.loadOnMiss = previous;
    }
  }

  /** Knows a tree or commit read from git for this process only: big trees would bloat the log. */
  rememberTree(oid: string, entries: readonly TreeEntry[]): void {
    this.data.trees[oid] ??= entries.map((e) => [e.mode, e.name, e.oid]);
  }

  rememberCommit(oid: string, tree: string, parents: string[]): void {
    this.data.commits[oid] ??= { tree, parents };
  }

  setTree(oid: string, entries: readonly TreeEntry[]): void {
    const tuples: EntryTuple[] = entries.map((e) => [e.mode, e.name, e.oid]);
    this.data.trees[oid] = tuples;
    this.added.trees[oid] = tuples;
    this.dirty = true;
  }

  /** Records a tree as `base` with some entries set and some removed (the tree itself is already written). */
  setTreeDelta(oid: string, base: string, set: readonly TreeEntry[], del: readonly string[]): void {
    if (this.data.trees[oid] || this.data.deltas[oid]) return;
    const delta: TreeDelta = { base, set: set.map((e) => [e.mode, e.name, e.oid]), del: [...del] };
    this.data.deltas[oid] = delta;
    this.added.deltas[oid] = delta;
    this.dirty = true;
  }

  file(path: string, oid: string): DecodedFile | undefined {
    const key = `${path} ${oid}`;
    const parsed = this.parsedFiles.get(key);
    if (parsed) return parsed;
    const record = this.record(path, oid);
    if (record === undefined) return undefined;
    const decoded: DecodedFile = 'text' in record ? { value: JSON.parse(record.text) } : record;
    this.parsedFiles.set(key, decoded);
    return decoded;
  }

  /** The file without parsing its value. */
  record(path: string, oid: string): FileRecord | undefined {
    const stored = this.find((d) => d.files[`${path} ${oid}`]);
    if (stored === undefined) return undefined;
    if (stored.startsWith('p')) return JSON.parse(stored.slice(1)) as FileRecord;
    const tab = stored.indexOf('\t');
    return { status: stored.slice(1, tab), text: stored.slice(tab + 1) };
  }

  setFile(path: string, oid: string, decoded: DecodedFile): void {
    const key = `${path} ${oid}`;
    const stored = 'value' in decoded ? `v${statusField(decoded.value)}\t${asciiJson(decoded.value)}` : `p${asciiJson(decoded)}`;
    // Not memoised: a cold build decodes every file once and should not keep them all parsed.
    this.parsedFiles.delete(key);
    this.data.files[key] = stored;
    this.added.files[key] = stored;
    this.dirty = true;
  }

  /** Never loads the files for this: asking git is cheaper than parsing the index. */
  mergeBase(a: string, b: string): string | null | undefined {
    return this.data.mergeBases[pairKey(a, b)];
  }

  setMergeBase(a: string, b: string, base: string | null): void {
    this.data.mergeBases[pairKey(a, b)] = base;
    this.added.mergeBases[pairKey(a, b)] = base;
    this.dirty = true;
  }

  /** Persists what this process learned: one appended log line, or a compaction when the log is large. */
  save(liveCommits: () => Iterable<string>): void {
    if (!this.dirty) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const baseExists = sizeOf(join(this.dir, 'index.json')) !== undefined;
      const logBytes = this.loaded ? this.logBytes : (sizeOf(join(this.dir, 'index.log')) ?? 0);
      const limit = this.loaded ? MAX_LOG_BYTES : MAX_LOG_BYTES_UNREAD;
      let line = baseExists && !this.outdated ? `${JSON.stringify(this.added)}\n` : undefined;
      // A write of thousands of files (an import) by a process that never loaded the index: compacting
      // would load and rewrite the whole index, several times the memory of the write itself. Its
      // decoded files are the bulk of the line, and the cheapest entries to do without (views keep
      // their own rows; a file asked for again is decoded again from its blob), so they are dropped.
      if (line !== undefined && !this.loaded && logBytes + line.length > limit) line = `${JSON.stringify({ ...this.added, files: {} })}\n`;
      // Even so, a line longer than the log may grow (the 256 shard trees a 50,000-bead import rewrote,
      // 4.7 MB) would have this process fold the index after all, for 30 MB more: it keeps commits
      // only, and whoever needs those trees reads them from git.
      if (line !== undefined && !this.loaded && line.length > limit) line = `${JSON.stringify({ ...this.added, files: {}, trees: {}, deltas: {} })}\n`;
      if (line !== undefined && logBytes + line.length <= limit) {
        appendFileSync(join(this.dir, 'index.log'), line);
      } else {
        this.load();
        this.compact(liveCommits());
      }
      this.dirty = false;
    } catch {
      // A cache that cannot be written is rebuilt next time; the command itself succeeded.
    }
  }

  /** Writes a new base holding only what the live commits reach (trees materialised), and an empty log. */
  private compact(liveCommits: Iterable<string>): void {
    const live = new Set(liveCommits);
    const kept = emptyData();
    // The first tree kept whole for each directory: later trees of that directory that are a few
    // changes from it are stored as a delta against it.
    const anchors = new Map<string, { oid: string; byName: Map<string, EntryTuple> }>();
    const keepTree = (oid: string, prefix: string): void => {
      if (kept.trees[oid] || kept.deltas[oid]) return;
      const tuples = this.tuples(oid);
      if (!tuples) return;
      // Trees of live commits are mostly a few edits apart: keep them as short delta chains, or as a
      // delta against the directory's anchor, so a base holding many agents' tips does not hold the
      // whole ledger tree for each.
      const delta = this.data.deltas[oid];
      const length = this.chainLength(oid);
      const anchor = anchors.get(prefix);
      if (delta && length !== undefined && length < MAX_DELTA_CHAIN / 2) {
        kept.deltas[oid] = delta;
        keepTree(delta.base, prefix);
      } else if (anchor && anchor.oid !== oid) {
        const rebased = deltaAgainst(anchor.oid, anchor.byName, tuples);
        if (rebased.set.length + rebased.del.length <= tuples.length / 4) kept.deltas[oid] = rebased;
        else kept.trees[oid] = tuples;
      } else {
        kept.trees[oid] = tuples;
        anchors.set(prefix, { oid, byName: new Map(tuples.map((t) => [t[1], t])) });
      }
      for (const [mode, name, entryOid] of tuples) {
        if (mode === TREE_MODE) {
          // The kinds' folders, and their shards (layout.ts), hold the files views read.
          if (prefix === '' || (prefix.indexOf('/') === prefix.length - 1 && isShardName(name))) keepTree(entryOid, `${prefix}${name}/`);
        } else {
          // Files are keyed by logical path, wherever they are stored.
          const key = `${logicalPath(`${prefix}${name}`)} ${entryOid}`;
          const decoded = this.data.files[key];
          if (decoded) kept.files[key] = decoded;
        }
      }
    };
    for (const oid of live) {
      const commit = this.data.commits[oid];
      if (!commit) continue;
      kept.commits[oid] = commit;
      keepTree(commit.tree, '');
    }
    for (const [key, base] of Object.entries(this.data.mergeBases)) {
      const [a, b] = key.split(' ');
      if (live.has(a!) || live.has(b!)) kept.mergeBases[key] = base;
    }
    const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const baseTmp = join(this.dir, `index.json.${suffix}`);
    const logTmp = join(this.dir, `index.log.${suffix}`);
    writeFileSync(baseTmp, JSON.stringify(kept));
    writeFileSync(logTmp, '');
    renameSync(baseTmp, join(this.dir, 'index.json'));
    renameSync(logTmp, join(this.dir, 'index.log'));
  }
}
