/**
 * Sandboxes nothing accounts for, for `gt doctor` and `gt doctor --fix`:
 * - worktrees git still lists whose folders are gone (`git worktree prune` forgets them; their
 *   branches and commits stay);
 * - folders under `<git common dir>/gt/polecats/` of no polecat on the ledger (its record removed, or
 *   a spawn that died before writing it). --fix removes such a sandbox and its `polecat/<name>`
 *   branch, first saving what only it holds (uncommitted changes, commits the main HEAD lacks) to
 *   `refs/gt/rescue/<name>/<time>` as `gt polecat remove --force` does. One that is not a git worktree
 *   on `polecat/<name>`, or was touched in the last ten minutes (a spawn may be under way), is left
 *   and reported.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { DoctorFinding } from '../ledger/doctor.js';
import { commitsBeyond, dropSandbox, mainBase, pruneWorktrees, saveRescue, sandboxChanges, worktreeEntries, type WorktreeEntry } from '../git/sandbox-work.js';
import { LOGS_DIR_NAME, polecatsDir } from './sessions.js';
import { stamp } from './remove.js';
import { plural } from '../ledger/wording.js';

/** A sandbox younger than this may be a spawn that has not written its record yet. */
const YOUNG_MS = 10 * 60_000;

interface Orphan {
  name: string;
  path: string;
  worktree?: WorktreeEntry;
  ageMs: number;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return a === b || real(a) === real(b);
}

function orphansOf(ledger: Ledger, view: LedgerView, worktrees: WorktreeEntry[]): Orphan[] {
  const dir = polecatsDir(ledger.repo.paths.commonDir);
  if (!existsSync(dir)) return [];
  const out: Orphan[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = `${dir}/${name}`;
    if (name === LOGS_DIR_NAME || !statSync(path).isDirectory()) continue;
    if (view.agents.get(name)?.role === 'polecat') continue;
    const worktree = worktrees.find((w) => samePath(w.path, path));
    out.push({ name, path, ...(worktree ? { worktree } : {}), ageMs: Date.now() - statSync(path).mtimeMs });
  }
  return out;
}

export function orphanFindings(ledger: Ledger, view: LedgerView): DoctorFinding[] {
  const commonDir = ledger.repo.paths.commonDir;
  const worktrees = worktreeEntries(commonDir);
  const findings: DoctorFinding[] = [];
  for (const w of worktrees.slice(1)) {
    if (w.prunable !== undefined) findings.push({ severity: 'warning', message: `worktree ${w.path} is registered but ${w.prunable} (fix: gt doctor --fix runs git worktree prune)` });
  }
  for (const o of orphansOf(ledger, view, worktrees)) {
    findings.push({ severity: 'warning', message: `sandbox ${o.path} belongs to no polecat on the ledger (fix: gt doctor --fix removes it, saving any work to a rescue ref)` });
  }
  return findings;
}

/** Removes what orphanFindings finds where that is safe; one line per thing done, and per thing left and why. */
export function fixOrphans(ledger: Ledger, view: LedgerView): { fixed: string[]; left: string[] } {
  const commonDir = ledger.repo.paths.commonDir;
  const fixed: string[] = [];
  const left: string[] = [];
  const worktrees = worktreeEntries(commonDir);
  const gone = worktrees.slice(1).filter((w) => w.prunable !== undefined);
  if (gone.length > 0) {
    pruneWorktrees(commonDir);
    fixed.push(`pruned ${plural(gone.length, 'worktree entry', 'worktree entries')} whose folders are gone (git worktree prune): ${gone.map((w) => w.path).join(', ')}`);
  }
  const base = mainBase(commonDir);
  for (const o of orphansOf(ledger, view, worktreeEntries(commonDir))) {
    const branch = `polecat/${o.name}`;
    if (!o.worktree) {
      left.push(`left ${o.path}: not a git worktree, so gt cannot tell what in it is work; look and remove it by hand`);
      continue;
    }
    if (o.worktree.branch !== `refs/heads/${branch}`) {
      left.push(`left ${o.path}: it has ${o.worktree.branch ?? 'a detached HEAD'} checked out, not ${branch}`);
      continue;
    }
    if (o.ageMs < YOUNG_MS) {
      left.push(`left ${o.path}: changed in the last ten minutes (a spawn may be under way); run gt doctor --fix again later`);
      continue;
    }
    const uncommitted = sandboxChanges(o.path);
    const commits = commitsBeyond(commonDir, base ? [base.commit] : [], branch);
    let saved = '';
    if (uncommitted.length > 0 || commits.length > 0) {
      const rescue = saveRescue(commonDir, o.path, branch, `refs/gt/rescue/${o.name}/${stamp(ledger.now())}`, `gt doctor --fix: rescue of orphaned sandbox ${o.name}`);
      saved = `; its work (${[uncommitted.length > 0 ? plural(uncommitted.length, 'uncommitted change') : '', commits.length > 0 ? plural(commits.length, 'commit') : ''].filter(Boolean).join(', ')}) is saved at ${rescue.ref}`;
    }
    dropSandbox(commonDir, o.path, branch);
    fixed.push(`removed orphaned sandbox ${o.path} and branch ${branch} (no polecat ${o.name} on the ledger)${saved}`);
  }
  return { fixed, left };
}
