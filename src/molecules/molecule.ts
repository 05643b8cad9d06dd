/**
 * The molecule: a poured formula, a live workflow whose steps workers advance one by one. This file is
 * the schema and the codec of `molecules/<id>.yaml` on the ledger (and of wisps, the same files kept in
 * `.git/gt/wisps/`). The file is the state: a worker that restarts reads where the work stands here.
 *
 * What a step file stores is what happened to it (pending, in_progress, done, skipped; who claimed it,
 * when it started and finished, when its gate was resolved). Whether a pending step can start now
 * ("ready") is computed when the molecule is read (see progress.ts), never stored: it depends on other
 * steps, on the clock (timer gates) and on merges of other agents' work, and a stored copy would go stale.
 */
import { LedgerFileError, UsageError } from '../errors.js';
import { parseLedgerYaml, toCanonicalYaml } from '../ledger/canonical-yaml.js';
import { Checker, fileError, idFromFileName, isMap, summary, type FieldSpecs, type Problem } from '../ledger/validate.js';
import { parseDuration } from './duration.js';

export const MOLECULE_STATUSES = ['active', 'done'] as const;
export type MoleculeStatus = (typeof MOLECULE_STATUSES)[number];

/**
 * Step statuses as files hold them. `ready` is accepted (a hand-written file may say it) and means the
 * same as `pending`: gt computes readiness on read and writes `pending` for a step not started.
 */
