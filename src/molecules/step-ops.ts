/**
 * Advancing a molecule: claim a step, finish it (done or skipped), resolve a gate. Pure functions from
 * a molecule to the next one; where it is stored (the ledger, or a wisp) is the caller's business.
 * Each change touches only the steps it is about (plus containers that complete, and the molecule's
 * own status when the last step finishes), so a merge with other agents' work keeps everything.
 */
import { NotFoundError, AmbiguousIdError, RuleError } from '../errors.js';
import { closestIds } from '../beads/ids.js';
import { isFinished, type Molecule, type MoleculeStep } from './molecule.js';
import { currentStep, progressOf, type MoleculeProgress, type StepProgress } from './progress.js';
import { formatDuration } from './duration.js';

export interface StepContext {
  actor: string;
  /** ISO time of the change. */
  now: string;
  /** Steps other agents hold on branches not merged yet, with who holds them. */
  heldElsewhere?: ReadonlyMap<string, string>;
}

/** A step by id: the id itself, a unique prefix, or a unique last segment (`draft` for `implement.draft`). */
export function findStep(molecule: Molecule, query: string): MoleculeStep {
  const q = query.trim();
  if (q === '') throw new NotFoundError(`step of ${molecule.id}`, query);
  const exact = molecule.steps.find((s) => s.id === q);
  if (exact) return exact;
  let matches = molecule.steps.filter((s) => s.id.startsWith(q));
  if (matches.length === 0) matches = molecule.steps.filter((s) => s.id.split('.').some((part) => part === q));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new AmbiguousIdError(query, matches.map((s) => s.id));
  throw new NotFoundError(`step of ${molecule.id}`, query, closestIds(q, molecule.steps.map((s) => s.id)));
}

function withSteps(molecule: Molecule, changed: ReadonlyMap<string, MoleculeStep>, now: string): Molecule {
  return { ...molecule, updated_at: now, steps: molecule.steps.map((s) => changed.get(s.id) ?? s) };
}

/** Why a step cannot start now, for an error message. */
export function whyWaiting(p: StepProgress, now: number): string {
  const parts: string[] = [];
  if (p.waiting_on && p.waiting_on.length > 0) parts.push(`waiting on ${p.waiting_on.join(', ')}`);
  if (p.gate && !p.gate.open && (!p.waiting_on || p.waiting_on.length === 0)) {
    parts.push(
      p.gate.opens_at
        ? `its ${p.gate.type} gate opens in ${formatDuration(Date.parse(p.gate.opens_at) - now)} (${p.gate.opens_at})`
        : `its ${p.gate.type} gate is not resolved`,
    );
  }
  return parts.join('; ') || 'it cannot start yet';
}

function gateHint(molecule: Molecule, p: StepProgress): string {
  if (p.gate && !p.gate.open && (!p.waiting_on || p.waiting_on.length === 0)) {
    return `resolve the gate: gt gate resolve ${molecule.id} ${p.step.id}`;
  }
  return `see what is ready: gt mol current ${molecule.id}`;
}

function checkActive(molecule: Molecule): void {
  if (molecule.status === 'done') throw new RuleError(`molecule ${molecule.id} is already complete`, `see it with gt mol show ${molecule.id}`);
}

/** Checks that `actor` may work on step `p` now; throws RuleError saying why not. */
function checkWorkable(molecule: Molecule, p: StepProgress, ctx: StepContext, force: boolean): void {
  const step = p.step;
  if (p.container) {
    throw new RuleError(`${step.id} is a container: it completes when its steps are done`, `see its steps with gt mol show ${molecule.id}`);
  }
  if (isFinished(step.status)) throw new RuleError(`step ${step.id} is already ${step.status}`, `see what is next: gt mol current ${molecule.id}`);
  if (p.state === 'pending') {
    throw new RuleError(`step ${step.id} cannot start: ${whyWaiting(p, Date.parse(ctx.now))}`, gateHint(molecule, p));
  }
  const holder = step.status === 'in_progress' ? step.assignee : ctx.heldElsewhere?.get(step.id);
  if (holder !== undefined && holder !== ctx.actor && !force) {
    const where = step.status === 'in_progress' ? '' : ' (on its branch, not merged yet)';
    throw new RuleError(`step ${step.id} is held by ${holder}${where}`, 'pick another ready step (gt mol current), or take it over with --force');
  }
}

function claimed(step: MoleculeStep, ctx: StepContext): MoleculeStep {
  return { ...step, status: 'in_progress', assignee: ctx.actor, started_at: ctx.now };
}

/** Claims a ready step for the actor (in progress, assigned). Claiming one's own step again changes nothing. */
export function claimStep(molecule: Molecule, query: string, ctx: StepContext, options: { force?: boolean } = {}): { molecule: Molecule; step: MoleculeStep; changed: boolean } {
  checkActive(molecule);
  const step = findStep(molecule, query);
  const p = progressOf(molecule, Date.parse(ctx.now)).byId.get(step.id)!;
  if (step.status === 'in_progress' && step.assignee === ctx.actor) return { molecule, step, changed: false };
  checkWorkable(molecule, p, ctx, options.force === true);
  const next = claimed(step, ctx);
  return { molecule: withSteps(molecule, new Map([[step.id, next]]), ctx.now), step: next, changed: true };
}

