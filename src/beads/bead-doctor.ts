/** What `gt doctor` checks of the beads beyond their files: dependencies, cycles, types, closure times. */
import type { DoctorFinding } from '../ledger/doctor.js';
import type { LedgerView } from '../ledger/view.js';
import { BUILTIN_BEAD_TYPES, ORDERING_DEP_TYPES, type Bead } from './bead.js';

/**
 * Every ordering-dependency cycle, each reported once (as found from its smallest id). A depth-first
 * search with its own stack, so a dependency chain of any length cannot overflow the call stack.
 */
export function findAllCycles(beads: ReadonlyMap<string, Pick<Bead, 'deps'>>): string[][] {
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

/**
 * Dependencies on beads that do not exist, undeclared types, closed beads without a closing time, cycles.
 * Each bead is parsed from its text and dropped, keeping only its dependencies: a check of a big ledger
 * does not hold every bead parsed (the view would keep each one it parsed).
 */
export function checkBeads(view: LedgerView<{ beads: Bead }>): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const types = new Set<string>([...BUILTIN_BEAD_TYPES, ...view.config.types]);
  const graph = new Map<string, Pick<Bead, 'deps'>>();
  for (const { text } of view.beads.textsWithStatus(() => true)) {
    const bead = JSON.parse(text) as Bead;
    const path = `beads/${bead.id}.yaml`;
    for (const dep of bead.deps) {
      if (!view.beads.has(dep.id) && !view.broken.beads.has(dep.id)) {
        findings.push({ severity: 'error', path, message: `${dep.type} dependency on ${dep.id}, which does not exist` });
      }
    }
    if (!types.has(bead.type)) findings.push({ severity: 'warning', path, message: `type '${bead.type}' is not declared in gt.yaml` });
    if (bead.status === 'closed' && !bead.closed_at) findings.push({ severity: 'warning', path, message: 'closed without closed_at' });
    graph.set(bead.id, { deps: bead.deps.length > 0 ? bead.deps : NO_DEPS });
  }
  // Named at the file of the bead it was found from, so a CI line points at a file to open.
  for (const cycle of findAllCycles(graph)) findings.push({ severity: 'error', path: `beads/${cycle[0]!}.yaml`, message: `dependency cycle: ${cycle.join(' → ')}` });
  return findings;
}

const NO_DEPS: Bead['deps'] = [];
