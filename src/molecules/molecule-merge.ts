/**
 * Three-way merge of one molecule. Every rule is order-independent given the base, so agent branches
 * merged in any order give the same file, and nothing a branch did is lost:
 * - each step's status by rank (pending = ready < in_progress < skipped < done): work only moves forward;
 * - each step's claim (assignee with started_at) by the later start, its done_at by the later finish,
 *   its gate resolution by the later resolution;
 * - the molecule's title and assignee by their latest edit (stamps in `edited`), its status by rank
 *   (active < done), updated_at and done_at by maximum;
 * - steps present on either side are all kept (union by id); fields fixed at pour settle by their JSON
 *   when (by hand) both sides changed them.
 */
import type { MergeNote } from '../ledger/entity-kind.js';
import { canonicalJson } from '../ledger/merge/set-merge.js';
import { MOLECULE_STAMPED_FIELDS, normalizeMolecule, type Molecule, type MoleculeStep, type StepGate, type StepStatus } from './molecule.js';

const STEP_RANK: Record<StepStatus, number> = { pending: 0, ready: 0, in_progress: 1, skipped: 2, done: 3 };
const MOLECULE_RANK: Record<Molecule['status'], number> = { active: 0, done: 1 };

/**
 * One value, three ways: a side equal to the base yields to the other; when both changed it (or there
 * is no base and they differ), `pick` settles it and must not care which side is which.
 */
function three<T>(base: T | undefined, hasBase: boolean, ours: T, theirs: T, pick: (a: T, b: T) => T): { value: T; lost?: T } {
  const [o, t] = [canonicalJson(ours), canonicalJson(theirs)];
  if (o === t) return { value: ours };
  if (hasBase) {
    const b = canonicalJson(base);
    if (t === b) return { value: ours };
    if (o === b) return { value: theirs };
  }
  const value = pick(ours, theirs);
  return { value, lost: value === ours ? theirs : ours };
}

const byJson = <T>(a: T, b: T): T => (canonicalJson(b) > canonicalJson(a) ? b : a);

/** Later by `key` (unset loses), then by JSON. */
const laterBy =
  <T>(key: (v: T) => string | undefined) =>
  (a: T, b: T): T => {
    const [ka, kb] = [key(a) ?? '', key(b) ?? ''];
    return ka !== kb ? (kb > ka ? b : a) : byJson(a, b);
  };

interface Claim {
  assignee?: string;
  started_at?: string;
}
interface Resolution {
  resolved_at?: string;
  resolved_by?: string;
}

const claimOf = (s: MoleculeStep): Claim => ({ assignee: s.assignee, started_at: s.started_at });
const resolutionOf = (g: StepGate | undefined): Resolution => ({ resolved_at: g?.resolved_at, resolved_by: g?.resolved_by });
const gateSpecOf = (g: StepGate | undefined): StepGate | undefined => (g ? { ...g, resolved_at: undefined, resolved_by: undefined } : undefined);

const FIXED_STEP_FIELDS = ['title', 'type', 'parent', 'needs', 'description', 'acceptance', 'notes'] as const;

function mergeStep(base: MoleculeStep | undefined, ours: MoleculeStep, theirs: MoleculeStep, note: (field: string, kept: unknown, lost: unknown) => void): MoleculeStep {
  const has = base !== undefined;
  const out: Record<string, unknown> = { id: ours.id };
  for (const f of FIXED_STEP_FIELDS) {
    const r = three(base?.[f], has, ours[f], theirs[f], byJson);
    out[f] = r.value;
    if (r.lost !== undefined) note(`steps.${ours.id}.${f}`, r.value, r.lost);
  }
  const status = three(base?.status, has, ours.status, theirs.status, (a, b) => (STEP_RANK[b] > STEP_RANK[a] || (STEP_RANK[b] === STEP_RANK[a] && b > a) ? b : a));
  out.status = status.value;
  const claim = three(base ? claimOf(base) : undefined, has, claimOf(ours), claimOf(theirs), laterBy((c) => c.started_at));
  if (claim.lost !== undefined && claim.lost.assignee !== claim.value.assignee) note(`steps.${ours.id}.assignee`, claim.value.assignee, claim.lost.assignee);
  out.assignee = claim.value.assignee;
  out.started_at = claim.value.started_at;
  out.done_at = three(base?.done_at, has, ours.done_at, theirs.done_at, laterBy((t) => t)).value;
  const spec = three(gateSpecOf(base?.gate), has, gateSpecOf(ours.gate), gateSpecOf(theirs.gate), byJson).value;
  const resolution = three(base ? resolutionOf(base.gate) : undefined, has, resolutionOf(ours.gate), resolutionOf(theirs.gate), laterBy((r) => r.resolved_at)).value;
  if (spec) out.gate = { ...spec, ...resolution };
  return out as unknown as MoleculeStep;
}

