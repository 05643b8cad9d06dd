import * as fs from 'node:fs';
import { decodeCommit, decodeTree, TREE_MODE, type Commit, type GitObject, type ObjectType } from './object-format.js';
import type { ObjectReader } from './object-reader.js';

type IsoGit = typeof import('isomorphic-git');

/**
 * Objects through isomorphic-git, for machines without a git binary. Loaded lazily: importing it costs
 * ~40 ms, which the common native path should not pay.
 */
export class IsoObjectReader implements ObjectReader {
  readonly backend = 'iso' as const;
  private git: IsoGit | undefined;
  /** isomorphic-git's pack cache: without it every read re-parses the pack indexes. */
  private readonly cache = {};

  constructor(private readonly gitDir: string) {}

  private async load(): Promise<IsoGit> {
    this.git ??= (await import('isomorphic-git')).default as unknown as IsoGit;
    return this.git;
  }

  async read(oid: string): Promise<GitObject | null> {
    const git = await this.load();
    try {
      const result = await git.readObject({ fs, gitdir: this.gitDir, oid, format: 'content', cache: this.cache });
      return { type: result.type as ObjectType, content: Buffer.from(result.object as Uint8Array) };
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFoundError') return null;
      throw error;
    }
  }

  async readMany(oids: readonly string[]): Promise<Map<string, GitObject>> {
    const map = new Map<string, GitObject>();
    // Bounded parallelism: isomorphic-git reads are mostly filesystem waits.
    const queue = [...oids];
    const worker = async (): Promise<void> => {
      for (let oid = queue.shift(); oid !== undefined; oid = queue.shift()) {
        const obj = await this.read(oid);
        if (obj) map.set(oid, obj);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return map;
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    const git = await this.load();
    const bases = await git.findMergeBase({ fs, gitdir: this.gitDir, oids: [a, b], cache: this.cache });
    return (bases[0] as string | undefined) ?? null;
  }

  /**
   * `git log <ref> -- <path>` as native git walks it (isomorphic-git's own `log({ filepath })` compares
   * commits in date order rather than each commit with its parents, which goes wrong across merges):
   * commits come newest first by committer date (equal dates first in, first out); a commit is listed
   * when the file differs from every parent (for a root commit: when the file exists); a merge whose
   * file matches one of its parents follows only the first such parent.
   */
  async pathHistory(ref: string, path: string): Promise<string[]> {
    const git = await this.load();
    let tip: string;
    try {
      tip = await git.resolveRef({ fs, gitdir: this.gitDir, ref });
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFoundError') return [];
      throw error;
    }
    const commits = new Map<string, Commit>();
    const commitOf = async (oid: string): Promise<Commit> => {
      let commit = commits.get(oid);
      if (!commit) {
        const obj = await this.read(oid);
        if (!obj || obj.type !== 'commit') throw new Error(`commit ${oid} is missing from the object store`);
        commits.set(oid, (commit = decodeCommit(obj.content)));
      }
      return commit;
    };
    const segments = path.split('/');
    /** The file's mode and blob id in a commit's tree, or null when it is not there. */
    const fileAt = async (oid: string): Promise<string | null> => {
      let tree = (await commitOf(oid)).tree;
      for (const [i, name] of segments.entries()) {
        const obj = await this.read(tree);
        if (!obj || obj.type !== 'tree') throw new Error(`tree ${tree} is missing from the object store`);
        const entry = decodeTree(obj.content).find((e) => e.name === name);
        if (!entry) return null;
        if (i === segments.length - 1) return `${entry.mode} ${entry.oid}`;
        if (entry.mode !== TREE_MODE) return null;
        tree = entry.oid;
      }
      return null;
    };
    const queue: { oid: string; date: number }[] = [];
    const enqueue = async (oid: string): Promise<void> => {
      const date = (await commitOf(oid)).committer.timestamp;
      let at = 0;
      while (at < queue.length && queue[at]!.date >= date) at++;
      queue.splice(at, 0, { oid, date });
    };
    const seen = new Set([tip]);
    await enqueue(tip);
    const history: string[] = [];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const file = await fileAt(next.oid);
      let parents = (await commitOf(next.oid)).parents;
      let same = parents.length === 0 && file === null;
      for (const parent of parents) {
        if ((await fileAt(parent)) === file) {
          parents = [parent];
          same = true;
          break;
        }
      }
      if (!same) history.push(next.oid);
      for (const parent of parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        await enqueue(parent);
      }
    }
    return history;
  }

  close(): void {}
}
