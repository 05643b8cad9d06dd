/**
 * The history of every ledger file, indexed by commit, so `gt log <id>` reads one small file instead
 * of walking thousands of commits and their trees. The index is `<git dir>/gt/history/commits.jsonl`:
 * one line per commit ever indexed (its parents, time, actor, subject and the files it changed with
 * their blobs), and `tips.json`, the commits whose whole ancestry is in it. A command brings it up
 * to date with one `git log --raw` of what is new since those tips; nothing else ever walks history.
 * Lines are only appended (under a lock); a line cut short by a crash is ignored and indexed again.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shallowBoundary, type ChangedCommit } from '../git/change-log.js';
import { actorOfMessage } from './actor.js';
import { withStateLock } from './write-lock.js';
import { logicalChanges } from './layout.js';

export interface IndexedCommit {
  commit: string;
  parents: string[];
  /** Author time, seconds. */
  time: number;
  actor: string;
  subject: string;
  /** [path, blob before or null, blob after or null] */
  changes: [string, string | null, string | null][];
  /** Indexed at a shallow clone's boundary: its changes are unknown (left empty). */
  cut?: true;
}

export interface PathRevision {
  commit: string;
  parent?: string;
  time: number;
  actor: string;
  subject: string;
  before: string | null;
  after: string | null;
}

export interface PathHistory {
  revisions: PathRevision[];
  /** The shallow-clone boundary commit the history stops at, when it does not reach the file's creation. */
  cutAt?: string;
}

const LOCK_STALE_MS = 60_000;
const MAX_TIPS = 64;

function dirOf(stateDir: string): string {
  return join(stateDir, 'history');
}

function readIndex(stateDir: string): { commits: Map<string, IndexedCommit>; tips: string[] } {
  const commits = new Map<string, IndexedCommit>();
  let tips: string[] = [];
  try {
    for (const line of readFileSync(join(dirOf(stateDir), 'commits.jsonl'), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        const entry = JSON.parse(line) as IndexedCommit;
        commits.set(entry.commit, entry);
      } catch {
        // A line cut short by a crash: that commit is not indexed, and its tip was never recorded.
      }
    }
    tips = (JSON.parse(readFileSync(join(dirOf(stateDir), 'tips.json'), 'utf8')) as string[]).filter((tip) => commits.has(tip));
  } catch {
    // No index yet (or no tips): everything is read once.
  }
  return { commits, tips };
}

function toIndexed(c: ChangedCommit, boundary: ReadonlySet<string>): IndexedCommit {
  // At a shallow boundary git diffs against nothing: every file looks added. That is not history.
  if (boundary.has(c.commit)) return { commit: c.commit, parents: [], time: c.time, actor: actorOfMessage(c.message) ?? c.authorName, subject: c.subject, changes: [], cut: true };
  return {
    commit: c.commit,
    parents: c.parents,
    time: c.time,
    actor: actorOfMessage(c.message) ?? c.authorName,
    subject: c.subject,
    changes: c.changes.map((ch) => [ch.path, ch.before, ch.after]),
  };
}

/** The index with everything reachable from `tip` in it. */
/** What is new: the commits reachable from `tip` and from none of `exclude`, with their changes (change-log.ts). */
export type ChangeSource = (tip: string, exclude: readonly string[], boundary: ReadonlySet<string>) => Promise<ChangedCommit[]>;

