import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.js';
import { staleLockMs } from './ledger.js';
import { AGENT_REF_PREFIX, LEDGER_REF, agentFromRef } from './layout.js';
import { BUILTIN_BEAD_TYPES, ORDERING_DEP_TYPES, type Bead } from '../beads/bead.js';
import { GtError } from '../errors.js';
import { strayPaths } from './stray-files.js';

export interface DoctorFinding {
  severity: 'error' | 'warning';
  /** The ledger file concerned, when there is one. */
  path?: string;
  line?: number;
  message: string;
}

/**
 * Every ordering-dependency cycle, each reported once (as found from its smallest id). A depth-first
 * search with its own stack, so a dependency chain of any length cannot overflow the call stack.
 */
export function findAllCycles(beads: ReadonlyMap<string, Bead>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  /** The path being searched, and how far along its dependencies each bead on it is. */
  const path: string[] = [];
  const position = new Map<string, number>();
  const next: number[] = [];
  const orderingDeps = (id: string): string[] =>
    (beads.get(id)?.deps ?? []).filter((dep) => ORDERING_DEP_TYPES.includes(dep.type) && beads.has(dep.id)).map((dep) => dep.id);
  const depsOf = new Map<string, string[]>();
  const enter = (id: string): void => {
    state.set(id, 'active');
    position.set(id, path.length);
    path.push(id);
    next.push(0);
    depsOf.set(id, orderingDeps(id));
  };
  for (const start of [...beads.keys()].sort()) {
    if (state.has(start)) continue;
    enter(start);
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top]!;
      const deps = depsOf.get(id)!;
      if (next[top]! < deps.length) {
        const dep = deps[next[top]!++]!;
        const s = state.get(dep);
        if (s === 'active') cycles.push([...path.slice(position.get(dep)), dep]);
        else if (s === undefined) enter(dep);
        continue;
      }
      path.pop();
      next.pop();
      position.delete(id);
      depsOf.delete(id);
      state.set(id, 'done');
    }
  }
  return cycles;
}

function staleLocks(ledger: Ledger): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const now = Date.now();
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

/** Checks the ledger as the actor sees it: files, references, cycles, types, branches and locks. */
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
  for (const p of view.problems) findings.push({ severity: 'error', path: p.path, ...(p.line !== undefined ? { line: p.line } : {}), message: p.problem });
  for (const path of await strayPaths(ledger.cache, view.head)) {
    const what = path.endsWith('/') ? 'a folder gt does not read' : 'not a ledger file gt reads';
    findings.push({ severity: 'warning', path, message: `${what} (entity files are <folder>/<id>.yaml); every command skips it` });
  }
  const types = new Set<string>([...BUILTIN_BEAD_TYPES, ...view.config.types]);
  for (const bead of view.beads.values()) {
    const path = `beads/${bead.id}.yaml`;
    for (const dep of bead.deps) {
      if (!view.beads.has(dep.id) && !view.brokenBeads.has(dep.id)) {
        findings.push({ severity: 'error', path, message: `${dep.type} dependency on ${dep.id}, which does not exist` });
      }
    }
    if (!types.has(bead.type)) findings.push({ severity: 'warning', path, message: `type '${bead.type}' is not declared in gt.yaml` });
    if (bead.status === 'closed' && !bead.closed_at) findings.push({ severity: 'warning', path, message: 'closed without closed_at' });
  }
  for (const cycle of findAllCycles(view.beads)) findings.push({ severity: 'error', message: `dependency cycle: ${cycle.join(' → ')}` });
  const ledgerTip = ledger.requireLedgerTip();
  for (const [ref, tip] of ledger.repo.refs.list(AGENT_REF_PREFIX)) {
    if ((await ledger.mergeBase(tip, ledgerTip)) === null) {
      findings.push({ severity: 'error', message: `agent branch ${agentFromRef(ref)} shares no history with the ledger` });
    }
  }
  findings.push(...staleLocks(ledger));
  return findings;
}
