import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.js';
import { staleLockMs } from './ledger.js';
import { AGENT_REF_PREFIX, LEDGER_REF, agentFromRef } from './layout.js';
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

function staleLocks(ledger: Ledger): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const now = ledger.now();
  const check = (path: string): void => {
    if (existsSync(path) && now - statSync(path).mtimeMs > staleLockMs()) {
      findings.push({ severity: 'warning', message: `stale lock ${path} (left by a killed process; the next write takes it over)` });
    }
  };
  check(join(ledger.repo.stateDir, 'write.lock'));
  const refsDir = join(ledger.repo.paths.commonDir, 'refs', 'heads', 'gt');
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.lock')) check(full);
    }
  };
  walk(refsDir);
  return findings;
}

/**
 * What is wrong with the ledger files of one view: files that cannot be read (path and line), files gt
 * skips, and what each kind finds wrong beyond its files (dangling references, cycles). Shared by
 * gt doctor (the actor's view) and gt check (any commit).
 */
export async function viewFindings(ledger: Ledger, view: LedgerView): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  for (const p of view.problems) findings.push({ severity: 'error', path: p.path, ...(p.line !== undefined ? { line: p.line } : {}), message: p.problem });
  for (const path of await strayPaths(ledger.cache, view.head)) {
    const what = path.endsWith('/') ? 'a folder gt does not read' : 'not a ledger file gt reads';
    findings.push({ severity: 'warning', path, message: `${what} (entity files are <folder>/<id>.yaml); every command skips it` });
  }
  for (const kind of ledger.kinds.values()) if (kind.check) findings.push(...kind.check(view));
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
