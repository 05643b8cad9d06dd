/**
 * Work a git hook could not do because the ledger was busy: a hook never waits for a lock (it would
 * hold the user's commit), so it leaves the commits it was to record here, in
 * `<git common dir>/gt/hook-backlog.jsonl`, one line per hook run, and the next observer pass (a later
 * hook, `gt observe` or `gt watch`) records them. Recording is idempotent (a commit is a comment keyed
 * by its sha), so a line handled twice changes nothing the second time.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../ledger/ledger.js';
import { recordCommits, type CommitInfo, type Rewrite } from '../beads/commit-record.js';
import { closeRuleOf } from '../work/merge-queue.js';

export interface BacklogEntry {
  /** The branch the commits were made on (as the hook named it). */
  branch: string;
  commits: CommitInfo[];
  rewrites: Rewrite[];
}

const FILE = 'hook-backlog.jsonl';

/** Leaves commits for the next observer pass (an append of one line: hooks running at once do not mix). */
export function leaveForLater(stateDir: string, entry: BacklogEntry): void {
  mkdirSync(stateDir, { recursive: true });
  appendFileSync(join(stateDir, FILE), `${JSON.stringify(entry)}\n`);
}

function isEntry(value: unknown): value is BacklogEntry {
  const v = value as Partial<BacklogEntry> | null;
  return typeof v === 'object' && v !== null && typeof v.branch === 'string' && Array.isArray(v.commits) && Array.isArray(v.rewrites);
}

/**
 * Records what hooks left behind; returns one line per thing done. Run by the observer under its lock.
 * The file is taken away first (hooks appending meanwhile start a new one); if recording fails, what
 * was taken is put back for the pass after.
 */
export async function recordBacklog(ledger: Ledger): Promise<string[]> {
  const stateDir = ledger.repo.stateDir;
  const file = join(stateDir, FILE);
  if (!existsSync(file)) return [];
  const taken = join(stateDir, `${FILE}.${process.pid}.taken`);
  renameSync(file, taken);
  const text = readFileSync(taken, 'utf8');
  const entries: BacklogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isEntry(value)) entries.push(value);
    } catch {
      // A line cut short by a killed hook: nothing to recover from it.
    }
  }
  const lines: string[] = [];
  try {
    const rule = entries.length > 0 ? await closeRuleOf(ledger) : undefined;
    for (const entry of entries) {
      const outcome = await recordCommits(ledger, entry.branch, entry.commits, entry.rewrites, rule);
      lines.push(...outcome.lines);
    }
  } catch (error) {
    appendFileSync(file, text);
    rmSync(taken, { force: true });
    throw error;
  }
  rmSync(taken, { force: true });
  return lines;
}
