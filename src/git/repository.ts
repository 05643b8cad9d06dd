import { join } from 'node:path';
import { findRepository, type RepoPaths } from './repo-paths.js';
import { RefStore } from './refs.js';
import { LooseObjectWriter } from './object-writer.js';
import type { ObjectReader } from './object-reader.js';
import { hasNativeGit, NativeObjectReader } from './native-reader.js';
import { IsoObjectReader } from './iso-reader.js';
import { decodeCommit, decodeTree, type Commit, type TreeEntry } from './object-format.js';
import { UsageError } from '../errors.js';
import { startAutoGcIfDue } from './auto-gc.js';
import type { Clock } from '../clock.js';

export type GitBackend = 'native' | 'iso';

export interface RepositoryOptions {
  /** Which object reader to use; default: native when a git binary is present. */
  backend?: GitBackend;
  staleLockMs: number;
  /** The clock lock ages are measured against; default the clock module's. */
  now?: Clock;
}

function chooseBackend(requested: string | undefined): GitBackend {
  if (requested === undefined || requested === '' || requested === 'auto') return hasNativeGit() ? 'native' : 'iso';
  if (requested === 'native' || requested === 'iso') return requested;
  throw new UsageError(`GT_GIT_BACKEND must be native, iso or auto, not '${requested}'`);
}

/** One git repository as the ledger sees it: paths, refs, an object reader and a crash-safe writer. */
export class Repository {
  readonly refs: RefStore;
  readonly writer: LooseObjectWriter;
  /** Machine-local state of gt: index, locks, checkpoints. Never on the ledger. */
  readonly stateDir: string;
  private objectReader: ObjectReader | undefined;

  private constructor(
    readonly paths: RepoPaths,
    private readonly options: RepositoryOptions,
  ) {
    this.refs = new RefStore(paths.commonDir, { staleLockMs: options.staleLockMs, ...(options.now ? { now: options.now } : {}) });
    this.writer = new LooseObjectWriter(join(paths.commonDir, 'objects'));
    this.stateDir = join(paths.commonDir, 'gt');
  }

  /**
   * Created on first use: a read answered from the index needs no object reader, and choosing one
   * means probing for a git binary, which costs a process spawn.
   */
  /** Which object reader this repository uses (the first call may probe for a git binary). */
  backendChoice(): 'native' | 'iso' {
    return this.objectReader?.backend ?? this.options.backend ?? chooseBackend(process.env.GT_GIT_BACKEND);
  }

  get reader(): ObjectReader {
    if (!this.objectReader) {
      const backend = this.backendChoice();
      this.objectReader = backend === 'native' ? new NativeObjectReader(this.paths.gitDir) : new IsoObjectReader(this.paths.commonDir);
    }
    return this.objectReader;
  }

  static open(cwd: string, options: RepositoryOptions): Repository {
    return new Repository(findRepository(cwd), options);
  }

  async readCommit(oid: string): Promise<Commit> {
    const obj = await this.reader.read(oid);
    if (!obj || obj.type !== 'commit') throw new Error(`commit ${oid} is missing from the object store`);
    return decodeCommit(obj.content);
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const obj = await this.reader.read(oid);
    if (!obj || obj.type !== 'tree') throw new Error(`tree ${oid} is missing from the object store`);
    return decodeTree(obj.content);
  }

  /**
   * After a ref moved to new objects: starts git's auto gc in the background when the loose objects
   * call for it (auto-gc.ts). Costs a directory listing; the command never waits for the gc.
   */
  packIfDue(): boolean {
    return startAutoGcIfDue(this.paths);
  }

  close(): void {
    this.objectReader?.close();
  }
}
