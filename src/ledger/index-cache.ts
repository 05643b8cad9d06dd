import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TREE_MODE, type TreeEntry } from '../git/object-format.js';

/** A file's parsed value, or why it could not be parsed. */
export type DecodedFile = { value: unknown } | { problem: string; line?: number };

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
  /** Keyed by `<path> <blob oid>`: validation depends on the path (the id must match the file name). */
  files: Record<string, DecodedFile>;
  mergeBases: Record<string, string | null>;
}

const INDEX_VERSION = 2;
/** Past this much log, the next save folds it into the base (and drops what no ref reaches). */
const MAX_LOG_BYTES = 512 * 1024;
const MAX_DELTA_CHAIN = 64;

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

  private constructor(
    private readonly dir: string,
    private readonly data: IndexData,
    private readonly logBytes: number,
  ) {}

  static load(stateDir: string): LedgerIndex {
    const data = emptyData();
    try {
      const base = JSON.parse(readFileSync(join(stateDir, 'index.json'), 'utf8')) as IndexData;
      if (base.version === INDEX_VERSION) mergeInto(data, base);
    } catch {
      // Missing or unreadable: start empty, it is only a cache.
    }
    let logBytes = 0;
    try {
      const log = readFileSync(join(stateDir, 'index.log'), 'utf8');
      logBytes = log.length;
      for (const line of log.split('\n')) {
        if (line === '') continue;
        try {
          mergeInto(data, JSON.parse(line) as Partial<IndexData>);
        } catch {
          // A line torn by a killed writer: skip it, its entries are simply re-read.
        }
      }
    } catch {
      // No log yet.
    }
    return new LedgerIndex(stateDir, data, logBytes);
  }

  commit(oid: string): { tree: string; parents: string[] } | undefined {
    return this.data.commits[oid];
  }

  setCommit(oid: string, tree: string, parents: string[]): void {
    const entry = { tree, parents };
    this.data.commits[oid] = entry;
    this.added.commits[oid] = entry;
    this.dirty = true;
  }

  private tuples(oid: string, depth = 0): EntryTuple[] | undefined {
    const full = this.data.trees[oid] ?? this.resolved.get(oid);
    if (full) return full;
    const delta = this.data.deltas[oid];
    if (!delta || depth > MAX_DELTA_CHAIN) return undefined;
    const base = this.tuples(delta.base, depth + 1);
    if (!base) return undefined;
    const byName = new Map(base.map((t) => [t[1], t]));
    for (const name of delta.del) byName.delete(name);
    for (const t of delta.set) byName.set(t[1], t);
    const tuples = [...byName.values()];
    this.resolved.set(oid, tuples);
    return tuples;
  }

  tree(oid: string): TreeEntry[] | undefined {
    return this.tuples(oid)?.map(([mode, name, entryOid]) => ({ mode, name, oid: entryOid }));
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
    return this.data.files[`${path} ${oid}`];
  }

  setFile(path: string, oid: string, decoded: DecodedFile): void {
    this.data.files[`${path} ${oid}`] = decoded;
    this.added.files[`${path} ${oid}`] = decoded;
    this.dirty = true;
  }

  mergeBase(a: string, b: string): string | null | undefined {
    return this.data.mergeBases[pairKey(a, b)];
  }

  setMergeBase(a: string, b: string, base: string | null): void {
    this.data.mergeBases[pairKey(a, b)] = base;
    this.added.mergeBases[pairKey(a, b)] = base;
    this.dirty = true;
  }

  /** Persists what this process learned: one appended log line, or a compaction when the log is large. */
  save(liveCommits: Iterable<string>): void {
    if (!this.dirty) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const line = `${JSON.stringify(this.added)}\n`;
      let baseExists = true;
      try {
        statSync(join(this.dir, 'index.json'));
      } catch {
        baseExists = false;
      }
      if (baseExists && this.logBytes + line.length <= MAX_LOG_BYTES) {
        appendFileSync(join(this.dir, 'index.log'), line);
      } else {
        this.compact(liveCommits);
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
    const keepTree = (oid: string, prefix: string): void => {
      const tuples = this.tuples(oid);
      if (!tuples) return;
      kept.trees[oid] = tuples;
      for (const [mode, name, entryOid] of tuples) {
        if (mode === TREE_MODE) {
          if (prefix === '') keepTree(entryOid, `${name}/`);
        } else {
          const key = `${prefix}${name} ${entryOid}`;
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
