import type { Ledger } from './ledger.js';
import { pathHistory, type ChangeSource } from './history-index.js';
import { changedCommits } from '../git/change-log.js';
import { walkChangedCommits } from '../git/change-walk.js';

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
  const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
  const source: ChangeSource =
    ledger.repo.backendChoice() === 'iso'
      ? (from, exclude, boundary) => walkChangedCommits(ledger.repo.reader, from, exclude, boundary)
      : async (from, exclude) => changedCommits(cwd, from, exclude);
  const history = await pathHistory(ledger.repo.stateDir, ledger.repo.paths.commonDir, tip, path, source);
  const revisions: FileRevision[] = [];
  // A few versions of one file: reading them from git costs less than loading the read index of a big ledger.
  await ledger.preferringGit(async () => {
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
  });
  return { revisions, ...(history.cutAt ? { cutAt: history.cutAt } : {}) };
}
