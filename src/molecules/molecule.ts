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
import { agentNameProblem, idProblem, shownName } from '../ledger/names.js';
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

const MOLECULE_KEYS = [
  'id',
  'title',
  'formula',
  'formula_version',
  'status',
  'bead',
  'assignee',
  'vars',
  'squash',
  'created_at',
  'created_by',
  'updated_at',
  'done_at',
  'edited',
  'steps',
] as const;

const STEP_KEYS = [
  'id',
  'title',
  'type',
  'parent',
  'needs',
  'status',
  'assignee',
  'started_at',
  'done_at',
  'gate',
  'description',
  'acceptance',
  'notes',
] as const;

const GATE_KEYS = ['type', 'id', 'await_id', 'timeout', 'condition', 'resolved_at', 'resolved_by'] as const;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Step ids as cooked formulas make them: `implement`, `implement.draft`, `move.iter3.move-disk`. */
const STEP_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$/;

type Path = (string | number)[];

class Problem {
  constructor(
    readonly at: Path,
    readonly message: string,
  ) {}
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], at: Path, what: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new Problem([...at, key], `unknown field '${key}' in ${what}`);
}

/** `rule`: a pattern the value must match, or a check saying what is wrong with it (names.ts). */
function text(value: Record<string, unknown>, key: string, at: Path, required: boolean, rule?: RegExp | ((v: string) => string | undefined), hint?: string): void {
  const v = value[key];
  if (v === undefined || v === null) {
    if (required) throw new Problem([...at, key], `${key} is missing`);
    return;
  }
  if (typeof v !== 'string') throw new Problem([...at, key], `${key} must be a string`);
  if (rule instanceof RegExp && !rule.test(v)) throw new Problem([...at, key], `${key} ${shownName(v)} is not valid${hint ? ` (${hint})` : ''}`);
  if (typeof rule === 'function') {
    const problem = rule(v);
    if (problem !== undefined) throw new Problem([...at, key], `${key} ${shownName(v)} is not valid: ${problem}`);
  }
}

function time(value: Record<string, unknown>, key: string, at: Path, required: boolean): void {
  text(value, key, at, required, ISO_TIME, 'an ISO time like 2026-01-31T12:00:00.000Z');
}

function oneOf(value: Record<string, unknown>, key: string, values: readonly string[], at: Path): void {
  const v = value[key];
  if (typeof v !== 'string' || !values.includes(v)) throw new Problem([...at, key], `${key} must be one of ${values.join(', ')}, not '${String(v)}'`);
}

function checkGate(gate: unknown, at: Path): void {
  if (!isMap(gate)) throw new Problem(at, 'gate must be a mapping (type, id, timeout, …)');
  checkKeys(gate, GATE_KEYS, at, 'a gate');
  text(gate, 'type', at, true);
  for (const key of ['id', 'await_id', 'condition', 'resolved_by']) text(gate, key, at, false);
  text(gate, 'timeout', at, false);
  if (typeof gate.timeout === 'string' && parseDuration(gate.timeout) === undefined) {
    throw new Problem([...at, 'timeout'], `timeout '${gate.timeout}' is not a duration like 30s, 30m, 2h or 1d`);
  }
  time(gate, 'resolved_at', at, false);
}

function checkStep(step: unknown, at: Path): void {
  if (!isMap(step)) throw new Problem(at, 'a step must be a mapping of fields');
  checkKeys(step, STEP_KEYS, at, 'a step');
  text(step, 'id', at, true, STEP_ID, 'letters, digits and . _ - : +');
  text(step, 'title', at, true);
  for (const key of ['type', 'parent', 'description', 'acceptance', 'notes']) text(step, key, at, false);
  oneOf(step, 'status', STEP_STATUSES, at);
  text(step, 'assignee', at, false, agentNameProblem);
  time(step, 'started_at', at, false);
  time(step, 'done_at', at, false);
  const needs = step.needs;
  if (needs !== undefined && needs !== null && (!Array.isArray(needs) || needs.some((n) => typeof n !== 'string'))) {
    throw new Problem([...at, 'needs'], 'needs must be a list of step ids');
  }
  if (step.gate !== undefined && step.gate !== null) checkGate(step.gate, [...at, 'gate']);
}