export interface FinishResult {
  molecule: Molecule;
  /** The step finished. */
  finished: MoleculeStep;
  /** Containers completed by it. */
  containers: MoleculeStep[];
  /** With `continue`: the step claimed next, if one was ready. */
  claimed?: MoleculeStep;
  /** The last step finished: the molecule is done. */
  completed: boolean;
  progress: MoleculeProgress;
}

/**
 * Finishes a step (default: the actor's current one: in progress for it, else the first ready one).
 * Containers whose steps are now all finished complete with it, and the molecule when nothing is left.
 * With `continue`, the next ready step nobody holds is claimed for the actor in the same change.
 */
export function finishStep(
  molecule: Molecule,
  query: string | undefined,
  ctx: StepContext,
  options: { continue?: boolean; force?: boolean; skip?: boolean } = {},
): FinishResult {
  checkActive(molecule);
  const nowMs = Date.parse(ctx.now);
  const before = progressOf(molecule, nowMs);
  const held = new Set(ctx.heldElsewhere?.keys() ?? []);
  let p: StepProgress | undefined;
  if (query !== undefined) {
    p = before.byId.get(findStep(molecule, query).id)!;
  } else {
    p = currentStep(before, ctx.actor, held).current;
    if (!p) {
      const others = before.steps.filter((s) => !s.container && s.state === 'in_progress');
      const gated = before.steps.find((s) => !s.container && s.state === 'pending' && s.gate && !s.gate.open && !s.waiting_on);
      if (gated) throw new RuleError(`no step of ${molecule.id} is ready for ${ctx.actor}: ${gated.step.id}: ${whyWaiting(gated, nowMs)}`, gateHint(molecule, gated));
      const hint = others.length > 0 ? `in progress elsewhere: ${others.map((s) => `${s.step.id} (${s.step.assignee ?? '?'})`).join(', ')}` : `see the molecule: gt mol show ${molecule.id}`;
      throw new RuleError(`no step of ${molecule.id} is ready for ${ctx.actor}`, hint);
    }
  }
  checkWorkable(molecule, p, ctx, options.force === true);
  const changed = new Map<string, MoleculeStep>();
  const finished: MoleculeStep = {
    ...p.step,
    status: options.skip ? 'skipped' : 'done',
    assignee: p.step.status === 'in_progress' && p.step.assignee !== undefined ? p.step.assignee : ctx.actor,
    started_at: p.step.status === 'in_progress' && p.step.started_at !== undefined ? p.step.started_at : ctx.now,
    done_at: ctx.now,
  };
  if (options.force && finished.assignee !== ctx.actor) finished.assignee = ctx.actor;
  changed.set(finished.id, finished);
  let next = withSteps(molecule, changed, ctx.now);

  // Containers of the finished step that are now complete.
  const containers: MoleculeStep[] = [];
  const after = progressOf(next, nowMs);
  for (let parent = finished.parent; parent !== undefined; ) {
    const c = after.byId.get(parent);
    if (!c || c.state !== 'done' || isFinished(c.step.status)) break;
    const done: MoleculeStep = { ...c.step, status: 'done', done_at: ctx.now };
    containers.push(done);
    changed.set(done.id, done);
    parent = c.step.parent;
  }
  let claimedStep: MoleculeStep | undefined;
  if (options.continue) {
    const candidate = currentStep(after, ctx.actor, held).current;
    if (candidate && candidate.state === 'ready') {
      claimedStep = claimed(candidate.step, ctx);
      changed.set(claimedStep.id, claimedStep);
    } else if (candidate) {
      claimedStep = candidate.step;
    }
  }
  next = withSteps(molecule, changed, ctx.now);
  const completed = after.complete;
  if (completed) next = { ...next, status: 'done', done_at: ctx.now };
  return {
    molecule: next,
    finished,
    containers,
    ...(claimedStep ? { claimed: claimedStep } : {}),
    completed,
    progress: containers.length > 0 || claimedStep || completed ? progressOf(next, nowMs) : after,
  };
}

/** Resolves a step's gate (human, or any gate that does not open by itself; a timer only with force). */
export function resolveGate(molecule: Molecule, query: string, ctx: StepContext, options: { force?: boolean } = {}): { molecule: Molecule; step: MoleculeStep; changed: boolean } {
  checkActive(molecule);
  const step = findStep(molecule, query);
  if (!step.gate) throw new RuleError(`step ${step.id} has no gate`, `gated steps show ⊘ in gt mol show ${molecule.id}`);
  if (step.gate.resolved_at) return { molecule, step, changed: false };
  if (step.gate.type === 'timer' && !options.force) {
    const p = progressOf(molecule, Date.parse(ctx.now)).byId.get(step.id)!;
    const when = p.gate?.opens_at ? `it opens by itself at ${p.gate.opens_at}` : `it opens ${step.gate.timeout ?? ''} after the steps it needs are done`;
    throw new RuleError(`step ${step.id} has a timer gate: ${when}`.replace(/\s+$/, ''), 'open it now anyway with --force');
  }
  const next: MoleculeStep = { ...step, gate: { ...step.gate, resolved_at: ctx.now, resolved_by: ctx.actor } };
  return { molecule: withSteps(molecule, new Map([[step.id, next]]), ctx.now), step: next, changed: true };
}

/** Completes a molecule whose steps were all finished by merged work but that is still marked active. */
export function settleCompletion(molecule: Molecule, now: string): Molecule | undefined {
  if (molecule.status !== 'active') return undefined;
  const progress = progressOf(molecule, Date.parse(now));
  return progress.complete ? { ...molecule, status: 'done', done_at: now, updated_at: now } : undefined;
}
