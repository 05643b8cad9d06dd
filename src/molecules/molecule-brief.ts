/** What a worker needs to know about a molecule to carry on: where it stands, its current step in full, what comes next. */
import { isWispId, type Molecule, type StepGate } from './molecule.js';
import { currentStep, progressOf, type GateState, type StepProgress, type StepState } from './progress.js';
import { now as clockNow } from '../clock.js';

export interface StepBrief {
  id: string;
  title: string;
  state: StepState;
  assignee?: string;
  parent?: string;
  needs?: string[];
  waiting_on?: string[];
  gate?: GateState & Pick<StepGate, 'id' | 'timeout'>;
  started_at?: string;
  done_at?: string;
  description?: string;
  acceptance?: string;
  notes?: string;
}

export interface MoleculeBrief {
  id: string;
  title: string;
  formula: string;
  formula_version: number;
  status: Molecule['status'];
  /** Kept only on this machine. */
  wisp: boolean;
  bead?: string;
  assignee?: string;
  vars: Record<string, string>;
  finished: number;
  total: number;
  /** The actor's step: in progress for it, else the first ready one. */
  current?: StepBrief;
  /** Other steps ready to start. */
  next: StepBrief[];
}

export function stepBrief(p: StepProgress, full = true): StepBrief {
  const s = p.step;
  return {
    id: s.id,
    title: s.title,
    state: p.state,
    ...(s.assignee ? { assignee: s.assignee } : {}),
    ...(s.parent ? { parent: s.parent } : {}),
    ...(s.needs && s.needs.length > 0 ? { needs: s.needs } : {}),
    ...(p.waiting_on ? { waiting_on: p.waiting_on } : {}),
    ...(p.gate && s.gate ? { gate: { ...p.gate, ...(s.gate.id ? { id: s.gate.id } : {}), ...(s.gate.timeout ? { timeout: s.gate.timeout } : {}) } } : {}),
    ...(s.started_at ? { started_at: s.started_at } : {}),
    ...(s.done_at ? { done_at: s.done_at } : {}),
    ...(full && s.description ? { description: s.description } : {}),
    ...(full && s.acceptance ? { acceptance: s.acceptance } : {}),
    ...(full && s.notes ? { notes: s.notes } : {}),
  };
}

export function moleculeBrief(molecule: Molecule, actor: string, now: number = clockNow(), heldElsewhere?: ReadonlySet<string>): MoleculeBrief {
  const progress = progressOf(molecule, now);
  const { current, next } = currentStep(progress, actor, heldElsewhere);
  return {
    id: molecule.id,
    title: molecule.title,
    formula: molecule.formula,
    formula_version: molecule.formula_version,
    status: molecule.status,
    wisp: isWispId(molecule.id),
    ...(molecule.bead ? { bead: molecule.bead } : {}),
    ...(molecule.assignee ? { assignee: molecule.assignee } : {}),
    vars: molecule.vars ?? {},
    finished: progress.finished,
    total: progress.total,
    ...(current ? { current: stepBrief(current) } : {}),
    next: next.map((p) => stepBrief(p, false)),
  };
}
