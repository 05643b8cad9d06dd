/**
 * Pouring: a protomolecule whose variables are bound (cooked with vars) becomes a molecule, every step
 * not started. The formula engine has already substituted the variables and dropped the steps whose
 * condition was false; this turns its steps into the molecule's.
 */
import type { Protomolecule, ProtoStep } from '../formulas/protomolecule.js';
import { RuleError, UsageError } from '../errors.js';
import { normalizeMolecule, type Molecule, type MoleculeStep, type StepGate } from './molecule.js';

export interface PourInput {
  id: string;
  /** Defaults to the `title` variable, else "<formula>: <bead title>" for a bound bead, else the formula name. */
  title?: string;
  bead?: { id: string; title: string };
  assignee?: string;
  /** What the user bound (`--var`), merged over the formula's defaults for the record. */
  vars: Record<string, string>;
  now: string;
  actor: string;
}

/** `k=v` pairs from `--var` (repeatable); the value may contain '='. */
export function parseVars(pairs: readonly string[] = []): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`--var takes name=value, not '${pair}'`, 'e.g. --var feature="Login form"');
    }
    vars[name] = pair.slice(eq + 1);
  }
  return vars;
}

/** The variables as bound: the formula's defaults, then what was given. */
export function boundVars(proto: Protomolecule, given: Record<string, string>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, spec] of Object.entries(proto.vars)) if (spec.default !== undefined) vars[name] = spec.default;
  return { ...vars, ...given };
}

function gateOf(step: ProtoStep): StepGate | undefined {
  if (!step.gate) return undefined;
  const { type, id, await_id, timeout, condition } = step.gate;
  return { type, id, await_id, timeout, condition };
}

function stepOf(step: ProtoStep): MoleculeStep {
  return {
    id: step.id,
    title: step.title,
    type: step.type === undefined || step.type === 'task' ? undefined : step.type,
    parent: step.parent,
    needs: step.needs.length > 0 ? [...step.needs] : undefined,
    status: 'pending',
    gate: gateOf(step),
    description: step.description,
    acceptance: step.acceptance,
    notes: step.notes,
    // A step the formula assigns keeps its assignee as who should claim it; nobody has yet.
  };
}

function squashTrigger(proto: Protomolecule): unknown {
  const squash = proto.extras?.squash;
  return squash !== null && typeof squash === 'object' ? (squash as { trigger?: unknown }).trigger : undefined;
}

/** The molecule a bound protomolecule pours into. */
export function moleculeFromProto(proto: Protomolecule, input: PourInput): Molecule {
  if (proto.type !== 'workflow') {
    const hint = proto.type === 'convoy' ? 'a convoy formula runs as beads and a convoy: gt formula run' : 'only workflow formulas pour; this one is applied to others when they are cooked';
    throw new RuleError(`formula ${proto.formula} is a ${proto.type} formula, not a workflow`, hint);
  }
  if (proto.steps.length === 0) throw new RuleError(`formula ${proto.formula} has no steps to pour`, 'check its conditions and variables: gt formula show');
  const vars = boundVars(proto, input.vars);
  const title = input.title ?? vars.title ?? (input.bead ? `${proto.formula}: ${input.bead.title}` : proto.formula);
  return normalizeMolecule({
    id: input.id,
    title,
    formula: proto.formula,
    formula_version: proto.version,
    status: 'active',
    bead: input.bead?.id,
    assignee: input.assignee,
    vars,
    // Upstream files carry `[squash] trigger = "on_complete"` without upstream acting on it; its meaning
    // is clear, so a molecule poured from such a formula squashes itself when it completes.
    squash: squashTrigger(proto) === 'on_complete' ? 'on_complete' : undefined,
    created_at: input.now,
    created_by: input.actor,
    updated_at: input.now,
    steps: proto.steps.map(stepOf),
  });
}
