/**
 * Where a molecule stands, computed when it is read: which steps are done, in progress, ready to start
 * or still waiting, and on what. One pass over the steps, linear in their number and dependencies.
 *
 * - A step can start once every step it needs is finished (done or skipped), its container (if any)
 *   can start, and its gate (if any) is open.
 * - A gate opens when resolved (`gt gate resolve`); a timer gate also opens by itself `timeout` after
 *   the step could otherwise start (its needs done). Timers are evaluated against the clock at read time.
 * - A container (a step other steps name as `parent`) is not worked on itself: it is finished when all
 *   its children are, in progress once any of them started.
 */
import { isFinished, type Molecule, type MoleculeStep } from './molecule.js';
import { parseDuration } from './duration.js';
import { now as clockNow } from '../clock.js';

export type StepState = 'pending' | 'ready' | 'in_progress' | 'done' | 'skipped';

export interface GateState {
  type: string;
  open: boolean;
  /** When it opened or will open, if known (a resolution, or a timer running). */
  opens_at?: string;
  resolved_at?: string;
  resolved_by?: string;
}

export interface StepProgress {
  step: MoleculeStep;
  state: StepState;
  /** Index in the molecule's step list (its execution order). */
  index: number;
  container: boolean;
  /** For a pending step: the unfinished steps it needs (and its container, if that cannot start yet). */
  waiting_on?: string[];
  /** For a gated step. */
  gate?: GateState;
}

export interface MoleculeProgress {
  molecule: Molecule;
  steps: StepProgress[];
  byId: ReadonlyMap<string, StepProgress>;
  /** Steps that are worked on (not containers): how many are finished, of how many. */
  finished: number;
  total: number;
  /** Every worked-on step finished. */
  complete: boolean;
}

function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** When a gate opens for a step whose needs were met at `met`; null while nothing will open it by itself. */
function gateOpensAt(gate: NonNullable<MoleculeStep['gate']>, met: number): number | null {
  let opens: number | null = null;
  const resolved = timeOf(gate.resolved_at);
  if (resolved !== undefined) opens = Math.max(met, resolved);
  if (gate.type === 'timer' && gate.timeout !== undefined) {
    const ms = parseDuration(gate.timeout);
    if (ms !== undefined) opens = opens === null ? met + ms : Math.min(opens, met + ms);
  }
  return opens;
}

