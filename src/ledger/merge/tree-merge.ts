import { createHash } from 'node:crypto';
import type { ObjectCache, FileVersion, Snapshot } from '../snapshot.js';
import type { EntityKinds } from '../entity-kind.js';
import type { MergeNote } from '../entity-kind.js';
import { CONFIG_PATH, dirOf, entityPath, idFromPath } from '../layout.js';
import type { LedgerConfig } from '../config.js';
import { encodeConfig } from '../config-codec.js';
import { mergeSettings } from '../settings-store.js';

export interface TreeMergeResult {
  /** What to apply to `ours` to obtain the merged tree (null deletes). */
  changes: Map<string, FileVersion | null>;
  notes: MergeNote[];
  /** Entities that arrived from `theirs` under an id `ours` already used for another entity. */
  renames: { from: string; to: string }[];
}

function sameVersion(a: FileVersion | undefined, b: FileVersion | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return 'oid' in a && 'oid' in b && a.oid === b.oid;
}

function asVersions(snapshot: Snapshot | null): Map<string, FileVersion> {
  const map = new Map<string, FileVersion>();
  if (snapshot) for (const [path, oid] of snapshot.files) map.set(path, { oid });
  return map;
}

/**
 * `gt.yaml`, field by field: the newer schema, the prefix changed on their side if only there, the
 * union of declared types, and the settings key by key (settings-store.ts: the later edit wins).
 */
export function mergeConfig(base: LedgerConfig | undefined, ours: LedgerConfig, theirs: LedgerConfig): { config: LedgerConfig; notes: MergeNote[] } {
  const { notes, ...settings } = mergeSettings(base, ours, theirs);
  return {
    config: {
      schema: Math.max(ours.schema, theirs.schema),
      prefix: base && ours.prefix === base.prefix ? theirs.prefix : ours.prefix,
      types: [...new Set([...ours.types, ...theirs.types])].sort(),
      ...settings,
    },
    notes,
  };
}

/**
 * Three-way merge of two ledger trees, file by file: a file changed on one side is taken from that
 * side, and a file changed on both is merged field by field by its entity kind. Never a conflict
 * marker; a file deleted on one side and changed on the other is kept; two different entities added
 * under one id both survive (the incoming one is renamed, and references to it on its side follow).
 */
export async function mergeSnapshots(
  cache: ObjectCache,
  base: Snapshot | null,
  ours: Snapshot,
  theirs: Snapshot,
): Promise<TreeMergeResult> {
  return mergeFiles(cache, asVersions(base), asVersions(ours), asVersions(theirs));
}

/**
 * mergeSnapshots over the three sides' files by logical path. The maps may leave out files that are
 * the same on theirs and ours, or on theirs and base (shard-merge.ts): no change can come from them.
 * Only the new ids of renames depend on every path, so a caller that left files out and gets renames
 * must merge the whole snapshots instead. `t` is changed.
 */
export async function mergeFiles(cache: ObjectCache, b: ReadonlyMap<string, FileVersion>, o: ReadonlyMap<string, FileVersion>, t: Map<string, FileVersion>): Promise<TreeMergeResult> {
  const notes: MergeNote[] = [];
  const renames: { from: string; to: string }[] = [];
  const kinds = cache.kinds;

  const valueOf = async (path: string, version: FileVersion | undefined): Promise<unknown> => {
    if (!version) return undefined;
    if ('value' in version) return version.value;
    const decoded = await cache.decode(path, version.oid);
    return 'value' in decoded ? decoded.value : undefined;
  };

  // Id collisions: the same new path on both sides holding different entities.
  const taken = new Set([...b.keys(), ...o.keys(), ...t.keys()]);
  // Files that are not entity files (a README in beads/) are carried as they are, never decoded.
  const kindOf = (path: string) => (idFromPath(path) === undefined ? undefined : kinds.get(dirOf(path)));
  for (const [path, theirVersion] of t) {
    const kind = kindOf(path);
    const ourVersion = o.get(path);
    if (!kind || b.has(path) || !ourVersion || sameVersion(ourVersion, theirVersion)) continue;
    const [ourValue, theirValue] = [await valueOf(path, ourVersion), await valueOf(path, theirVersion)];
    if (ourValue === undefined || theirValue === undefined || kind.sameIdentity(ourValue, theirValue)) continue;
    const id = idFromPath(path)!;
    const seed = createHash('sha1').update(kind.encode(theirValue)).digest('hex');
    let newId = id;
    for (let n = 2; taken.has(entityPath(kind.dir, newId)); n++) {
      newId = `${id}${BigInt(`0x${seed}`).toString(36).slice(0, n)}`;
    }
    taken.add(entityPath(kind.dir, newId));
    renames.push({ from: id, to: newId });
  }
  if (renames.length > 0) {
    // Everything that side changed refers to its own entity, so its references move with it.
    for (const [path, version] of [...t]) {
      if (sameVersion(version, b.get(path))) continue;
      const kind = kindOf(path);
      let value = kind ? await valueOf(path, version) : undefined;
      if (!kind || value === undefined) continue;
      for (const { from, to } of renames) value = kind.renameId(value, from, to);
      const newPath = entityPath(kind.dir, kind.idOf(value));
      if (newPath !== path) t.delete(path);
      t.set(newPath, { text: kind.encode(value), value });
    }
    for (const { from, to } of renames) notes.push({ id: to, field: 'id', kept: to, superseded: from });
  }

  const changes = new Map<string, FileVersion | null>();
  for (const path of new Set([...b.keys(), ...o.keys(), ...t.keys()])) {
    const [bv, ov, tv] = [b.get(path), o.get(path), t.get(path)];
    if (sameVersion(ov, tv) || sameVersion(tv, bv)) continue;
    if (sameVersion(ov, bv)) {
      changes.set(path, tv ?? null);
      continue;
    }
    // Changed on both sides. A deletion never wins over a change: nothing is lost.
    if (!tv) continue;
    if (!ov) {
      changes.set(path, tv);
      continue;
    }
    const [baseValue, ourValue, theirValue] = [await valueOf(path, bv), await valueOf(path, ov), await valueOf(path, tv)];
    if (theirValue === undefined || theirValue === null) continue;
    if (ourValue === undefined || ourValue === null) {
      changes.set(path, tv);
      continue;
    }
    const merged = mergeBothChanged(kinds, path, baseValue ?? undefined, ourValue, theirValue);
    if (!merged) continue;
    notes.push(...merged.notes);
    if (merged.value !== ourValue) changes.set(path, { text: merged.encode(), value: merged.value });
  }
  return { changes, notes, renames };
}

/**
 * One file both sides changed, merged by what it holds: `gt.yaml` by mergeConfig, an entity field by
 * field by its kind (`ours` itself when nothing of theirs is new; `encode` gives the file). Undefined for a file gt does not read.
 */
export function mergeBothChanged(kinds: EntityKinds, path: string, base: unknown, ours: unknown, theirs: unknown): { value: unknown; encode: () => string; notes: MergeNote[] } | undefined {
  if (path === CONFIG_PATH) {
    const merged = mergeConfig(base as LedgerConfig | undefined, ours as LedgerConfig, theirs as LedgerConfig);
    return { value: merged.config, encode: () => encodeConfig(merged.config), notes: merged.notes };
  }
  const kind = idFromPath(path) === undefined ? undefined : kinds.get(dirOf(path));
  if (!kind) return undefined;
  const merged = kind.merge(base, ours, theirs);
  return { value: merged.value, encode: () => kind.encode(merged.value), notes: merged.notes };
}
