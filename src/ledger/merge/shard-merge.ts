/**
 * A three-way merge of two ledger commits whose cost follows what theirs changed, not the size of the
 * ledger. Instead of listing every file of the three sides (snapshot.ts), it compares their trees level
 * by level — root, kind folder, shard (layout.ts) — and opens a folder or shard only where theirs
 * differs from both base and ours: a file there that theirs shares with ours, or left as base had it,
 * changes nothing (mergeFiles' first test), so files in such subtrees are never listed or decoded.
 *
 * That holds only when every entity file is in its own shard, so that a file's version on a side is
 * the one copy in its shard. A side with flat files of the older layout or copies in another shard is
 * merged from whole snapshots, whose copy choice (chooseCopies) decides; so is a merge that renames an
 * entity (its new id must avoid every id of the three sides).
 */
import { TREE_MODE, type TreeEntry } from '../../git/object-format.js';
import type { FileVersion, ObjectCache } from '../snapshot.js';
import { mergeFiles, mergeSnapshots, type TreeMergeResult } from './tree-merge.js';
import { idFromPath, isShardName } from '../layout.js';

type Side = 'base' | 'ours' | 'theirs';
const SIDES: readonly Side[] = ['base', 'ours', 'theirs'];

/** A folder on each side: its tree id, or undefined where the side has none (or a file of that name). */
type Trees = Record<Side, string | undefined>;

/** A folder's entries on each side (none where the side has no such folder). */
type Listing = Record<Side, TreeEntry[]>;

/** Whether theirs may change something below: its tree differs from both base's and ours. */
function theirsDiffers(trees: Trees): boolean {
  return trees.theirs !== trees.ours && trees.theirs !== trees.base;
}

/** The subfolders named `wanted` that theirs changed, by name. */
function changedSubtrees(listing: Listing, wanted: (name: string) => boolean): Map<string, Trees> {
  const found = new Map<string, Trees>();
  for (const side of SIDES) {
    for (const e of listing[side]) {
      if (e.mode !== TREE_MODE || !wanted(e.name)) continue;
      let trees = found.get(e.name);
      if (!trees) found.set(e.name, (trees = { base: undefined, ours: undefined, theirs: undefined }));
      trees[side] = e.oid;
    }
  }
  for (const [name, trees] of found) if (!theirsDiffers(trees)) found.delete(name);
  return found;
}

/** The names of the files in a folder that theirs has otherwise than both base and ours. */
function changedNames(listing: Listing): Set<string> {
  const blobs = (side: Side) => new Map(listing[side].flatMap((e): [string, string][] => (e.mode === TREE_MODE ? [] : [[e.name, e.oid]])));
  const [base, ours, theirs] = [blobs('base'), blobs('ours'), blobs('theirs')];
  const names = new Set<string>();
  for (const side of [base, ours, theirs]) {
    for (const name of side.keys()) if (theirs.get(name) !== ours.get(name) && theirs.get(name) !== base.get(name)) names.add(name);
  }
  return names;
}

/** Each side's entries of a folder, read with one round trip to git for all of them. */
async function listingsOf(cache: ObjectCache, folders: Map<string, Trees>): Promise<Map<string, Listing>> {
  await cache.prefetchTrees([...folders.values()].flatMap((trees) => SIDES.map((side) => trees[side]).filter((oid): oid is string => oid !== undefined)));
  const listings = new Map<string, Listing>();
  for (const [name, trees] of folders) {
    const read = async (side: Side) => (trees[side] === undefined ? [] : cache.treeEntries(trees[side]));
    listings.set(name, { base: await read('base'), ours: await read('ours'), theirs: await read('theirs') });
  }
  return listings;
}

/**
 * The files theirs has otherwise than both base and ours — no other can change anything (mergeFiles'
 * first test) — with each side's version, by logical path. Only the folders and shards theirs changed
 * are listed: at 50,000 entities a shard holds a few hundred files, of which a branch changed one or
 * two. Each side's files keep the order of its snapshot (other files as met, then entity files by
 * kind, shard and name), so notes and changes come out in the same order as from whole snapshots.
 * Every side must be in the current layout (ObjectCache.isPlaced): a file is then the one copy in its shard.
 */
