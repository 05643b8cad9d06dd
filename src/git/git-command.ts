/**
 * Running the git command for what gt does not read from the object store itself: hooks' paths,
 * trailers, commits' messages and ranges. The only place outside the object readers that starts git.
 */
import { execFileSync } from 'node:child_process';

/** `text` as one word for `sh`: in single quotes, its own single quotes spelled '\''. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Runs git in `cwd` and returns what it printed; throws when git fails (its stderr in the error unless `quiet`). */
export function runGit(cwd: string, args: string[], options: { quiet?: boolean } = {}): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export interface CommitInfo {
  sha: string;
  /** Committer time, ISO. */
  at: string;
  subject: string;
  /** The whole message. */
  message: string;
}

const COMMIT_FORMAT = '--format=%H%x00%ct%x00%s%x00%B%x1e';

/** The commits' ids, committer times and messages, in the order given. */
export function readCommits(cwd: string, shas: string[]): CommitInfo[] {
  if (shas.length === 0) return [];
  return parseCommits(runGit(cwd, ['log', '--no-walk=unsorted', COMMIT_FORMAT, ...shas, '--']));
}

/**
 * Every commit reachable from `tip` and from none of `known`, oldest first, however many: one git
 * process streams them (no list of ids on a command line). Throws when a ref or id is unknown.
 */
export function commitsSince(cwd: string, tip: string, known: readonly string[]): CommitInfo[] {
  return parseCommits(runGit(cwd, ['log', '--reverse', COMMIT_FORMAT, tip, '--not', ...known, '--'], { quiet: true }));
}

function parseCommits(out: string): CommitInfo[] {
  return out
    .split('\x1e')
    .map((entry) => entry.replace(/^\n/, ''))
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [sha = '', time = '0', subject = '', message = ''] = entry.split('\x00');
      return { sha, at: new Date(Number(time) * 1000).toISOString(), subject, message };
    });
}