async function upToDate(stateDir: string, commonDir: string, tip: string, source: ChangeSource): Promise<Map<string, IndexedCommit>> {
  const boundary = shallowBoundary(commonDir);
  // A commit indexed at a boundary that has since been deepened (git fetch --deepen/--unshallow) must be read again.
  const current = (index: ReturnType<typeof readIndex>): boolean => index.commits.has(tip) && [...index.commits.values()].every((c) => !c.cut || boundary.has(c.commit));
  const first = readIndex(stateDir);
  if (current(first)) return first.commits;
  return withStateLock(stateDir, 'history', LOCK_STALE_MS, async () => {
    let { commits, tips } = readIndex(stateDir);
    if (current({ commits, tips })) return commits;
    if ([...commits.values()].some((c) => c.cut && !boundary.has(c.commit))) {
      commits = new Map();
      tips = [];
      rmSync(dirOf(stateDir), { recursive: true, force: true });
    }
    let fresh: ChangedCommit[];
    try {
      fresh = await source(tip, tips, boundary);
    } catch {
      // A remembered tip is gone (gc after a force-push): read the whole history again.
      fresh = await source(tip, [], boundary);
    }
    const added = fresh.filter((c) => !commits.has(c.commit)).map((c) => toIndexed(c, boundary));
    const dir = dirOf(stateDir);
    mkdirSync(dir, { recursive: true });
    if (added.length > 0) appendFileSync(join(dir, 'commits.jsonl'), added.map((c) => `${JSON.stringify(c)}\n`).join(''));
    for (const c of added) commits.set(c.commit, c);
    const temp = join(dir, `tips.json.${process.pid}.tmp`);
    writeFileSync(temp, JSON.stringify([tip, ...tips.filter((t) => t !== tip)].slice(0, MAX_TIPS)));
    renameSync(temp, join(dir, 'tips.json'));
    return commits;
  });
}

/** Each commit's distance from the oldest commit below it along its longest parent chain: a child always has more. */
function generations(commits: ReadonlyMap<string, IndexedCommit>, reachable: readonly IndexedCommit[]): Map<string, number> {
  const gen = new Map<string, number>();
  for (const start of reachable) {
    if (gen.has(start.commit)) continue;
    // Iterative post-order: a commit's number is known once all its parents' are.
    const stack: IndexedCommit[] = [start];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const pending = top.parents.map((p) => commits.get(p)).filter((p): p is IndexedCommit => p !== undefined && !gen.has(p.commit));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      gen.set(top.commit, 1 + Math.max(-1, ...top.parents.map((p) => gen.get(p) ?? -1)));
    }
  }
  return gen;
}

/**
 * Every commit reachable from `tip` that changed `path`, newest first, with the file's blob before
 * and after. `commonDir` holds a shallow clone's boundary list; `source` reads what is not indexed yet.
 */
export async function pathHistory(stateDir: string, commonDir: string, tip: string, path: string, source: ChangeSource): Promise<PathHistory> {
  const commits = await upToDate(stateDir, commonDir, tip, source);
  const reachable: IndexedCommit[] = [];
  const seen = new Set<string>([tip]);
  const queue = [tip];
  for (let i = 0; i < queue.length; i++) {
    const c = commits.get(queue[i]!);
    if (!c) continue;
    reachable.push(c);
    for (const p of c.parents) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  const generation = generations(commits, reachable);
  const revisions: PathRevision[] = [];
  for (const c of reachable) {
    // The index keeps stored paths as git reports them; a file is followed by its logical path across
    // layouts (flat, then sharded), and the commit that moved it is no change to it.
    const changes = logicalChanges(c.changes.map(([p, before, after]) => ({ path: p, before, after })));
    for (const { path: changed, before, after } of changes) {
      if (changed !== path) continue;
      revisions.push({ commit: c.commit, ...(c.parents[0] ? { parent: c.parents[0] } : {}), time: c.time, actor: c.actor, subject: c.subject, before, after });
    }
  }
  // Newest first; within one second, a commit before the commits it was made on, and unrelated
  // commits of that second by id, so the order depends on nothing but the history.
  revisions.sort((a, b) => b.time - a.time || generation.get(b.commit)! - generation.get(a.commit)! || (a.commit < b.commit ? -1 : 1));
  const oldest = revisions[revisions.length - 1];
  if (oldest === undefined || oldest.before !== null) {
    const cut = reachable.find((c) => c.cut);
    if (cut) return { revisions, cutAt: cut.commit };
  }
  return { revisions };
}