async function changedSubtreeFiles(cache: ObjectCache, roots: Trees): Promise<Record<Side, Map<string, string>>> {
  const root = (await listingsOf(cache, new Map([['', roots]]))).get('')!;
  const folders = await listingsOf(cache, changedSubtrees(root, () => true));
  const shardTrees = new Map<string, Trees>();
  for (const [folder, listing] of folders) {
    if (!cache.kinds.has(folder)) continue;
    for (const [shard, trees] of changedSubtrees(listing, isShardName)) shardTrees.set(`${folder}/${shard}`, trees);
  }
  const shards = await listingsOf(cache, shardTrees);
  const changed = new Map<Listing, Set<string>>([root, ...folders.values(), ...shards.values()].map((listing) => [listing, changedNames(listing)]));

  const sideFiles = (side: Side): Map<string, string> => {
    const plain: [path: string, oid: string][] = [];
    const entities: [path: string, oid: string][] = [];
    const blobsOf = (listing: Listing) => listing[side].filter((e) => e.mode !== TREE_MODE && changed.get(listing)!.has(e.name));
    for (const entry of root[side]) {
      if (entry.mode !== TREE_MODE) {
        if (changed.get(root)!.has(entry.name)) plain.push([entry.name, entry.oid]);
        continue;
      }
      const folder = folders.get(entry.name);
      if (!folder) continue;
      // A placed side has no flat entity file; anything but a shard below a kind is not read.
      for (const child of folder[side]) {
        if (child.mode !== TREE_MODE) {
          if (changed.get(folder)!.has(child.name)) plain.push([`${entry.name}/${child.name}`, child.oid]);
          continue;
        }
        const shard = shards.get(`${entry.name}/${child.name}`);
        if (!shard) continue;
        for (const file of blobsOf(shard)) {
          const path = `${entry.name}/${file.name}`;
          if (idFromPath(path) !== undefined) entities.push([path, file.oid]);
        }
      }
    }
    return new Map([...plain, ...entities]);
  };
  return { base: sideFiles('base'), ours: sideFiles('ours'), theirs: sideFiles('theirs') };
}

/**
 * mergeSnapshots of the snapshots of `base` (null: no common history), `ours` and `theirs`, with the
 * same result, reading only the folders and shards theirs changed when every side is in the current layout.
 */
export async function mergeCommits(cache: ObjectCache, base: string | null, ours: string, theirs: string): Promise<TreeMergeResult> {
  const commits = base === null ? [ours, theirs] : [base, ours, theirs];
  let placed = true;
  for (const commit of commits) placed &&= await cache.isPlaced(commit);
  if (placed) {
    const roots: Trees = {
      base: base === null ? undefined : (await cache.commitInfo(base)).tree,
      ours: (await cache.commitInfo(ours)).tree,
      theirs: (await cache.commitInfo(theirs)).tree,
    };
    const sides = await changedSubtreeFiles(cache, roots);
    const versions = (side: Side) => new Map<string, FileVersion>([...sides[side]].map(([path, oid]) => [path, { oid }]));
    const merged = await mergeFiles(cache, versions('base'), versions('ours'), versions('theirs'));
    if (merged.renames.length === 0) return merged;
  }
  return mergeSnapshots(cache, base === null ? null : await cache.snapshot(base), await cache.snapshot(ours), await cache.snapshot(theirs));
}

/**
 * The files `to` adds or changes against `from` (not those it removes), by logical path, in the order
 * of `to`'s snapshot: what a fast-forward from one to the other brings.
 */
export async function filesAddedOrChanged(cache: ObjectCache, from: string, to: string): Promise<string[]> {
  let before: ReadonlyMap<string, string>;
  let after: ReadonlyMap<string, string>;
  if ((await cache.isPlaced(from)) && (await cache.isPlaced(to))) {
    // `from` as both base and ours: the subtrees `to` changed.
    const [fromTree, toTree] = [(await cache.commitInfo(from)).tree, (await cache.commitInfo(to)).tree];
    const sides = await changedSubtreeFiles(cache, { base: fromTree, ours: fromTree, theirs: toTree });
    [before, after] = [sides.ours, sides.theirs];
  } else {
    [before, after] = [(await cache.snapshot(from)).files, (await cache.snapshot(to)).files];
  }
  return [...after].filter(([path, oid]) => before.get(path) !== oid).map(([path]) => path);
}
