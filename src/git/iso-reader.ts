import * as fs from 'node:fs';
import type { GitObject, ObjectType } from './object-format.js';
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

  close(): void {}
}
