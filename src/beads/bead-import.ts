import type { Transaction } from '../ledger/ledger.js';
import { putBead } from './bead-kind.js';
import { withoutCausal } from '../ledger/merge/causal.js';
import { canonicalJson } from '../ledger/merge/set-merge.js';
import { cycleProblem, findCycleFrom, selfDependencyProblem } from './graph.js';
import { escapedName } from '../ledger/names.js';
import type { ImportStream } from './interop.js';
import { BUILTIN_BEAD_TYPES, STAMPED_FIELDS, type Bead } from './bead.js';
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
 * Puts an import on the ledger in one transaction, a bead at a time as it is read. The beads are valid
 * (readImport checks each as a ledger file is checked: bead-codec's validateBead); here each is
 * checked against the ledger as `gt dep add` checks it (graph.ts): every dependency pointing at a bead
 * that exists (on the ledger or in the file), none on itself, no cycle of ordering dependencies.
 * Undeclared types are declared. Nothing is written unless all of it is valid (a refusal throws, and
 * the transaction is dropped), and a refusal names the record (line or item) and the field.
 *
 * An import of 50,000 beads keeps, of each bead it writes, its dependencies and where it was read.
 */
export function applyImport(tx: Transaction, stream: ImportStream): ImportReport {
  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  /** Of each bead written: its dependencies (for the checks once all is read) and where it was. */
  const written = new Map<string, { deps: Bead['deps']; place: string }>();
  for (const { bead: given, where } of stream.beads) {
    const existing = tx.beads.textOf(given.id);
    const before = existing === undefined ? undefined : (JSON.parse(existing) as Bead);
    const bead = before === undefined ? given : withKeptStamps(given, before);
    if (before !== undefined && sameContent(before, bead)) {
      unchanged.push(bead.id);
      continue;
    }
    for (const dep of bead.deps) {
      const self = selfDependencyProblem(bead.id, dep.id);
      if (self !== undefined) throw new UsageError(`${where}: field '${stream.depsField}': ${self}`, NOTHING_WRITTEN);
    }
    (before === undefined ? created : updated).push(bead.id);
    putBead(tx, bead);
    written.set(bead.id, { deps: bead.deps, place: where });
  }
  const missing: string[] = [];
  for (const [id, { deps, place }] of written) {
    for (const dep of deps) if (!tx.beads.has(dep.id)) missing.push(`${escapedName(id)} → ${escapedName(dep.id)} (${place})`);
  }
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.length} dependenc${missing.length === 1 ? 'y points' : 'ies point'} at beads that are neither on the ledger nor in the file: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      'import those beads too; nothing was written',
    );
  }
  // The ledger after the import: a cycle through an imported bead is refused. A bead the import left
  // alone is parsed from its text and dropped: looking it up in the table would keep it parsed.
  const after = {
    get: (id: string) => {
      if (written.has(id)) return written.get(id);
      const text = tx.beads.textOf(id);
      return text === undefined ? undefined : (JSON.parse(text) as Bead);
    },
    has: (id: string) => tx.beads.has(id),
  };
  const cycle = findCycleFrom(after, written.keys());
  if (cycle) {
    const at = cycle.find((id) => written.has(id))!;
    throw new UsageError(`${written.get(at)!.place}: field '${stream.depsField}': ${cycleProblem(cycle)}`, NOTHING_WRITTEN);
  }
  const { skipped, notes, undeclaredTypes } = stream.summary();
  const declaredTypes = undeclaredTypes.filter((t) => !(BUILTIN_BEAD_TYPES as readonly string[]).includes(t) && !tx.config.types.includes(t));
  if (declaredTypes.length > 0) tx.setConfig({ ...tx.config, types: [...tx.config.types, ...declaredTypes].sort() });
  return { created, updated, unchanged, skipped, declaredTypes, notes };
}

/** Whether an import changes nothing of a bead but its bookkeeping. Key order aside: a bead's stored row keeps the order its writes left. */
function sameContent(existing: Bead, incoming: Bead): boolean {
  return canonicalJson(withoutCausal(existing)) === canonicalJson(withoutCausal(incoming));
}

/**
 * `incoming` with the ledger's edit stamps of the fields it leaves as they are, where it has none of
 * its own (bd's JSONL has no place for them): re-importing an export must not lose when each field was
 * last edited, which field-by-field merges go by.
 */
function withKeptStamps(incoming: Bead, existing: Bead): Bead {
  if (!existing.edited) return incoming;
  const edited: Bead['edited'] = { ...incoming.edited };
  let kept = false;
  for (const field of STAMPED_FIELDS) {
    const at = existing.edited[field];
    if (at === undefined || edited[field] !== undefined || incoming[field] !== existing[field]) continue;
    edited[field] = at;
    kept = true;
  }
  if (!kept) return incoming;
  // In the bead's key order: `edited` follows every field it stamps.
  const { seen, writes, ...rest } = incoming;
  return { ...rest, edited: Object.fromEntries(STAMPED_FIELDS.filter((f) => edited[f] !== undefined).map((f) => [f, edited[f]])), ...(seen ? { seen } : {}), ...(writes ? { writes } : {}) } as Bead;
}
