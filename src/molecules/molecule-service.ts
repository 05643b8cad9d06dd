/**
 * Molecules on the ledger and in the wisp store: pouring, finding the one a command is about, applying
 * a change to it (one commit for a poured molecule, a file rename for a wisp), squashing and burning.
 * Finishing the last step of a molecule bound to a bead closes the bead in the same commit; the
 * observer then reacts to that closure as to any other (convoys land, the next bead is fed).
 */
import type { Ledger, Transaction, TxOutcome } from '../ledger/ledger.js';
import type { EntityTable } from '../ledger/entity-table.js';
import type { Bead } from '../beads/bead.js';
import type { Protomolecule } from '../formulas/protomolecule.js';
import { generateId, resolveId } from '../beads/ids.js';
import { closeBead, createBead } from '../beads/bead-service.js';
import { moleculeKind } from './molecule-kind.js';
import { MOLECULE_INFIX, WISP_INFIX, isFinished, isWispId, type Molecule } from './molecule.js';
import { moleculeFromProto } from './pour.js';
import { WispStore } from './wisp-store.js';
import { progressOf } from './progress.js';
import { finishStep, settleCompletion, type FinishResult, type StepContext } from './step-ops.js';
import { LedgerFileError, RuleError } from '../errors.js';
import { OVERSEER, dirOf, entityPath, idFromPath, logicalPath } from '../ledger/layout.js';
import type { LedgerProblem } from '../ledger/view.js';
import { agentKind } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { plural } from '../ledger/wording.js';


/** What molecule queries need: a view or a transaction. */
export interface MoleculeTables {
  readonly beads: ReadonlyMap<string, Bead>;
  readonly molecules: EntityTable<Molecule>;
}

export function activeMolecules(tables: MoleculeTables): Molecule[] {
  return tables.molecules.withStatus((status) => status === 'active');
}

/** Active molecules bound to a bead, oldest first. */
export function moleculesBoundTo(tables: MoleculeTables, beadId: string): Molecule[] {
  return activeMolecules(tables)
    .filter((m) => m.bead === beadId)
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

export interface PourOptions {
  vars: Record<string, string>;
  assignee?: string;
  title?: string;
  bead?: Bead;
}

/** Pours a bound protomolecule onto the ledger (the caller's transaction: one commit). */
export function pourMolecule(tx: Transaction, proto: Protomolecule, options: PourOptions): Molecule {
  const molecule = moleculeFromProto(proto, {
    id: generateId(tx.config.prefix, tx.molecules.idSet(), MOLECULE_INFIX),
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.bead ? { bead: { id: options.bead.id, title: options.bead.title } } : {}),
    ...(options.assignee !== undefined ? { assignee: options.assignee } : {}),
    vars: options.vars,
    now: tx.now,
    actor: tx.actor.name,
  });
  tx.putEntity(moleculeKind, molecule);
  return molecule;
}

/** Pours a bound protomolecule as a wisp (never committed). */
export function pourWisp(store: WispStore, prefix: string, proto: Protomolecule, options: PourOptions & { now: string; actor: string }): Molecule {
  const molecule = moleculeFromProto(proto, {
    id: generateId(prefix, new Set(store.ids()), WISP_INFIX),
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.assignee !== undefined ? { assignee: options.assignee } : {}),
    vars: options.vars,
    now: options.now,
    actor: options.actor,
  });
  store.write(molecule);
  return molecule;
}

/** Molecule files on the ledger that could not be read, by id. */
function brokenMolecules(problems: readonly LedgerProblem[]): Map<string, LedgerProblem> {
  const broken = new Map<string, LedgerProblem>();
  for (const p of problems) {
    const path = logicalPath(p.path);
    if (dirOf(path) === moleculeKind.dir) broken.set(idFromPath(path) ?? path, p);
  }
  return broken;
}

/**
 * A molecule id from what the user typed: any unique prefix, among poured molecules and wisps. A
 * molecule whose file is broken is reported with its path and line.
 */
export function resolveMoleculeId(query: string, tables: MoleculeTables, wisps: WispStore, problems: readonly LedgerProblem[] = []): string {
  const broken = brokenMolecules(problems);
  const id = resolveId(query, [...tables.molecules.keys(), ...broken.keys(), ...wisps.ids()], 'molecule');
  const problem = tables.molecules.has(id) ? undefined : broken.get(id);
  if (problem) throw new LedgerFileError(problem.path, problem.line, problem.problem);
  return id;
}

/**
 * The molecule a command means when none is named: the one bound to the work on the actor's hook, else
 * the actor's only active molecule (poured or wisp).
 */
