/**
 * Where things live on the ledger branch and in the repository.
 *
 * Two kinds of path name a ledger file. Everything above the storage (snapshots, merges, diffs, the
 * history index, views, the observer) uses the *logical* path `<dir>/<id>.yaml`. On the branch an
 * entity file is *stored* one level deeper, in a shard: `<dir>/<shard>/<id>.yaml`, the shard being
 * the first two hex digits of sha1(id). Only the snapshot reader and the tree writer (snapshot.ts),
 * the tree diff, the tree-by-tree merge (merge/shard-merge.ts) and the history index translate,
 * through the functions below.
 *
 * Why shards: a commit rewrites every tree on the path to the file it changes. With one flat folder
 * per kind, a one-bead commit at 10,000 beads re-creates a 10,000-entry tree (~450 KB of objects);
 * with 256 shards it re-creates a 256-entry folder tree and a ~40-entry shard tree (~8 KB at 10k,
 * ~13 KB at 50k). Why every kind and not only those that grow: one rule for every entity file keeps
 * readers, `gt check` and git's attribute patterns kind-blind, a kind that starts small (agents)
 * never needs a second migration when it grows, and a small kind pays one extra tree of a few
 * hundred bytes per commit that touches it.
 *
 * Older ledgers (schema 1) keep entity files flat, `<dir>/<id>.yaml`. Readers accept both, so an old
 * ledger, agent branch or remote reads and merges with a new one by logical path; gt moves a ledger
 * to shards on its first write (config schema 2, see Ledger.write) or with gt doctor --fix.
 */
import { hash } from 'node:crypto';
import { AGENT_REF_PREFIX, checkId, checkedAgentRef } from './names.js';

export { AGENT_NAME_PATTERN, AGENT_REF_PREFIX } from './names.js';

export const LEDGER_REF = 'refs/heads/gt/ledger';
export const LEDGER_BRANCH = 'gt/ledger';
export const CONFIG_PATH = 'gt.yaml';
export const OVERSEER = 'overseer';

/** The agent's branch; a name git would not take as a branch is refused (names.ts), never written. */
export function agentRef(agent: string): string {
  return checkedAgentRef(agent);
}

export function agentFromRef(ref: string): string | undefined {
  return ref.startsWith(AGENT_REF_PREFIX) ? ref.slice(AGENT_REF_PREFIX.length) : undefined;
}

/** The directory of a path on the ledger ('' for files at the root). */
export function dirOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The logical path of an entity's file; an id that is not one plain path segment is refused (names.ts), never written. */
export function entityPath(dir: string, id: string): string {
  return `${dir}/${checkId(id)}.yaml`;
}

/**
 * The id an entity file holds, from its name; undefined for files that are not entity files. Only
 * `<dir>/<id>.yaml` is one: a README, an `x.yml`, a file in a subfolder or at the root is not, and
 * every command and the observer skip it (gt doctor names it).
 */
export function idFromPath(path: string): string | undefined {
  const match = /^[^/]+\/([^/]+)\.yaml$/.exec(path);
  return match?.[1];
}

const SHARD_NAME = /^[0-9a-f]{2}$/;

/** The shard an entity file is stored in: the first two hex digits of sha1 of its id. */
export function shardOf(id: string): string {
  return hash('sha1', id).slice(0, 2);
}

/** Whether a folder name inside a kind's folder is a shard's. */
export function isShardName(name: string): boolean {
  return SHARD_NAME.test(name);
}

/** Where the file of logical `path` is stored: `<dir>/<shard>/<id>.yaml` for an entity file, else `path` itself. */
export function storedPath(path: string): string {
  const id = idFromPath(path);
  return id === undefined ? path : `${dirOf(path)}/${shardOf(id)}/${id}.yaml`;
}

/**
 * The logical path of a stored file: `<dir>/<shard>/<id>.yaml` and the old flat `<dir>/<id>.yaml` both
 * give `<dir>/<id>.yaml`, whether or not the shard is the right one (see placementOf). Any other file
 * keeps its path.
 */
export function logicalPath(stored: string): string {
  const match = /^([^/]+)\/([0-9a-f]{2})\/([^/]+\.yaml)$/.exec(stored);
  return match && idFromPath(`${match[1]}/${match[3]}`) !== undefined ? `${match[1]}/${match[3]}` : stored;
}

/** Whether a stored entity file is where the current layout puts it, in an old flat place, or in a shard not its own. */
export function placementOf(stored: string): 'placed' | 'flat' | 'wrong-shard' | undefined {
  const logical = logicalPath(stored);
  if (idFromPath(logical) === undefined) return undefined;
  if (logical === stored) return 'flat';
  return storedPath(logical) === stored ? 'placed' : 'wrong-shard';
}

/**
 * A commit's file changes (stored paths, blobs before and after) by logical path: a file that only
 * moved (to its shard, by a migration) is no change, and a file that moved and changed is one change.
 */
export function logicalChanges<C extends { path: string; before: string | null; after: string | null }>(changes: readonly C[]): C[] {
  const byPath = new Map<string, C>();
  for (const change of changes) {
    const path = logicalPath(change.path);
    const known = byPath.get(path);
    if (!known) byPath.set(path, { ...change, path });
    else byPath.set(path, { ...known, before: known.before ?? change.before, after: known.after ?? change.after });
  }
  return [...byPath.values()].filter((c) => c.before !== c.after);
}