/** The first problem of a parsed molecule file, with the key path it is at. */
function problemOf(value: unknown): Problem | undefined {
  try {
    if (!isMap(value)) throw new Problem([], 'a molecule file must be a mapping of fields');
    checkKeys(value, MOLECULE_KEYS, [], 'a molecule');
    text(value, 'id', [], true, idProblem);
    text(value, 'title', [], true);
    text(value, 'formula', [], true);
    const version = value.formula_version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) throw new Problem(['formula_version'], 'formula_version must be a whole number');
    oneOf(value, 'status', MOLECULE_STATUSES, []);
    text(value, 'bead', [], false);
    text(value, 'assignee', [], false, agentNameProblem);
    if (value.vars !== undefined && value.vars !== null) {
      if (!isMap(value.vars)) throw new Problem(['vars'], 'vars must be a mapping of name to value');
      for (const [name, v] of Object.entries(value.vars)) {
        if (!VAR_NAME.test(name)) throw new Problem(['vars', name], `variable name '${name}' is not valid`);
        if (typeof v !== 'string') throw new Problem(['vars', name], `variable ${name} must be a string (quote it)`);
      }
    }
    if (value.squash !== undefined && value.squash !== null) oneOf(value, 'squash', ['on_complete'], []);
    time(value, 'created_at', [], true);
    text(value, 'created_by', [], true);
    time(value, 'updated_at', [], true);
    time(value, 'done_at', [], false);
    if (value.edited !== undefined && value.edited !== null) {
      if (!isMap(value.edited)) throw new Problem(['edited'], 'edited must be a mapping of field to time');
      for (const [k, t] of Object.entries(value.edited)) {
        if (!(MOLECULE_STAMPED_FIELDS as readonly string[]).includes(k) || typeof t !== 'string' || !ISO_TIME.test(t)) {
          throw new Problem(['edited', k], `edited.${k} is not a stamped field (${MOLECULE_STAMPED_FIELDS.join(', ')}) with an ISO time`);
        }
      }
    }
    const steps = value.steps;
    if (!Array.isArray(steps)) throw new Problem(['steps'], 'steps must be a list');
    const ids = new Map<string, number>();
    steps.forEach((step, i) => {
      checkStep(step, ['steps', i]);
      const id = (step as { id: string }).id;
      if (ids.has(id)) throw new Problem(['steps', i, 'id'], `step id '${id}' is used twice`);
      ids.set(id, i);
    });
    steps.forEach((raw, i) => {
      const step = raw as MoleculeStep;
      for (const need of step.needs ?? []) {
        if (!ids.has(need)) throw new Problem(['steps', i, 'needs'], `step ${step.id} needs '${need}', which is not a step of this molecule`);
        if (need === step.id) throw new Problem(['steps', i, 'needs'], `step ${step.id} needs itself`);
      }
      if (step.parent !== undefined) {
        if (!ids.has(step.parent)) throw new Problem(['steps', i, 'parent'], `step ${step.id} has parent '${step.parent}', which is not a step of this molecule`);
        // Parent chains must end: a cycle would make a step contain itself.
        const seen = new Set([step.id]);
        for (let p: string | undefined = step.parent; p !== undefined; p = (steps[ids.get(p)!] as MoleculeStep).parent) {
          if (seen.has(p)) throw new Problem(['steps', i, 'parent'], `step ${step.id} is inside itself (parent cycle through ${p})`);
          seen.add(p);
        }
      }
    });
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
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

function fileId(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.endsWith('.yaml') && name.length > 5 ? name.slice(0, -5) : undefined;
}

/** Parses and validates a molecule file; a broken one throws LedgerFileError naming the path and line. */
export function decodeMolecule(text: string, path: string): Molecule {
  const parsed = parseLedgerYaml(text, path);
  const problem = problemOf(parsed.value);
  if (problem) throw new LedgerFileError(path, parsed.lineOf(problem.at), problem.message);
  const molecule = normalizeMolecule(parsed.value as Molecule);
  const expected = fileId(path);
  if (expected !== undefined && molecule.id !== expected) {
    throw new LedgerFileError(path, parsed.lineOf(['id']), `id '${molecule.id}' does not match the file name (expected '${expected}')`);
  }
  return molecule;
}

export function encodeMolecule(molecule: Molecule): string {
  const normalized = normalizeMolecule(molecule);
  const problem = problemOf(normalized);
  if (problem) throw new UsageError(`cannot write molecule ${molecule.id}: ${problem.message}`);
  return toCanonicalYaml(normalized as unknown as Record<string, unknown>);
}

/** A step finished: done or skipped. */
export function isFinished(status: StepStatus): boolean {
  return status === 'done' || status === 'skipped';
}