export function defaultMolecule(tables: MoleculeTables, wisps: WispStore, actor: string): Molecule {
  for (const bead of hookedOn(tables.beads, actor)) {
    const bound = moleculesBoundTo(tables, bead.id)[0];
    if (bound) return bound;
  }
  const mine = [...activeMolecules(tables), ...wisps.all().molecules.filter((m) => m.status === 'active')].filter((m) => m.assignee === actor);
  if (mine.length === 1) return mine[0]!;
  if (mine.length > 1) {
    throw new RuleError(`${actor} has ${mine.length} active molecules: ${mine.map((m) => m.id).join(', ')}`, 'name the one you mean');
  }
  throw new RuleError(`no active molecule for ${actor}`, 'pour one (gt mol pour <formula>), or name a molecule (gt mol list)');
}

/** Finds a molecule by query (or the actor's default) in a view-like table set and the wisp store. */
export function lookupMolecule(tables: MoleculeTables, wisps: WispStore, actor: string, query: string | undefined, problems: readonly LedgerProblem[] = []): Molecule {
  if (query === undefined) return defaultMolecule(tables, wisps, actor);
  const id = resolveMoleculeId(query, tables, wisps, problems);
  return isWispId(id) && !tables.molecules.has(id) ? wisps.read(id) : tables.molecules.get(id)!;
}

/**
 * Steps of a molecule that other agents have claimed or finished on their branches, not merged yet
 * (with who). Run under the write lock, so two local agents never both take the same step.
 */
export async function heldElsewhere(tx: Transaction, molecule: Molecule): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  const mine = new Map(molecule.steps.map((s) => [s.id, s]));
  for (const { agent, value } of await tx.pendingElsewhere(entityPath(moleculeKind.dir, molecule.id))) {
    for (const step of (value as Molecule).steps) {
      const here = mine.get(step.id);
      if (!here || isFinished(here.status)) continue;
      if (step.status === 'in_progress' && step.assignee !== tx.actor.name) held.set(step.id, step.assignee ?? agent);
      else if (isFinished(step.status)) held.set(step.id, step.assignee ?? agent);
    }
  }
  return held;
}

/**
 * The bound bead closes when its molecule completes (in the same commit); an agent left with nothing on
 * its hook goes idle, as with `gt done`.
 */
export function closeBoundBead(tx: Transaction, molecule: Molecule): Bead | undefined {
  if (!molecule.bead) return undefined;
  const bead = tx.beads.get(molecule.bead);
  if (!bead || bead.status === 'closed') return undefined;
  const { bead: closed } = closeBead(tx, bead.id, { force: true, reason: `molecule ${molecule.id} (${molecule.formula}) complete` });
  const agent = bead.assignee ? tx.agents.get(bead.assignee) : undefined;
  if (agent && agent.id !== OVERSEER && agent.state !== 'idle' && hookedOn(tx.beads, agent.id).length === 0) {
    tx.put(agentKind, { ...agent, state: 'idle', updated_at: tx.now, last_activity: tx.now });
  }
  return closed;
}

export interface MoleculeChange<R> {
  molecule: Molecule;
  /** False when nothing changed (nothing is written). */
  changed: boolean;
  result: R;
  /** First line of the commit message, for a poured molecule. */
  message: string;
}

export interface AppliedChange<R> {
  result: R;
  molecule: Molecule;
  wisp: boolean;
  commit: string | null;
  /** The bound bead, closed because the molecule completed. */
  closedBead?: Bead;
  /** The digest bead, when the molecule squashed itself on completion (`[squash] trigger = "on_complete"`). */
  digest?: Bead;
}

/** A transaction runner with ledger.write's contract. */
export type MoleculeWriter = <T>(mutate: (tx: Transaction) => Promise<TxOutcome<T>>) => Promise<{ result: T; commit: string | null }>;

/**
 * Applies `change` to a molecule (by query, or the actor's default) under gt's write lock: a poured
 * molecule in one commit (closing its bead if it completed), a wisp by rewriting its file.
 */
export async function changeMolecule<R>(
  ledger: Ledger,
  query: string | undefined,
  change: (molecule: Molecule, ctx: StepContext) => MoleculeChange<R>,
  /** How to write (default: ledger.write); the CLI's also lands the convoys a closed bead completes. */
  write: MoleculeWriter = (mutate) => ledger.write(mutate),
): Promise<AppliedChange<R>> {
  const wisps = new WispStore(ledger.repo.stateDir);
  const { result, commit } = await write(async (tx) => {
    const found = lookupMolecule(tx, wisps, tx.actor.name, query, tx.view.problems);
    const completes = (m: Molecule): boolean => m.status === 'done' && found.status !== 'done';
    if (isWispId(found.id) && !tx.molecules.has(found.id)) {
      const out = change(found, { actor: tx.actor.name, now: tx.now });
      if (out.changed && completes(out.molecule) && out.molecule.squash === 'on_complete') {
        const digest = recordDigest(tx, out.molecule);
        // Only once the digest is committed: this callback is run again if the ledger moved meanwhile.
        tx.afterCommit(() => wisps.remove(found.id));
        return { result: { result: out.result, molecule: out.molecule, wisp: true, digest }, message: `${out.message}; squash ${found.id} into ${digest.id}` };
      }
      if (out.changed) tx.afterCommit(() => wisps.write(out.molecule));
      return { result: { result: out.result, molecule: out.molecule, wisp: true }, message: out.message };
    }
    const held = await heldElsewhere(tx, found);
    const out = change(found, { actor: tx.actor.name, now: tx.now, heldElsewhere: held });
    let closedBead: Bead | undefined;
    let digest: Bead | undefined;
    if (out.changed) {
      if (completes(out.molecule) && out.molecule.squash === 'on_complete') {
        digest = recordDigest(tx, out.molecule);
        tx.deleteEntity(moleculeKind, found.id);
      } else {
        tx.putEntity(moleculeKind, out.molecule);
      }
      if (completes(out.molecule)) closedBead = closeBoundBead(tx, out.molecule);
    }
    const message = [out.message, ...(closedBead ? [`close ${closedBead.id}`] : []), ...(digest ? [`squash into ${digest.id}`] : [])].join('; ');
    return { result: { result: out.result, molecule: out.molecule, wisp: false, ...(closedBead ? { closedBead } : {}), ...(digest ? { digest } : {}) }, message };
  });
  return { ...result, commit };
}

