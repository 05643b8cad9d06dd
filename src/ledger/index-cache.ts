import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TreeEntry } from '../git/object-format.js';

/** A file's parsed value, or why it could not be parsed. */
export type DecodedFile = { value: unknown } | { problem: string; line?: number };

interface IndexData {
  version: number;
  commits: Record<string, { tree: string; parents: string[] }>;
  trees: Record<string, [mode: string, name: string, oid: string][]>;
  /** Keyed by `<path> <blob oid>`: validation depends on the path (the id must match the file name). */
  files: Record<string, DecodedFile>;
  mergeBases: Record<string, string | null>;
}

const INDEX_VERSION = 1;

function emptyData(): IndexData {
  return { version: INDEX_VERSION, commits: {}, trees: {}, files: {}, mergeBases: {} };
}

/**
 * The read index in `.git/gt/`. Every entry is keyed by git object ids, which never change meaning, so
 * the index cannot be stale: a ref that moved behind gt's back simply points at ids the index has not
 * seen yet, and only those are read. Concurrent writers replace the file atomically; the last one wins
 * and the others' additions are re-read when next needed.
 */
export class LedgerIndex {
  private dirty = false;

  private constructor(
    private readonly indexPath: string,
    private data: IndexData,
  ) {}

  static load(stateDir: string): LedgerIndex {
    const indexPath = join(stateDir, 'index.json');
    try {
      const data = JSON.parse(readFileSync(indexPath, 'utf8')) as IndexData;
      if (data.version === INDEX_VERSION) return new LedgerIndex(indexPath, data);
    } catch {
      // Missing or unreadable: start empty, it is only a cache.
    }
    return new LedgerIndex(indexPath, emptyData());
  }

  commit(oid: string): { tree: string; parents: string[] } | undefined {
    return this.data.commits[oid];
  }

  setCommit(oid: string, tree: string, parents: string[]): void {
    this.data.commits[oid] = { tree, parents };
    this.dirty = true;
  }

  tree(oid: string): TreeEntry[] | undefined {
    const entries = this.data.trees[oid];
    return entries?.map(([mode, name, entryOid]) => ({ mode, name, oid: entryOid }));
  }

  setTree(oid: string, entries: readonly TreeEntry[]): void {
    this.data.trees[oid] = entries.map((e) => [e.mode, e.name, e.oid]);
    this.dirty = true;
  }

  file(path: string, oid: string): DecodedFile | undefined {
    return this.data.files[`${path} ${oid}`];
  }

  setFile(path: string, oid: string, decoded: DecodedFile): void {
    this.data.files[`${path} ${oid}`] = decoded;
    this.dirty = true;
  }

  mergeBase(a: string, b: string): string | null | undefined {
    return this.data.mergeBases[a < b ? `${a} ${b}` : `${b} ${a}`];
  }

  setMergeBase(a: string, b: string, base: string | null): void {
    this.data.mergeBases[a < b ? `${a} ${b}` : `${b} ${a}`] = base;
    this.dirty = true;
  }

  /**
   * Writes the index, keeping only what the given live commits reach (their trees, files and merge
   * bases), so it does not grow with history.
   */
  save(liveCommits: Iterable<string>): void {
    if (!this.dirty) return;
    const live = new Set(liveCommits);
    const kept = emptyData();
    const keepTree = (oid: string, prefix: string): void => {
      const entries = this.data.trees[oid];
      if (!entries) return;
      kept.trees[oid] = entries;
      for (const [mode, name, entryOid] of entries) {
        if (mode === '40000') {
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
    this.data = kept;
    try {
      mkdirSync(join(this.indexPath, '..'), { recursive: true });
      const tmp = `${this.indexPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, JSON.stringify(kept));
      renameSync(tmp, this.indexPath);
      this.dirty = false;
    } catch {
      // A cache that cannot be written is rebuilt next time; the command itself succeeded.
    }
  }
}
