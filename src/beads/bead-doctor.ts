/** What `gt doctor` checks of the beads beyond their files: dependencies, cycles, types, closure times. */
import type { DoctorFinding } from '../ledger/doctor.js';
import type { LedgerView } from '../ledger/view.js';
import { BUILTIN_BEAD_TYPES, ORDERING_DEP_TYPES, type Bead } from './bead.js';

/** Every ordering-dependency cycle, each reported once (as found from its smallest id). */
export function findAllCycles(beads: ReadonlyMap<string, Bead>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'active');
    stack.push(id);
    for (const dep of beads.get(id)?.deps ?? []) {
      if (!ORDERING_DEP_TYPES.includes(dep.type) || !beads.has(dep.id)) continue;
      const s = state.get(dep.id);
      if (s === 'active') cycles.push([...stack.slice(stack.indexOf(dep.id)), dep.id]);
      else if (s === undefined) visit(dep.id);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of [...beads.keys()].sort()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Dependencies on beads that do not exist, undeclared types, closed beads without a closing time, cycles. */
export function checkBeads(view: LedgerView<{ beads: Bead }>): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const types = new Set<string>([...BUILTIN_BEAD_TYPES, ...view.config.types]);
  for (const bead of view.beads.values()) {
    const path = `beads/${bead.id}.yaml`;
    for (const dep of bead.deps) {
      if (!view.beads.has(dep.id) && !view.broken.beads.has(dep.id)) {
        findings.push({ severity: 'error', path, message: `${dep.type} dependency on ${dep.id}, which does not exist` });
      }
    }
    if (!types.has(bead.type)) findings.push({ severity: 'warning', path, message: `type '${bead.type}' is not declared in gt.yaml` });
    if (bead.status === 'closed' && !bead.closed_at) findings.push({ severity: 'warning', path, message: 'closed without closed_at' });
  }
  for (const cycle of findAllCycles(view.beads)) findings.push({ severity: 'error', message: `dependency cycle: ${cycle.join(' → ')}` });
  return findings;
}