/**
 * The order of the merged steps. Steps are only ever added (never removed or moved): when only one side
 * has steps the other lacks, its order is kept; otherwise the base's order (without a base, the greater
 * side's) comes first, then every other step by id.
 */
function stepOrder(base: Molecule | undefined, ours: Molecule, theirs: Molecule, ids: ReadonlySet<string>): string[] {
  const inOurs = new Set(ours.steps.map((s) => s.id));
  const inTheirs = new Set(theirs.steps.map((s) => s.id));
  if (theirs.steps.every((s) => inOurs.has(s.id))) return ours.steps.map((s) => s.id);
  if (ours.steps.every((s) => inTheirs.has(s.id))) return theirs.steps.map((s) => s.id);
  const reference = base
    ? base.steps.map((s) => s.id)
    : [ours.steps.map((s) => s.id), theirs.steps.map((s) => s.id)].reduce((a, b) => (canonicalJson(b) > canonicalJson(a) ? b : a));
  const placed = new Set<string>();
  const order: string[] = [];
  for (const id of reference) {
    if (ids.has(id) && !placed.has(id)) {
      placed.add(id);
      order.push(id);
    }
  }
  order.push(...[...ids].filter((id) => !placed.has(id)).sort());
  return order;
}

export function mergeMolecule(base: Molecule | undefined, ours: Molecule, theirs: Molecule): { value: Molecule; notes: MergeNote[] } {
  const notes: MergeNote[] = [];
  const note = (field: string, kept: unknown, superseded: unknown): void => {
    notes.push({ id: ours.id, field, kept, superseded });
  };
  const has = base !== undefined;
  const out: Record<string, unknown> = { id: ours.id };
  for (const f of ['formula', 'formula_version', 'bead', 'vars', 'squash', 'created_at', 'created_by'] as const) {
    const r = three(base?.[f], has, ours[f], theirs[f], byJson);
    out[f] = r.value;
    if (r.lost !== undefined) note(f, r.value, r.lost);
  }
  const edited: Record<string, string> = {};
  for (const f of MOLECULE_STAMPED_FIELDS) {
    const stamped = (m: Molecule) => ({ value: m[f], stamp: m.edited?.[f] });
    const r = three(base ? stamped(base) : undefined, has, stamped(ours), stamped(theirs), laterBy((s) => s.stamp ?? ''));
    out[f] = r.value.value;
    if (r.value.stamp !== undefined) edited[f] = r.value.stamp;
    if (r.lost !== undefined && canonicalJson(r.lost.value) !== canonicalJson(r.value.value)) note(f, r.value.value, r.lost.value);
  }
  out.edited = edited;
  const status = three(base?.status, has, ours.status, theirs.status, (a, b) => (MOLECULE_RANK[b] > MOLECULE_RANK[a] ? b : a));
  out.status = status.value;
  out.updated_at = ours.updated_at > theirs.updated_at ? ours.updated_at : theirs.updated_at;
  out.done_at = three(base?.done_at, has, ours.done_at, theirs.done_at, laterBy((t) => t)).value;

  const baseSteps = new Map((base?.steps ?? []).map((s) => [s.id, s]));
  const ourSteps = new Map(ours.steps.map((s) => [s.id, s]));
  const theirSteps = new Map(theirs.steps.map((s) => [s.id, s]));
  const ids = new Set([...ourSteps.keys(), ...theirSteps.keys()]);
  out.steps = stepOrder(base, ours, theirs, ids).map((id) => {
    const [b, o, t] = [baseSteps.get(id), ourSteps.get(id), theirSteps.get(id)];
    // A step on one side only was added there (steps are never removed): keep it.
    if (!o) return t!;
    if (!t) return o;
    if (o === t) return o;
    return mergeStep(b, o, t, note);
  });
  const value = normalizeMolecule(out as unknown as Molecule);
  return { value: canonicalJson(value) === canonicalJson(ours) ? ours : value, notes };
}

/** Same molecule = same id, creation and formula (as opposed to two pours that drew the same id). */
export function isSameMolecule(a: Molecule, b: Molecule): boolean {
  return a.id === b.id && a.created_at === b.created_at && a.created_by === b.created_by && a.formula === b.formula;
}