export function progressOf(molecule: Molecule, now: number = clockNow()): MoleculeProgress {
  const steps = molecule.steps;
  const index = new Map<string, number>();
  steps.forEach((s, i) => index.set(s.id, i));
  const children: number[][] = steps.map(() => []);
  const parentOf: (number | undefined)[] = steps.map((s, i) => {
    const p = s.parent === undefined ? undefined : index.get(s.parent);
    return p === i ? undefined : p;
  });
  parentOf.forEach((p, i) => {
    if (p !== undefined) children[p]!.push(i);
  });
  const created = timeOf(molecule.created_at) ?? 0;
  // Decoding refuses parent cycles; the depth guard only keeps a hand-built value from looping.
  const limit = steps.length + 1;
  /** Whether step `n` sits inside container `i` (at any depth). */
  const inside = (n: number, i: number): boolean => {
    let p = parentOf[n];
    for (let depth = 0; p !== undefined && depth <= limit; depth++, p = parentOf[p]) if (p === i) return true;
    return false;
  };
  /**
   * What a step waits for: its needs, except (for a container) its own steps, which a cooked formula
   * lists among the container's needs; they make the container complete, they do not hold it back.
   */
  const needsOf = (i: number): number[] => {
    const out: number[] = [];
    for (const need of steps[i]!.needs ?? []) {
      const n = index.get(need);
      if (n !== undefined && n !== i && !(children[i]!.length > 0 && inside(n, i))) out.push(n);
    }
    return out;
  };

  // When each step finished (null: not yet). A container: when its last child finished.
  const finishedMemo: (number | null | undefined)[] = new Array(steps.length);
  const finishedAt = (i: number, depth = 0): number | null => {
    const known = finishedMemo[i];
    if (known !== undefined) return known;
    let result: number | null;
    const kids = children[i]!;
    if (kids.length === 0 || depth > limit) {
      const s = steps[i]!;
      result = isFinished(s.status) ? (timeOf(s.done_at) ?? timeOf(s.started_at) ?? created) : null;
    } else {
      result = created;
      for (const k of kids) {
        const f = finishedAt(k, depth + 1);
        if (f === null) {
          result = null;
          break;
        }
        result = Math.max(result, f);
      }
    }
    finishedMemo[i] = result;
    return result;
  };

  // When each step's needs were all met and its container could start (null: not yet): what a timer
  // gate counts from.
  const metMemo: (number | null | undefined)[] = new Array(steps.length);
  const needsMetAt = (i: number, depth = 0): number | null => {
    const known = metMemo[i];
    if (known !== undefined) return known;
    let t: number | null = created;
    const p = parentOf[i];
    if (p !== undefined && depth <= limit) {
      const o = openAt(p, depth + 1);
      t = o === null ? null : Math.max(t, o);
    }
    for (const n of needsOf(i)) {
      if (t === null) break;
      const f = finishedAt(n);
      t = f === null ? null : Math.max(t, f);
    }
    metMemo[i] = t;
    return t;
  };
  // When the step could start: needs met and gate open (null: not yet, and no time known).
  const openMemo: (number | null | undefined)[] = new Array(steps.length);
  const openAt = (i: number, depth = 0): number | null => {
    const known = openMemo[i];
    if (known !== undefined) return known;
    const met = needsMetAt(i, depth);
    const gate = steps[i]!.gate;
    const result = met !== null && gate ? gateOpensAt(gate, met) : met;
    openMemo[i] = result;
    return result;
  };
  // Whether the step can start now. Only a timer looks at the clock: a step whose needs are done is
  // ready even if another machine's clock stamped them a little ahead of ours.
  const gateOpen = (i: number): boolean => {
    const gate = steps[i]!.gate;
    if (!gate || gate.resolved_at !== undefined) return true;
    const opens = openAt(i);
    return opens !== null && opens <= now;
  };
  const startableMemo: (boolean | undefined)[] = new Array(steps.length);
  const startable = (i: number, depth = 0): boolean => {
    const known = startableMemo[i];
    if (known !== undefined) return known;
    const p = parentOf[i];
    let result = p === undefined || depth > limit || startable(p, depth + 1);
    for (const n of needsOf(i)) {
      if (!result) break;
      if (finishedAt(n) === null) result = false;
    }
    if (result) result = needsMetAt(i) !== null && gateOpen(i);
    startableMemo[i] = result;
    return result;
  };

  const out: StepProgress[] = steps.map((step, i) => ({ step, state: 'pending', index: i, container: children[i]!.length > 0 }));
  let finished = 0;
  let total = 0;
  for (let i = 0; i < steps.length; i++) {
    const p = out[i]!;
    const s = p.step;
    if (s.gate) {
      const met = needsMetAt(i);
      const opens = met === null ? null : gateOpensAt(s.gate, met);
      p.gate = {
        type: s.gate.type,
        open: met !== null && gateOpen(i),
        ...(opens !== null ? { opens_at: new Date(opens).toISOString() } : {}),
        ...(s.gate.resolved_at ? { resolved_at: s.gate.resolved_at } : {}),
        ...(s.gate.resolved_by ? { resolved_by: s.gate.resolved_by } : {}),
      };
    }
    if (p.container) continue;
    total++;
    if (isFinished(s.status)) {
      finished++;
      p.state = s.status as 'done' | 'skipped';
    } else if (s.status === 'in_progress') {
      p.state = 'in_progress';
    } else {
      p.state = startable(i) ? 'ready' : 'pending';
    }
  }
  // Containers take their state from their children (innermost first, through the recursion).
  const containerState = (i: number, depth = 0): StepState => {
    const p = out[i]!;
    if (!p.container || depth > limit) return p.state;
    if (finishedAt(i) !== null) return (p.state = 'done');
    let started = false;
    for (const k of children[i]!) {
      const state = containerState(k, depth + 1);
      if (state !== 'pending' && state !== 'ready') started = true;
    }
    return (p.state = started ? 'in_progress' : startable(i) ? 'ready' : 'pending');
  };
  for (let i = 0; i < steps.length; i++) if (out[i]!.container) containerState(i);

  for (let i = 0; i < steps.length; i++) {
    const p = out[i]!;
    if (p.state !== 'pending') continue;
    const waiting: string[] = [];
    const parent = parentOf[i];
    if (parent !== undefined && !startable(parent)) waiting.push(steps[parent]!.id);
    for (const n of needsOf(i)) if (finishedAt(n) === null) waiting.push(steps[n]!.id);
    if (waiting.length > 0) p.waiting_on = waiting;
  }
  const byId = new Map(out.map((p) => [p.step.id, p]));
  return { molecule, steps: out, byId, finished, total, complete: total > 0 && finished === total };
}

export interface CurrentStep {
  /** The actor's step: the one it has in progress, else the first ready step nobody holds. */
  current?: StepProgress;
  /** Other steps ready to start, in order (not held by another agent). */
  next: StepProgress[];
}

/**
 * The actor's current step and the ready ones after it. `heldElsewhere`: steps other agents have
 * claimed or finished on branches not merged yet (they are skipped).
 */
export function currentStep(progress: MoleculeProgress, actor: string, heldElsewhere: ReadonlySet<string> = new Set()): CurrentStep {
  const mine = progress.steps.find((p) => !p.container && p.state === 'in_progress' && p.step.assignee === actor);
  const ready = progress.steps.filter((p) => !p.container && p.state === 'ready' && !heldElsewhere.has(p.step.id));
  const current = mine ?? ready[0];
  return { ...(current ? { current } : {}), next: ready.filter((p) => p !== current) };
}
