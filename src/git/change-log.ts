/**
 * Which files each commit changed, with their blob ids before and after, read in one streamed
 * `git log --raw`: what a per-file history index is built from, without reading a single tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGit } from './git-command.js';

export interface FileChange {
  path: string;
  /** The blob before (at the first parent); null when the commit added the file. */
  before: string | null;
  /** The blob after; null when the commit deleted the file. */
  after: string | null;
}

export interface ChangedCommit {
  commit: string;
  parents: string[];
  /** Author time, seconds since the epoch. */
  time: number;
  authorName: string;
  subject: string;
  /** The whole message. */
  message: string;
  /**
   * Files changed against the first parent; for a merge, only files that differ from every parent
   * (what the merge itself decided, git's combined diff). A root commit lists every file as added;
   * so does a shallow clone's boundary commit, whose parents were not fetched (see shallowBoundary).
   */
  changes: FileChange[];
}

const ZERO = /^0+$/;
const RECORD = '\x1e';
const FIELD = '\x00';

function parseRaw(line: string): FileChange | undefined {
  // `:100644 100644 <a> <b> M\tpath` or, for a merge, `::100644 100644 100644 <p1> <p2> <r> MM\tpath`.
  const tab = line.indexOf('\t');
  if (!line.startsWith(':') || tab < 0) return undefined;
  const colons = /^:+/.exec(line)![0].length;
  const fields = line.slice(colons, tab).split(' ');
  const oids = fields.slice(colons + 1, colons + 1 + colons + 1);
  const first = oids[0]!;
  const result = oids[oids.length - 1]!;
  return { path: line.slice(tab + 1), before: ZERO.test(first) ? null : first, after: ZERO.test(result) ? null : result };
}

/** The commits reachable from `tip` and from none of `exclude`, newest first, with what each changed. */
export function changedCommits(cwd: string, tip: string, exclude: readonly string[]): ChangedCommit[] {
  const out = runGit(cwd, ['log', '--raw', '--root', '-c', '--no-renames', '--no-abbrev', '--format=%x1e%H%x00%P%x00%at%x00%an%x00%B%x00', tip, '--not', ...exclude, '--'], { quiet: true });
  const commits: ChangedCommit[] = [];
  for (const record of out.split(RECORD)) {
    if (record === '') continue;
    const [commit = '', parents = '', time = '0', authorName = '', message = '', raw = ''] = record.split(FIELD);
    const changes = raw
      .split('\n')
      .map(parseRaw)
      .filter((c): c is FileChange => c !== undefined);
    commits.push({ commit, parents: parents === '' ? [] : parents.split(' '), time: Number(time), authorName, subject: message.split('\n')[0] ?? '', message, changes });
  }
  return commits;
}

/** The commits a shallow clone was cut at (their parents were not fetched); empty in a full clone. */
export function shallowBoundary(commonDir: string): Set<string> {
  try {
    return new Set(readFileSync(join(commonDir, 'shallow'), 'utf8').split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}
