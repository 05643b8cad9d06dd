import type { Ledger } from './ledger.js';
import { TREE_MODE } from '../git/object-format.js';
import { decodeLedgerFile } from './snapshot.js';
import { dirOf } from './layout.js';
import { actorOfMessage } from './actor.js';
import { pathHistory } from './history-index.js';

export interface FileRevision {
  commit: string;
  /** Who wrote it: the actor its trailer names, else (older commits) the commit's author name. */
  author: string;
  /** ISO time of the commit's author date. */
  at: string;
  subject: string;
  /** The file's parsed content after this commit (undefined when deleted or unreadable). */
  after: unknown;
  /** …and before it, at the commit's first parent. */
  before: unknown;
}

async function valueAt(ledger: Ledger, commit: string | undefined, path: string): Promise<unknown> {
  if (commit === undefined) return undefined;
  const { tree } = await ledger.cache.commitInfo(commit);
  const dir = dirOf(path);
  let entries = await ledger.repo.readTree(tree);
  let name = path;
  if (dir !== '') {
    const dirEntry = entries.find((e) => e.name === dir && e.mode === TREE_MODE);
    if (!dirEntry) return undefined;
    entries = await ledger.repo.readTree(dirEntry.oid);
    name = path.slice(dir.length + 1);
  }
  const entry = entries.find((e) => e.name === name);
  if (!entry) return undefined;
  const blob = await ledger.repo.reader.read(entry.oid);
  if (!blob) return undefined;
  const decoded = decodeLedgerFile(path, blob.content.toString('utf8'), ledger.kinds);
  return 'value' in decoded ? decoded.value : undefined;
}

/** What `gt log` shows: the revisions, newest first, and where a shallow clone's history stops. */
export interface FileHistory {
  revisions: FileRevision[];
  /** The boundary commit of a shallow clone, when the file's history goes back further than it. */
  cutAt?: string;
}

async function valueOf(ledger: Ledger, path: string, blob: string | null): Promise<unknown> {
  if (blob === null) return undefined;
  const decoded = await ledger.cache.decode(path, blob);
  return 'value' in decoded ? decoded.value : undefined;
}

/**
 * Every commit of `ref` that changed `path`, newest first, with the file before and after. Answered
 * from the history index (history-index.ts); with no git binary (GT_GIT_BACKEND=iso) the object
 * reader walks the history instead, reading trees.
 */
export async function fileHistory(ledger: Ledger, ref: string, path: string): Promise<FileHistory> {
  const tip = /^[0-9a-f]{40}$/.test(ref) ? ref : ledger.repo.refs.resolve(ref);
  if (!tip) return { revisions: [] };
  if (ledger.repo.backendChoice() === 'iso') return { revisions: await walkedHistory(ledger, ref, path) };
  const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
  const history = await pathHistory(ledger.repo.stateDir, cwd, ledger.repo.paths.commonDir, tip, path);
  const revisions: FileRevision[] = [];
  for (const r of history.revisions) {
    revisions.push({
      commit: r.commit,
      author: r.actor,
      at: new Date(r.time * 1000).toISOString(),
      subject: r.subject,
      after: await valueOf(ledger, path, r.after),
      before: await valueOf(ledger, path, r.before),
    });
  }
  return { revisions, ...(history.cutAt ? { cutAt: history.cutAt } : {}) };
}

async function walkedHistory(ledger: Ledger, ref: string, path: string): Promise<FileRevision[]> {
  const commits = await ledger.repo.reader.pathHistory(ref, path);
  const revisions: FileRevision[] = [];
  for (const oid of commits) {
    const commit = await ledger.cache.fullCommit(oid);
    revisions.push({
      commit: oid,
      author: actorOfMessage(commit.message) ?? commit.author.name,
      at: new Date(commit.author.timestamp * 1000).toISOString(),
      subject: commit.message.split('\n')[0] ?? '',
      after: await valueAt(ledger, oid, path),
      before: await valueAt(ledger, commit.parents[0], path),
    });
  }
  return revisions;
}
