import type { Transaction } from '../ledger/ledger.js';
import { formatKeyPath, validateBead } from './bead-codec.js';
import { putBead } from './bead-kind.js';
import { withoutCausal } from '../ledger/merge/causal.js';
import { cycleProblem, findCycleFrom, selfDependencyProblem } from './graph.js';
import { escapedName } from '../ledger/names.js';
import type { ImportPlan } from './interop.js';
import { BUILTIN_BEAD_TYPES, type Bead } from './bead.js';
import { UsageError } from '../errors.js';

const NOTHING_WRITTEN = 'fix the file and import again; nothing was written';

export interface ImportReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: { id: string; reason: string }[];
  declaredTypes: string[];
  notes: string[];
}

/**
 * Puts an import plan on the ledger in one transaction. Every bead is checked as `gt create` and
 * `gt dep add` check them (validateBead, graph.ts): valid fields, every dependency pointing at a bead
 * that exists (on the ledger or in the file), none on itself, no cycle of ordering dependencies.
 * Undeclared types are declared. Nothing is written unless all of it is valid, and a refusal names the
 * record (line or item) and the field.
 */
export function applyImport(tx: Transaction, plan: ImportPlan): ImportReport {
  const incoming = new Map<string, Bead>();
  const placeOf = new Map<string, string>();
  plan.beads.forEach((raw, i) => {
    const place = plan.places[i] ?? `bead ${escapedName(String(raw.id))}`;
    const checked = validateBead(raw);
    if (!checked.ok) {
      const p = checked.problems[0]!;
      throw new UsageError(`${place}: field '${formatKeyPath(p.keyPath)}': ${p.message}`, NOTHING_WRITTEN);
    }
    incoming.set(checked.bead.id, checked.bead);
    placeOf.set(checked.bead.id, place);
  });
  const missing: string[] = [];
  for (const bead of incoming.values()) {
    for (const dep of bead.deps) {
      const self = selfDependencyProblem(bead.id, dep.id);
      if (self !== undefined) throw new UsageError(`${placeOf.get(bead.id)}: field '${plan.depsField}': ${self}`, NOTHING_WRITTEN);
      if (!incoming.has(dep.id) && !tx.beads.has(dep.id)) missing.push(`${escapedName(bead.id)} → ${escapedName(dep.id)} (${placeOf.get(bead.id)})`);
    }
  }
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.length} dependenc${missing.length === 1 ? 'y points' : 'ies point'} at beads that are neither on the ledger nor in the file: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      'import those beads too; nothing was written',
    );
  }
  // The ledger as it would be after the import: a cycle through an imported bead is refused. Looked up,
  // not copied: a copy would parse (and the view keep) every bead on the ledger.
  const after = { get: (id: string) => incoming.get(id) ?? tx.beads.get(id), has: (id: string) => incoming.has(id) || tx.beads.has(id) };
  const cycle = findCycleFrom(after, incoming.keys());
  if (cycle) {
    const at = cycle.find((id) => incoming.has(id))!;
    throw new UsageError(`${placeOf.get(at)}: field '${plan.depsField}': ${cycleProblem(cycle)}`, NOTHING_WRITTEN);
  }
  const declared = plan.undeclaredTypes.filter((t) => !(BUILTIN_BEAD_TYPES as readonly string[]).includes(t) && !tx.config.types.includes(t));
  if (declared.length > 0) tx.setConfig({ ...tx.config, types: [...tx.config.types, ...declared].sort() });
  const report: ImportReport = { created: [], updated: [], unchanged: [], skipped: plan.skipped, declaredTypes: declared, notes: plan.notes };
  for (const bead of incoming.values()) {
    // Parsed from its text and dropped: an import of the whole ledger does not keep every bead it compared.
    const existing = tx.beads.textOf(bead.id);
    if (existing === undefined) report.created.push(bead.id);
    else if (JSON.stringify(withoutCausal(JSON.parse(existing) as Bead)) === JSON.stringify(withoutCausal(bead))) {
      report.unchanged.push(bead.id);
      continue;
    } else report.updated.push(bead.id);
    putBead(tx, bead);
  }
  return report;
}