export const STEP_STATUSES = ['pending', 'ready', 'in_progress', 'done', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Molecule ids: `<prefix>-mol-<random>` on the ledger, `<prefix>-wisp-<random>` for wisps. */
export const MOLECULE_INFIX = 'mol';
export const WISP_INFIX = 'wisp';

export function isWispId(id: string): boolean {
  return id.includes(`-${WISP_INFIX}-`);
}

export interface StepGate {
  /** human, timer, gh:run, gh:pr, mail, … : only timers open by themselves. */
  type: string;
  id?: string;
  await_id?: string;
  /** Timer gates: how long after the step's needs were all done it opens ("30m", "2h", "1d"). */
  timeout?: string;
  condition?: string;
  resolved_at?: string;
  resolved_by?: string;
}

export interface MoleculeStep {
  /** Unique in the molecule. */
  id: string;
  title: string;
  /** As the formula says (task, epic, gate, human…); absent = task. */
  type?: string;
  /** The container step this one belongs to; a container completes when its children are done. */
  parent?: string;
  /** Steps that must be done first, in the formula's order. */
  needs?: string[];
  status: StepStatus;
  assignee?: string;
  started_at?: string;
  done_at?: string;
  gate?: StepGate;
  /** Variables substituted. */
  description?: string;
  acceptance?: string;
  notes?: string;
}

export interface Molecule {
  id: string;
  title: string;
  formula: string;
  formula_version: number;
  status: MoleculeStatus;
  /** The bead this molecule works on (slung with --formula): finishing the last step closes it. */
  bead?: string;
  /** Who works it (steps may still be claimed by other agents). */
  assignee?: string;
  /** The bound variables, by name. */
  vars?: Record<string, string>;
  /** From the formula's `[squash] trigger = "on_complete"`: completing the molecule squashes it into a digest bead. */
  squash?: 'on_complete';
  created_at: string;
  created_by: string;
  updated_at: string;
  done_at?: string;
  /** Edit times of the molecule's own stamped fields changed after creation. */
  edited?: Partial<Record<MoleculeStampedField, string>>;
  /** In execution-compatible order: every step after the steps it needs. */
  steps: MoleculeStep[];
}

export const MOLECULE_STAMPED_FIELDS = ['title', 'assignee'] as const;
export type MoleculeStampedField = (typeof MOLECULE_STAMPED_FIELDS)[number];

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Step ids as cooked formulas make them: `implement`, `implement.draft`, `move.iter3.move-disk`. */
const STEP_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$/;

const text = { type: 'string' } as const;
const time = { type: 'time' } as const;

/** Fields in file order (the canonical file's key order). */
const GATE_FIELDS: FieldSpecs = {
  type: { rule: text, required: true },
  id: { rule: text },
  await_id: { rule: text },
  timeout: { rule: text },
  condition: { rule: text },
  resolved_at: { rule: time },
  resolved_by: { rule: text },
};

const STEP_FIELDS: FieldSpecs = {
  id: { rule: { type: 'string', pattern: STEP_ID, hint: 'letters, digits and . _ - : +' }, required: true },
  title: { rule: text, required: true },
  type: { rule: text },
  parent: { rule: text },
  needs: { rule: { type: 'list', of: text } },
  status: { rule: { type: 'enum', values: STEP_STATUSES }, required: true },
  assignee: { rule: { type: 'name' } },
  started_at: { rule: time },
  done_at: { rule: time },
  gate: { rule: { type: 'record', fields: GATE_FIELDS, what: 'a gate' } },
  description: { rule: text },
  acceptance: { rule: text },
  notes: { rule: text },
};

const MOLECULE_FIELDS: FieldSpecs = {
  id: { rule: { type: 'id' }, required: true },
  title: { rule: text, required: true },
  formula: { rule: text, required: true },
  formula_version: { rule: { type: 'int', min: 0 }, required: true },
  status: { rule: { type: 'enum', values: MOLECULE_STATUSES }, required: true },
  bead: { rule: text },
  assignee: { rule: { type: 'name' } },
  vars: { rule: { type: 'dict', key: (name) => (VAR_NAME.test(name) ? undefined : `variable name '${name}' is not valid`), of: text } },
  squash: { rule: { type: 'enum', values: ['on_complete'] } },
  created_at: { rule: time, required: true },
  created_by: { rule: text, required: true },
  updated_at: { rule: time, required: true },
  done_at: { rule: time },
  edited: {
    rule: {
      type: 'dict',
      key: (k) => ((MOLECULE_STAMPED_FIELDS as readonly string[]).includes(k) ? undefined : `'${k}' is not a stamped field (${MOLECULE_STAMPED_FIELDS.join(', ')})`),
      of: time,
    },
  },
  steps: { rule: { type: 'list', of: { type: 'record', fields: STEP_FIELDS, what: 'a step' } }, required: true },
};

/** The keys of each map in file order: what the canonical file writes. */
const MOLECULE_KEYS = Object.keys(MOLECULE_FIELDS);
const STEP_KEYS = Object.keys(STEP_FIELDS);
const GATE_KEYS = Object.keys(GATE_FIELDS);

/**
 * Every problem of a parsed molecule file, with the key path it is at: each field (validate.ts), then
 * what ties the steps together (durations of gates, unique step ids, needs and parents naming steps,
 * no parent cycle), checked on the steps that are well formed.
 */
export function moleculeProblems(value: unknown): Problem[] {
  const c = new Checker({ nullIsUnset: true });
  if (!c.record(value, [], MOLECULE_FIELDS, 'a molecule file') && !(isMap(value) && Array.isArray(value.steps))) return c.problems;
  const steps = (value as { steps: unknown[] }).steps;
  const ids = new Map<string, number>();
  let unique = true;
  steps.forEach((raw, i) => {
    if (!isMap(raw)) return;
    const gate = raw.gate;
    if (isMap(gate) && typeof gate.timeout === 'string' && parseDuration(gate.timeout) === undefined) {
      c.add(['steps', i, 'gate', 'timeout'], `timeout '${gate.timeout}' is not a duration like 30s, 30m, 2h or 1d`);
    }
    if (typeof raw.id !== 'string') return;
    if (ids.has(raw.id)) {
      c.add(['steps', i, 'id'], `step id '${raw.id}' is used twice`);
      unique = false;
    } else ids.set(raw.id, i);
  });
  // With an id used twice, which step a need or a parent names is unclear: those wait for the fix.
  if (!unique) return c.problems;
  const parentOf = (id: string): unknown => (steps[ids.get(id)!] as Record<string, unknown>).parent;
  steps.forEach((raw, i) => {
    if (!isMap(raw) || typeof raw.id !== 'string') return;
    const id = raw.id;
    if (Array.isArray(raw.needs)) {
      for (const need of raw.needs) {
        if (typeof need !== 'string') continue;
        if (!ids.has(need)) c.add(['steps', i, 'needs'], `step ${id} needs '${need}', which is not a step of this molecule`);
        else if (need === id) c.add(['steps', i, 'needs'], `step ${id} needs itself`);
      }
    }
    if (typeof raw.parent === 'string') {
      if (!ids.has(raw.parent)) {
        c.add(['steps', i, 'parent'], `step ${id} has parent '${raw.parent}', which is not a step of this molecule`);
        return;
      }
      // Parent chains must end: a cycle would make a step contain itself.
      const seen = new Set([id]);
      for (let p: unknown = raw.parent; typeof p === 'string' && ids.has(p); p = parentOf(p)) {
        if (seen.has(p)) {
          c.add(['steps', i, 'parent'], `step ${id} is inside itself (parent cycle through ${p})`);
          break;
        }
        seen.add(p);
      }
    }
  });
  return c.problems;
}

function definedOnly<T extends Record<string, unknown>>(value: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0 && key !== 'steps') continue;
    if (isMap(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out as T;
}

/** The canonical shape: key order fixed, unset and empty fields left out, vars and stamps by name. */
export function normalizeMolecule(molecule: Molecule): Molecule {
  const vars = molecule.vars ? Object.fromEntries(Object.keys(molecule.vars).sort().map((k) => [k, molecule.vars![k]!])) : undefined;
  const edited = molecule.edited
    ? Object.fromEntries(MOLECULE_STAMPED_FIELDS.filter((k) => molecule.edited![k] !== undefined).map((k) => [k, molecule.edited![k]!]))
    : undefined;
  const steps = molecule.steps.map((step) => {
    const gate = step.gate ? definedOnly(step.gate as unknown as Record<string, unknown>, GATE_KEYS) : undefined;
    return definedOnly({ ...step, gate } as unknown as Record<string, unknown>, STEP_KEYS) as unknown as MoleculeStep;
  });
  return definedOnly({ ...molecule, vars, edited, steps } as unknown as Record<string, unknown>, MOLECULE_KEYS) as unknown as Molecule;
}

/** Parses and validates a molecule file; a broken one throws LedgerFileError naming the path and line. */
export function decodeMolecule(text: string, path: string): Molecule {
  const parsed = parseLedgerYaml(text, path);
  const problems = moleculeProblems(parsed.value);
  if (problems.length > 0) throw fileError(path, parsed.lineOf, problems);
  const molecule = normalizeMolecule(parsed.value as Molecule);
  const expected = idFromFileName(path);
  if (expected !== undefined && molecule.id !== expected) {
    throw new LedgerFileError(path, parsed.lineOf(['id']), `id '${molecule.id}' does not match the file name (expected '${expected}')`);
  }
  return molecule;
}

export function encodeMolecule(molecule: Molecule): string {
  const normalized = normalizeMolecule(molecule);
  const problems = moleculeProblems(normalized);
  if (problems.length > 0) throw new UsageError(`cannot write molecule ${molecule.id}: ${summary(problems)}`);
  return toCanonicalYaml(normalized as unknown as Record<string, unknown>);
}

/** A step finished: done or skipped. */
export function isFinished(status: StepStatus): boolean {
  return status === 'done' || status === 'skipped';
}
