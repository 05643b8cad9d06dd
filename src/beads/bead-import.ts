import type { Transaction } from '../ledger/ledger.js';
import { validateBead } from './bead-codec.js';
import { putBead } from './bead-kind.js';
import type { ImportPlan } from './interop.js';
import { BUILTIN_BEAD_TYPES, type Bead } from './bead.js';
import { UsageError } from '../errors.js';

export interface ImportReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: { id: string; reason: string }[];
  declaredTypes: string[];
  notes: string[];
}

/**
 * Puts an import plan on the ledger in one transaction: every bead validated, every dependency pointing
 * at a bead that exists (on the ledger or in the file), undeclared types declared. Nothing is written
 * unless all of it is valid.
 */
export function applyImport(tx: Transaction, plan: ImportPlan): ImportReport {
  const incoming = new Map<string, Bead>();
  for (const raw of plan.beads) {
    const checked = validateBead(raw);
    if (!checked.ok) {
      const p = checked.problems[0]!;
      throw new UsageError(`bead ${raw.id}: ${p.message}`, 'fix the file and import again; nothing was written');
    }
    incoming.set(checked.bead.id, checked.bead);
  }
  const missing: string[] = [];
  for (const bead of incoming.values()) {
    for (const dep of bead.deps) if (!incoming.has(dep.id) && !tx.beads.has(dep.id)) missing.push(`${bead.id} → ${dep.id}`);
  }
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.length} dependenc${missing.length === 1 ? 'y points' : 'ies point'} at beads that are neither on the ledger nor in the file: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      'import those beads too; nothing was written',
    );
  }
  const declared = plan.undeclaredTypes.filter((t) => !(BUILTIN_BEAD_TYPES as readonly string[]).includes(t) && !tx.config.types.includes(t));
  if (declared.length > 0) tx.setConfig({ ...tx.config, types: [...tx.config.types, ...declared].sort() });
  const report: ImportReport = { created: [], updated: [], unchanged: [], skipped: plan.skipped, declaredTypes: declared, notes: plan.notes };
  for (const bead of incoming.values()) {
    const existing = tx.beads.get(bead.id);
    if (!existing) report.created.push(bead.id);
    else if (JSON.stringify(existing) === JSON.stringify(bead)) {
      report.unchanged.push(bead.id);
      continue;
    } else report.updated.push(bead.id);
    putBead(tx, bead);
  }
  return report;
}
