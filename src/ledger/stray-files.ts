/**
 * Files on the ledger that gt does not read: anything in a kind's folder that is not a shard or a flat
 * `<id>.yaml` (a README, `x.yml`, another subfolder), anything in a shard that is not `<id>.yaml`, and
 * anything at the root besides `gt.yaml`, `.gitattributes` and the kinds' folders.
 * Every command and the observer skip them; gt doctor names them, one warning each.
 */
import type { ObjectCache } from './snapshot.js';
import { CONFIG_PATH, idFromPath, isShardName, placementOf } from './layout.js';
import { ATTRIBUTES_PATH } from './attributes.js';
import { TREE_MODE } from '../git/object-format.js';

/** The stray paths of one ledger commit (a folder ends with `/`), sorted. */
export async function strayPaths(cache: ObjectCache, commit: string): Promise<string[]> {
  const { tree } = await cache.commitInfo(commit);
  const stray: string[] = [];
  for (const entry of await cache.treeEntries(tree)) {
    const isDir = entry.mode === TREE_MODE;
    if (!isDir) {
      if (entry.name !== CONFIG_PATH && entry.name !== ATTRIBUTES_PATH) stray.push(entry.name);
      continue;
    }
    if (!cache.kinds.has(entry.name)) {
      stray.push(`${entry.name}/`);
      continue;
    }
    for (const child of await cache.treeEntries(entry.oid)) {
      const path = `${entry.name}/${child.name}`;
      if (child.mode !== TREE_MODE) {
        if (idFromPath(path) === undefined) stray.push(path);
      } else if (!isShardName(child.name)) stray.push(`${path}/`);
      else {
        for (const inner of await cache.treeEntries(child.oid)) {
          const innerPath = `${path}/${inner.name}`;
          if (inner.mode === TREE_MODE) stray.push(`${innerPath}/`);
          else if (placementOf(innerPath) === undefined) stray.push(innerPath);
        }
      }
    }
  }
  return stray.sort();
}
