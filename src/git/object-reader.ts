import type { GitObject } from './object-format.js';

/**
 * Reads objects from the repository's object store, loose or packed. Two implementations stand behind
 * this: native git (`git cat-file --batch`, fast on big packs) when a git binary is present, and
 * isomorphic-git otherwise (or when GT_GIT_BACKEND=iso).
 */
export interface ObjectReader {
  readonly backend: 'native' | 'iso';
  /** The object, or null when the store does not have it. */
  read(oid: string): Promise<GitObject | null>;
  /** Reads many objects in one round trip where the backend allows it. Missing ones are absent. */
  readMany(oids: readonly string[]): Promise<Map<string, GitObject>>;
  /** Common ancestor for a three-way merge; null when the histories are unrelated. */
  mergeBase(a: string, b: string): Promise<string | null>;
  close(): void;
}
