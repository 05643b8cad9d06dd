import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.js';
import { staleLockMs } from './ledger.js';
import { AGENT_REF_PREFIX, CONFIG_PATH, LEDGER_REF, agentFromRef, logicalPath, placementOf, storedPath } from './layout.js';
import { LEDGER_SCHEMA_VERSION } from './config.js';
import type { Snapshot } from './snapshot.js';
import { GtError } from '../errors.js';
import { strayPaths } from './stray-files.js';
import type { LedgerView } from './view.js';

export interface DoctorFinding {
  severity: 'error' | 'warning';
  /** The ledger file concerned, when there is one. */
  path?: string;
  line?: number;
  message: string;
}

/** A git ref lock this much older than gt's stale time is nobody's: git holds one for milliseconds. */
const REF_LOCK_GRACE_MS = 60_000;
/**
 * gt's other locks (witness, polecats, observer, history…) have stale times of their own, up to a
 * minute, and are refreshed every third of it while held: one untouched for longer is nobody's.
 */
const STATE_LOCK_STALE_MS = 60_000;

interface StaleLock {
  path: string;
  /** gt's own lock (a folder proper-lockfile refreshes while held), or a git ref lock file. */
  kind: 'gt' | 'ref';
  ageMs: number;
}

/**
 * Locks left by killed processes: gt's in its state folder (`write.lock`, `observer.lock`, …, kept
 * fresh while held, so one past the stale time is nobody's), and `.lock` files of gt's refs.
 */
function staleLocksOf(ledger: Ledger): StaleLock[] {
  const found: StaleLock[] = [];
  const now = ledger.now();
  const check = (path: string, kind: StaleLock['kind'], staleMs = staleLockMs()): void => {
    let mtime: number;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      return;
    }
    if (now - mtime > staleMs) found.push({ path, kind, ageMs: now - mtime });
  };
  if (existsSync(ledger.repo.stateDir)) {
    for (const name of readdirSync(ledger.repo.stateDir)) {
      if (name.endsWith('.lock')) check(join(ledger.repo.stateDir, name), 'gt', name === 'write.lock' ? staleLockMs() : STATE_LOCK_STALE_MS);
    }
  }
  const refsDir = join(ledger.repo.paths.commonDir, 'refs', 'heads', 'gt');
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.lock')) check(full, 'ref');
    }
  };
  walk(refsDir);
  return found;
}

function staleLocks(ledger: Ledger): DoctorFinding[] {
  return staleLocksOf(ledger).map((l) => ({ severity: 'warning', message: `stale lock ${l.path} (left by a killed process; the next write takes it over; gt doctor --fix removes it)` }));
}

/**
 * `gt doctor --fix`: removes stale locks. gt's own are past the time after which any gt would take
 * them over anyway; a ref lock must also be a minute old, as a running git could hold one. Returns
 * one line per lock removed, and one per lock left and why.
 */
export function fixStaleLocks(ledger: Ledger): { fixed: string[]; left: string[] } {
  const fixed: string[] = [];
  const left: string[] = [];
  for (const lock of staleLocksOf(ledger)) {
    if (lock.kind === 'ref' && lock.ageMs < staleLockMs() + REF_LOCK_GRACE_MS) {
      left.push(`left ${lock.path}: a ref lock younger than a minute may belong to a running git`);
      continue;
    }
    rmSync(lock.path, { recursive: true, force: true });
    fixed.push(`removed stale lock ${lock.path} (${Math.round(lock.ageMs / 1000)} s old)`);
  }
  return { fixed, left };
}

/**
 * What is wrong with the ledger files of one view: files that cannot be read (path and line), files gt
 * skips, and what each kind finds wrong beyond its files (dangling references, cycles). Shared by
 * gt doctor (the actor's view) and gt check (any commit).
 */
