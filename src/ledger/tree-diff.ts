/**
 * The files that differ between two ledger commits, found by comparing their trees directly: a
 * subtree whose id is the same on both sides is never opened, so the cost follows the size of the
 * change, not of the ledger or of the history between the two commits.
 */
import { TREE_MODE } from '../git/object-format.js';
import type { ObjectCache } from './snapshot.js';
import { logicalChanges } from './layout.js';

export interface ChangedFile {
  path: string;
  /** The blob on the first side; null when the file is new. */
  before: string | null;
  /** The blob on the second side; null when the file was removed. */
  after: string | null;
}

/**
 * Every file (at any depth) whose blob differs between the trees of `from` and `to`, by logical path
 * (layout.ts: a file moved to its shard is no change), sorted by path.
 */
export async function changedFiles(cache: ObjectCache, from: string, to: string): Promise<ChangedFile[]> {
  const [a, b] = [await cache.commitInfo(from), await cache.commitInfo(to)];
  const out: ChangedFile[] = [];
  await diffTrees(cache, a.tree, b.tree, '', out);
  return logicalChanges(out).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

async function diffTrees(cache: ObjectCache, before: string | null, after: string | null, prefix: string, out: ChangedFile[]): Promise<void> {
  if (before === after) return;
  const left = new Map((before ? await cache.treeEntries(before) : []).map((e) => [e.name, e]));
  const right = new Map((after ? await cache.treeEntries(after) : []).map((e) => [e.name, e]));
  for (const name of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(name);
    const r = right.get(name);
    if (l && r && l.oid === r.oid && l.mode === r.mode) continue;
    const path = `${prefix}${name}`;
    const lTree = l?.mode === TREE_MODE ? l.oid : null;
    const rTree = r?.mode === TREE_MODE ? r.oid : null;
    if (lTree !== null || rTree !== null) await diffTrees(cache, lTree, rTree, `${path}/`, out);
    const lBlob = l && l.mode !== TREE_MODE ? l.oid : null;
    const rBlob = r && r.mode !== TREE_MODE ? r.oid : null;
    if (lBlob !== rBlob) out.push({ path, before: lBlob, after: rBlob });
  }
}