export interface StepDoneResult {
  /** Undefined when the molecule only needed settling: its steps were all finished by merged work. */
  finish?: FinishResult;
  settled?: boolean;
}

/**
 * `gt mol step done`: finishes the step (see finishStep). A molecule whose steps were all finished on
 * different branches (each agent saw the other's step still open) is still marked active after the
 * merge: asking for the next step then completes it, which closes its bead.
 */
export function stepDone(molecule: Molecule, query: string | undefined, ctx: StepContext, options: { continue?: boolean; force?: boolean; skip?: boolean }): MoleculeChange<StepDoneResult> {
  const settled = query === undefined ? settleCompletion(molecule, ctx.now) : undefined;
  if (settled) return { molecule: settled, changed: true, result: { settled: true }, message: `mol complete ${molecule.id}: ${molecule.title}` };
  const finish = finishStep(molecule, query, ctx, options);
  const verb = options.skip ? 'skip' : 'done';
  let message = `mol step ${verb} ${molecule.id} ${finish.finished.id}: ${finish.finished.title}`;
  if (finish.claimed && finish.claimed.id !== finish.finished.id) message += ` → ${finish.claimed.id}`;
  if (finish.completed) message += ' (molecule complete)';
  return { molecule: finish.molecule, changed: true, result: { finish }, message };
}

/**
 * A molecule re-slung with its bead to another agent follows it: the new agent is its assignee and
 * takes over the steps the previous one had in progress, so it resumes exactly there.
 */
export function reassignMolecule(tx: Transaction, molecule: Molecule, agent: string): Molecule {
  const previous = molecule.assignee;
  const next: Molecule = {
    ...molecule,
    assignee: agent,
    edited: { ...molecule.edited, assignee: tx.now },
    updated_at: tx.now,
    steps: molecule.steps.map((s) =>
      s.status === 'in_progress' && s.assignee !== undefined && s.assignee === previous ? { ...s, assignee: agent, started_at: tx.now } : s,
    ),
  };
  return tx.putEntity(moleculeKind, next);
}

/** The digest a squash leaves: "Digest: <title>", with the summary or a list of the steps as they ended. */
export function digestOf(molecule: Molecule, summary?: string): { title: string; description: string } {
  const progress = progressOf(molecule);
  const icons: Record<string, string> = { done: '✓', skipped: '⊖', in_progress: '◐', ready: '○', pending: '◌' };
  const lines = [
    `Molecule ${molecule.id} from formula ${molecule.formula} v${molecule.formula_version}: ${progress.finished}/${plural(progress.total, 'step')} finished.`,
  ];
  if (molecule.bead) lines.push(`Worked on ${molecule.bead}.`);
  lines.push('');
  if (summary !== undefined && summary.trim() !== '') {
    lines.push(summary.trim());
  } else {
    for (const p of progress.steps) {
      const who = p.step.assignee ? ` (${p.step.assignee})` : '';
      lines.push(`${icons[p.state] ?? '?'} ${p.step.id}: ${p.step.title}${p.state === 'done' || p.state === 'skipped' ? who : ` [${p.state}]`}`);
    }
  }
  return { title: `Digest: ${molecule.title}`, description: lines.join('\n') };
}

/** Records a closed digest bead for a molecule, on the caller's transaction. */
export function recordDigest(tx: Transaction, molecule: Molecule, summary?: string): Bead {
  const digest = digestOf(molecule, summary);
  const bead = createBead(tx, {
    title: digest.title,
    type: 'chore',
    labels: ['digest'],
    description: digest.description,
    ...(molecule.bead && tx.beads.has(molecule.bead) ? { deps: [{ type: 'related' as const, id: molecule.bead }] } : {}),
  });
  const steps = progressOf(molecule).total;
  return closeBead(tx, bead.id, { force: true, reason: `Squashed from ${isWispId(molecule.id) ? 'wisp' : 'molecule'} ${molecule.id} (${plural(steps, 'step')})` }).bead;
}
