/**
 * `changedCommits` (change-log.ts) without a git binary: the same answer, walked through an object
 * reader (isomorphic-git's when GT_GIT_BACKEND=iso), comparing each commit's tree with its parents'.
 * Slower (every changed tree is read), but only the commits not yet indexed are ever walked.
 */
import { decodeCommit, decodeTree, TREE_MODE, type Commit } from './object-format.js';
import type { ObjectReader } from './object-reader.js';
import type { ChangedCommit, FileChange } from './change-log.js';

type Files = Map<string, string>;

async function readObject(reader: ObjectReader, oid: string, type: 'tree' | 'commit'): Promise<Buffer> {
  const obj = await reader.read(oid);
  if (!obj || obj.type !== type) throw new Error(`${type} ${oid} is missing from the object store`);
  return obj.content;
}

/** Blob ids by path under `tree`. */
async function filesOf(reader: ObjectReader, tree: string, prefix: string, out: Files): Promise<void> {
  for (const entry of decodeTree(await readObject(reader, tree, 'tree'))) {
    if (entry.mode === TREE_MODE) await filesOf(reader, entry.oid, `${prefix}${entry.name}/`, out);
    else out.set(`${prefix}${entry.name}`, entry.oid);
  }
}

/** The paths whose blob differs between two trees, with both blobs (null: absent); equal subtrees are not read. */
async function treeDiff(reader: ObjectReader, a: string | null, b: string, prefix = ''): Promise<Map<string, [string | null, string | null]>> {
  const out = new Map<string, [string | null, string | null]>();
  if (a === b) return out;
  const left = a === null ? [] : decodeTree(await readObject(reader, a, 'tree'));
  const right = decodeTree(await readObject(reader, b, 'tree'));
  const byName = new Map(left.map((e) => [e.name, e]));
  const names = new Set([...left.map((e) => e.name), ...right.map((e) => e.name)]);
  const rightByName = new Map(right.map((e) => [e.name, e]));
  for (const name of names) {
    const l = byName.get(name);
    const r = rightByName.get(name);
    if (l && r && l.oid === r.oid) continue;
    const path = `${prefix}${name}`;
    const lTree = l?.mode === TREE_MODE ? l.oid : undefined;
    const rTree = r?.mode === TREE_MODE ? r.oid : undefined;
    if (lTree !== undefined || rTree !== undefined) {
      const inner = rTree !== undefined ? await treeDiff(reader, lTree ?? null, rTree, `${path}/`) : await removedUnder(reader, lTree!, `${path}/`);
      for (const [p, v] of inner) out.set(p, v);
    }
    const lBlob = l && l.mode !== TREE_MODE ? l.oid : null;
    const rBlob = r && r.mode !== TREE_MODE ? r.oid : null;
    if (lBlob !== rBlob) out.set(path, [lBlob, rBlob]);
  }
  return out;
}

async function removedUnder(reader: ObjectReader, tree: string, prefix: string): Promise<Map<string, [string | null, string | null]>> {
  const files: Files = new Map();
  await filesOf(reader, tree, prefix, files);
  return new Map([...files].map(([p, oid]) => [p, [oid, null]]));
}

/**
 * Same contract as `changedCommits`: the commits reachable from `tip` and from none of `exclude`, with
 * what each changed against its first parent (a merge: what differs from every parent). `cut` holds a
 * shallow clone's boundary commits, walked as roots.
 */
export async function walkChangedCommits(reader: ObjectReader, tip: string, exclude: readonly string[], cut: ReadonlySet<string>): Promise<ChangedCommit[]> {
  const commits = new Map<string, Commit>();
  const commitOf = async (oid: string): Promise<Commit> => {
    let commit = commits.get(oid);
    if (!commit) commits.set(oid, (commit = decodeCommit(await readObject(reader, oid, 'commit'))));
    return commit;
  };
  // Everything reachable from `exclude` is left out, as `git log tip --not exclude` does.
  const excluded = new Set<string>();
  for (const queue = [...exclude]; queue.length > 0; ) {
    const oid = queue.pop()!;
    if (excluded.has(oid)) continue;
    excluded.add(oid);
    if (!cut.has(oid)) queue.push(...(await commitOf(oid)).parents);
  }
  const out: ChangedCommit[] = [];
  const seen = new Set<string>();
  for (const queue = [tip]; queue.length > 0; ) {
    const oid = queue.shift()!;
    if (seen.has(oid) || excluded.has(oid)) continue;
    seen.add(oid);
    const commit = await commitOf(oid);
    const parents = cut.has(oid) ? [] : commit.parents;
    const diffs = await Promise.all((parents.length === 0 ? [null] : parents).map(async (p) => treeDiff(reader, p === null ? null : (await commitOf(p)).tree, commit.tree)));
    const changes: FileChange[] = [];
    for (const [path, [before, after]] of diffs[0]!) if (diffs.every((d) => d.has(path))) changes.push({ path, before, after });
    changes.sort((a, b) => (a.path < b.path ? -1 : 1));
    out.push({ commit: oid, parents, time: commit.author.timestamp, authorName: commit.author.name, subject: commit.message.split('\n')[0] ?? '', message: commit.message, changes });
    queue.push(...parents);
  }
  return out;
}
