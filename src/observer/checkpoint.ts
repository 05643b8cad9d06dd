/** The observer's machine-local memory in `.git/gt/`: where the last pass stopped, and what it handled. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Checkpoint {
  /** The ledger commit the last pass read closures up to. */
  ledger: string;
  /** Closures already handled (`<bead id>@<closed_at>`), newest last. */
  handled: string[];
  /** Code branch tips as of the last pass (watched or not), for commits that name beads. */
  branches: Record<string, string>;
  /**
   * `branches` holds remote-tracking branches too. A checkpoint written before they were code branches
   * lacks them: the first pass takes their tips as seen instead of recording what they hold.
   */
  remotes?: boolean;
}

/** Enough to recognise any closure a pass could see twice (they are only seen again across racing passes). */
const KEEP_HANDLED = 5000;

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function loadCheckpoint(stateDir: string): Checkpoint | undefined {
  try {
    const value = JSON.parse(readFileSync(join(stateDir, 'observer.json'), 'utf8')) as Partial<Checkpoint>;
    if (typeof value.ledger !== 'string' || !Array.isArray(value.handled)) return undefined;
    const branches = value.branches && typeof value.branches === 'object' ? value.branches : {};
    return { ledger: value.ledger, handled: value.handled.filter((k): k is string => typeof k === 'string'), branches, ...(value.remotes === true ? { remotes: true } : {}) };
  } catch {
    return undefined;
  }
}

export function saveCheckpoint(stateDir: string, checkpoint: Checkpoint): void {
  mkdirSync(stateDir, { recursive: true });
  writeAtomically(join(stateDir, 'observer.json'), `${JSON.stringify({ ledger: checkpoint.ledger, handled: checkpoint.handled.slice(-KEEP_HANDLED), branches: checkpoint.branches, remotes: true })}\n`);
}

/**
 * The gt refs as `git for-each-ref --format='%(objectname) %(refname)' refs/heads/gt/` prints them.
 * A git hook compares this file with git's output to skip starting gt when nothing moved.
 */
export function writeRefsFingerprint(stateDir: string, refs: ReadonlyMap<string, string>): void {
  const lines = [...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ref, oid]) => `${oid} ${ref}\n`);
  mkdirSync(stateDir, { recursive: true });
  writeAtomically(join(stateDir, 'observer-refs'), lines.join(''));
}
