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

/** One side's files in the order its snapshot lists them: other files as met, then entity files by kind, shard and name. */
interface SideFiles {
  plain: [path: string, oid: string][];
  entities: [path: string, oid: string][];
}

/** A folder on each side: its tree id, or undefined where the side has none (or a file of that name). */
type Trees = Record<Side, string | undefined>;

/** Whether theirs may change something below: its tree differs from both base's and ours. */
function theirsDiffers(trees: Trees): boolean {
  return trees.theirs !== trees.ours && trees.theirs !== trees.base;
}

function subtreesOf(entries: Record<Side, TreeEntry[]>, name: string): Trees {
  const of = (side: Side) => {
    const entry = entries[side].find((e) => e.name === name);
    return entry?.mode === TREE_MODE ? entry.oid : undefined;
  };
  return { base: of('base'), ours: of('ours'), theirs: of('theirs') };
}

/** Each side's entries of a tree (none where it has no such tree), read with one round trip to git. */
async function entriesOf(cache: ObjectCache, trees: Trees): Promise<Record<Side, TreeEntry[]>> {
  await cache.prefetchTrees(SIDES.map((side) => trees[side]).filter((oid): oid is string => oid !== undefined));
  const read = async (side: Side) => (trees[side] === undefined ? [] : cache.treeEntries(trees[side]));
  return { base: await read('base'), ours: await read('ours'), theirs: await read('theirs') };
}

/**
 * The files theirs has otherwise than both base and ours, with each side's version, by logical path;
 * only the subtrees theirs changed are listed. Each side's files keep the order of its snapshot, so
 * notes and changes come out in the same order as from whole snapshots. Every side must be in the
 * current layout (ObjectCache.isPlaced).
 */
async function changedSubtreeFiles(cache: ObjectCache, roots: Trees): Promise<Record<Side, Map<string, string>>> {
  const files: Record<Side, SideFiles> = { base: { plain: [], entities: [] }, ours: { plain: [], entities: [] }, theirs: { plain: [], entities: [] } };
  const root = await entriesOf(cache, roots);
  const folders = [...new Set(SIDES.flatMap((side) => root[side].filter((e) => e.mode === TREE_MODE).map((e) => e.name)))]
    .map((name) => ({ name, trees: subtreesOf(root, name) }))
    .filter((folder) => theirsDiffers(folder.trees));
  await cache.prefetchTrees(folders.flatMap((folder) => SIDES.map((side) => folder.trees[side]).filter((oid): oid is string => oid !== undefined)));
  const folderEntries = new Map<string, Record<Side, TreeEntry[]>>();
  for (const folder of folders) folderEntries.set(folder.name, await entriesOf(cache, folder.trees));

  // The shards theirs changed, per kind: read in one batch, listed per side in its own tree order.
  const shardEntries = new Map<string, Record<Side, TreeEntry[]>>();
  const shardTrees: string[] = [];
  for (const folder of folders) {
    if (!cache.kinds.has(folder.name)) continue;
    const entries = folderEntries.get(folder.name)!;
    for (const name of new Set(SIDES.flatMap((side) => entries[side].filter((e) => e.mode === TREE_MODE && isShardName(e.name)).map((e) => e.name)))) {
      const trees = subtreesOf(entries, name);
      if (!theirsDiffers(trees)) continue;
      shardEntries.set(`${folder.name}/${name}`, { base: [], ours: [], theirs: [] });
      for (const side of SIDES) if (trees[side] !== undefined) shardTrees.push(trees[side]);
    }
  }
  await cache.prefetchTrees(shardTrees);

  for (const side of SIDES) {
    const { plain, entities } = files[side];
    for (const entry of root[side]) {
      if (entry.mode !== TREE_MODE) {
        plain.push([entry.name, entry.oid]);
        continue;
      }
      const entries = folderEntries.get(entry.name)?.[side];
      if (!entries) continue;
      const isKind = cache.kinds.has(entry.name);
      for (const child of entries) {
        const path = `${entry.name}/${child.name}`;
        // A placed side has no flat entity file; anything but a shard below a kind is not read.
        if (child.mode !== TREE_MODE) plain.push([path, child.oid]);
        else if (isKind && shardEntries.has(path)) {
          for (const file of await cache.treeEntries(child.oid)) {
            const logical = `${entry.name}/${file.name}`;
            if (file.mode !== TREE_MODE && idFromPath(logical) !== undefined) entities.push([logical, file.oid]);
          }
        }
      }
    }
  }
  const all = (side: Side) => new Map([...files[side].plain, ...files[side].entities]);
  const [base, ours, theirs] = [all('base'), all('ours'), all('theirs')];
  // A file theirs has as ours or base has it changes nothing either: keep only the others (a shard
  // holds a few hundred files at 50,000 entities, of which a branch changed one or two).
  const keep = (path: string) => theirs.get(path) !== ours.get(path) && theirs.get(path) !== base.get(path);
  const only = (files: Map<string, string>) => new Map([...files].filter(([path]) => keep(path)));
  return { base: only(base), ours: only(ours), theirs: only(theirs) };
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