export function viewFindings(ledger: Ledger, view: LedgerView): Promise<DoctorFinding[]> {
  // The trees of one commit, read from git: loading the read index of a big ledger costs more memory than that.
  return ledger.preferringGit(() => findingsOf(ledger, view));
}

async function findingsOf(ledger: Ledger, view: LedgerView): Promise<DoctorFinding[]> {
  const snapshot = await ledger.snapshot(view.head);
  const findings: DoctorFinding[] = [];
  for (const p of view.problems) findings.push({ severity: 'error', path: p.path, ...(p.line !== undefined ? { line: p.line } : {}), message: p.problem });
  for (const path of await strayPaths(ledger.cache, view.head)) {
    const what = path.endsWith('/') ? 'a folder gt does not read' : 'not a ledger file gt reads';
    findings.push({ severity: 'warning', path, message: `${what} (entity files are <folder>/<shard>/<id>.yaml); every command skips it` });
  }
  for (const kind of ledger.kinds.values()) if (kind.check) findings.push(...kind.check(view));
  const stored = findings.map((f) => (f.path === undefined ? f : { ...f, path: whereStored(snapshot, logicalPath(f.path)) }));
  return [...stored, ...layoutFindings(snapshot, view.config.schema)];
}

/**
 * Where the file of logical `path` is on the branch (`beads/3f/gt-4f2a.yaml`): what a finding names, so
 * that a reviewer, an editor or a CI annotation finds the file.
 */
export function whereStored(snapshot: Snapshot, path: string): string {
  return snapshot.misplaced.get(path) ?? storedPath(path);
}

/**
 * Entity files not where the layout puts them (layout.ts). A ledger of an older schema is one warning:
 * its files are where that schema put them, and its next write moves them. In a current ledger, a flat
 * file (from an old agent branch merged outside gt) or one in another shard is an error, and so is a
 * second copy of a file, which gt does not read.
 */
export function layoutFindings(snapshot: Snapshot, schema: number): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  if (schema < LEDGER_SCHEMA_VERSION) {
    if (snapshot.misplaced.size > 0) {
      findings.push({ severity: 'warning', path: CONFIG_PATH, message: `the ledger keeps entity files in the flat layout of schema ${schema} (fix: gt doctor --fix, or the next write, moves them to <folder>/<shard>/<id>.yaml)` });
    }
    return findings;
  }
  for (const [path, stored] of snapshot.misplaced) {
    const where = placementOf(stored) === 'flat' ? `stored flat, as before schema ${LEDGER_SCHEMA_VERSION}` : 'stored in a shard not its own';
    findings.push({ severity: 'error', path: stored, message: `${where}: it belongs at ${storedPath(path)} (fix: gt doctor --fix)` });
  }
  for (const stored of snapshot.shadowed) {
    const path = logicalPath(stored);
    findings.push({ severity: 'error', path: stored, message: `a second copy of ${path}, which gt does not read (it reads ${snapshot.misplaced.get(path) ?? storedPath(path)}): merge what it holds by hand and delete it` });
  }
  return findings;
}

/** Checks the ledger as the actor sees it: files, what each kind checks (references, cycles, types), branches and locks. */
export async function runDoctor(ledger: Ledger): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  if (!ledger.ledgerTip()) return [{ severity: 'error', message: `no ledger (${LEDGER_REF}) in this repository: run gt init` }];
  let view;
  try {
    view = await ledger.view();
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    return [{ severity: 'error', message: error.message }];
  }
  findings.push(...(await viewFindings(ledger, view)));
  const ledgerTip = ledger.requireLedgerTip();
  for (const [ref, tip] of ledger.repo.refs.list(AGENT_REF_PREFIX)) {
    if ((await ledger.mergeBase(tip, ledgerTip)) === null) {
      findings.push({ severity: 'error', message: `agent branch ${agentFromRef(ref)} shares no history with the ledger` });
    }
  }
  findings.push(...staleLocks(ledger));
  return findings;
}
