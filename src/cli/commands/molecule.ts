import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { addressOption, varList } from '../options.js';
import { printJson, printLine, printRow, warn, warnProblems } from '../output.js';
import { cookLoaded, loadFormula } from '../../formulas/cook.js';
import { checkVarNames } from '../../formulas/var-names.js';
import type { Protomolecule } from '../../formulas/protomolecule.js';
import type { Ledger } from '../../ledger/ledger.js';
import { moleculeKind } from '../../molecules/molecule-kind.js';
import { isWispId, type Molecule } from '../../molecules/molecule.js';
import { parseVars, boundVars } from '../../molecules/pour.js';
import { progressOf, type MoleculeProgress, type StepProgress, type StepState } from '../../molecules/progress.js';
import { moleculeBrief, stepBrief, type MoleculeBrief, type StepBrief } from '../../molecules/molecule-brief.js';
import { claimStep, resolveGate, whyWaiting } from '../../molecules/step-ops.js';
import { WispStore } from '../../molecules/wisp-store.js';
import {
  activeMolecules,
  changeMolecule,
  lookupMolecule,
  pourMolecule,
  pourWisp,
  recordDigest,
} from '../../molecules/molecule-service.js';
import { parseAddress } from '../../convoys/convoy-service.js';
import { formatDuration } from '../../molecules/duration.js';
import { landedNotice, markStepDone } from '../../work/close-and-land.js';
import { now as clockNow } from '../../clock.js';
import { plural } from '../../ledger/wording.js';

/**
 * Cooks a formula with variables bound. `offered` (sling's `issue` and `feature`, as upstream) go under
 * what the user set; a formula that does not use them just keeps them on record. Warns on stderr when a
 * vapor formula is poured onto the ledger.
 */
export function cookBound(
  formula: string,
  cwd: string,
  given: Record<string, string>,
  options: { offered?: Record<string, string>; pouring?: boolean } = {},
): { proto: Protomolecule; vars: Record<string, string> } {
  const vars = { ...options.offered, ...given };
  const loaded = loadFormula(formula, { cwd });
  checkVarNames(loaded, Object.keys(given));
  const proto = cookLoaded(loaded, vars);
  if (options.pouring && proto.phase === 'vapor') {
    warn(`formula ${proto.formula} is vapor (meant to stay off the ledger): consider \`gt mol wisp ${formula}\``);
  }
  return { proto, vars: boundVars(proto, vars) };
}

const STATE_ICONS: Record<StepState, string> = { pending: '◌', ready: '○', in_progress: '◐', done: '✓', skipped: '⊖' };

/** A step's icon: its state, or ⊘ for a step held by a closed gate. */
export function stepIcon(p: { state: StepState; gate?: { open: boolean } }): string {
  if (p.state === 'pending' && p.gate && !p.gate.open) return '⊘';
  return STATE_ICONS[p.state];
}

function wispStore(ledger: Ledger): WispStore {
  return new WispStore(ledger.repo.stateDir);
}

function cwdOf(ledger: Ledger): string {
  return ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
}

function moleculeIcon(m: Molecule): string {
  return m.status === 'done' ? '✓' : isWispId(m.id) ? '☁' : '⚗';
}

function stepNote(p: StepProgress, moleculeId: string, now: number): string {
  if (p.state === 'pending') {
    if (p.waiting_on && p.waiting_on.length > 0) return `waiting on ${p.waiting_on.join(', ')}`;
    if (p.gate && !p.gate.open) {
      return p.gate.opens_at ? `${p.gate.type} gate opens in ${formatDuration(Date.parse(p.gate.opens_at) - now)}` : `${p.gate.type} gate: gt gate resolve ${moleculeId} ${p.step.id}`;
    }
  }
  if (p.state === 'in_progress' || p.state === 'done' || p.state === 'skipped') return p.step.assignee ? `@${p.step.assignee}` : '';
  return '';
}

function printMolecule(m: Molecule, progress: MoleculeProgress, now: number): void {
  printLine(`${moleculeIcon(m)} ${m.id}${isWispId(m.id) ? ' (wisp)' : ''}: ${m.title}   [${m.status}]`);
  const facts = [`formula ${m.formula} v${m.formula_version}`, `${progress.finished}/${plural(progress.total, 'step')} done`];
  if (m.assignee) facts.push(`assignee ${m.assignee}`);
  if (m.bead) facts.push(`bead ${m.bead}`);
  printLine(`   ${facts.join(' · ')}`);
  const vars = Object.entries(m.vars ?? {});
  if (vars.length > 0) printLine(`   vars: ${vars.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  // As a tree: each container, then its steps indented under it (a cooked formula lists them first).
  const childrenOf = new Map<string, StepProgress[]>();
  const top: StepProgress[] = [];
  for (const p of progress.steps) {
    const parent = p.step.parent !== undefined && progress.byId.has(p.step.parent) ? p.step.parent : undefined;
    if (parent === undefined) top.push(p);
    else childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), p]);
  }
  const rows: { p: StepProgress; depth: number }[] = [];
  const seen = new Set<string>();
  const visit = (p: StepProgress, depth: number): void => {
    if (seen.has(p.step.id)) return;
    seen.add(p.step.id);
    rows.push({ p, depth });
    for (const c of childrenOf.get(p.step.id) ?? []) visit(c, depth + 1);
  };
  for (const p of top) visit(p, 0);
  for (const p of progress.steps) visit(p, 0);
  const width = rows.reduce((w, r) => Math.max(w, r.p.step.id.length + 2 * r.depth), 0);
  for (const { p, depth } of rows) {
    const pad = '  '.repeat(depth);
    const note = stepNote(p, m.id, now);
    printRow(`   ${pad}${stepIcon(p)} ${p.step.id.padEnd(width - pad.length)}  ${p.step.title}${note ? `  (${note})` : ''}`.trimEnd());
  }
}

function showJson(m: Molecule, progress: MoleculeProgress): Record<string, unknown> {
  const { steps, ...rest } = m;
  return {
    ...rest,
    wisp: isWispId(m.id),
    finished: progress.finished,
    total: progress.total,
    steps: steps.map((s) => {
      const p = progress.byId.get(s.id)!;
      return { ...s, state: p.state, container: p.container, ...(p.waiting_on ? { waiting_on: p.waiting_on } : {}), ...(p.gate ? { gate: { ...s.gate, ...p.gate } } : {}) };
    }),
  };
}

function printStepFull(s: StepBrief): void {
  if (s.description) printLine(s.description.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n'));
  if (s.acceptance) {
    printLine('  acceptance:');
    printLine(s.acceptance.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n'));
  }
}

function printCurrent(b: MoleculeBrief, actor: string, progress: MoleculeProgress): void {
  printLine(`${b.wisp ? '☁' : '⚗'} ${b.id}: ${b.title} (${b.finished}/${plural(b.total, 'step')} done)`);
  if (b.status === 'done') return printLine('✓ complete');
  if (b.current) {
    const c = b.current;
    printLine(`${stepIcon(c)} current: ${c.id}: ${c.title}  [${c.state === 'in_progress' ? `in progress, ${c.assignee ?? actor}` : 'ready'}]`);
    printStepFull(c);
    if (c.state === 'ready') printLine(`  claim it: gt mol step claim ${c.id}   (or finish it: gt mol step done ${c.id})`);
    else printLine('  when it is done: gt mol step done --continue');
  } else if (progress.complete) {
    printLine(`all steps are done: gt mol step done settles the molecule`);
  } else {
    const busy = progress.steps.filter((p) => !p.container && p.state === 'in_progress');
    const waiting = progress.steps.filter((p) => !p.container && p.state === 'pending');
    printLine(`nothing is ready for ${actor}`);
    for (const p of busy) printLine(`  ◐ ${p.step.id} in progress by ${p.step.assignee ?? '?'}`);
    for (const p of waiting.slice(0, 3)) printLine(`  ${stepIcon(p)} ${p.step.id}: ${whyWaiting(p, clockNow())}`);
  }
  if (b.next.length > 0) printLine(`next ready: ${b.next.slice(0, 8).map((s) => s.id).join(', ')}${b.next.length > 8 ? `, … (${b.next.length} in all)` : ''}`);
}

interface PourCliOptions {
  var?: string[];
  assignee?: string;
  title?: string;
}

export function registerMolecule(program: Command): void {
  const mol = program.command('mol').description('molecules: formulas poured into live workflows that agents advance step by step');

  mol
    .command('pour')
    .description('cook a formula with its variables bound and write the molecule on the ledger (one commit)')
    .argument('<formula>', 'formula name (searched in .gt/formulas/, yours, then the built-in ones) or a path to a .formula.toml')
    .option('--var <name=value>', 'bind a variable (repeatable)', varList)
    .option('-a, --assignee <agent>', 'who works it (default: you)', addressOption('--assignee'))
    .option('--title <text>', 'the molecule\'s title (default: the title variable, else the formula name)')
    .option('--json', 'print the molecule as JSON')
    .action(async (formula: string, options: PourCliOptions, command: Command) => {
      await withLedger(command, async (ledger) => {
        const given = parseVars(options.var);
        const assignee = options.assignee !== undefined ? parseAddress(options.assignee) : ledger.actor.name;
        const { proto, vars } = cookBound(formula, cwdOf(ledger), given, { pouring: true });
        const { result } = await ledger.write((tx) => {
          const m = pourMolecule(tx, proto, { vars, assignee, ...(options.title !== undefined ? { title: options.title } : {}) });
          return { result: m, message: `mol pour ${m.id}: ${m.title} (${proto.formula} v${proto.version}, ${plural(m.steps.length, 'step')})` };
        });
        reportPour(command, result, proto);
      });
    });

  mol
    .command('wisp')
    .description('like pour, but keep the molecule on this machine only (never committed or pushed)')
    .argument('<formula>', 'formula name or path')
    .option('--var <name=value>', 'bind a variable (repeatable)', varList)
    .option('-a, --assignee <agent>', 'who works it (default: you)', addressOption('--assignee'))
    .option('--title <text>', 'the wisp\'s title (default: the title variable, else the formula name)')
    .option('--json', 'print the wisp as JSON')
    .action(async (formula: string, options: PourCliOptions, command: Command) => {
      await withLedger(command, async (ledger) => {
        const given = parseVars(options.var);
        const assignee = options.assignee !== undefined ? parseAddress(options.assignee) : ledger.actor.name;
        const { proto, vars } = cookBound(formula, cwdOf(ledger), given);
        const store = wispStore(ledger);
        // Under the write lock (nothing is committed): ids drawn by two wisps at once cannot collide.
        const { result } = await ledger.write((tx) => {
          const m = pourWisp(store, tx.config.prefix, proto, { vars, assignee, now: tx.now, actor: tx.actor.name, ...(options.title !== undefined ? { title: options.title } : {}) });
          return { result: m, message: '' };
        });
        reportPour(command, result, proto);
      });
    });

  mol
    .command('list')
    .description('active molecules and wisps, with progress and who works them')
    .option('--all', 'include completed ones')
    .option('--json', 'print a JSON array')
    .action(async (options: { all?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const wisps = wispStore(ledger).all();
        warnProblems(wisps.problems);
        const poured = options.all ? [...view.molecules.values()] : activeMolecules(view);
        const all = [...poured, ...wisps.molecules.filter((w) => options.all || w.status === 'active')].sort((a, b) =>
          a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1,
        );
        const now = clockNow();
        const briefs = all.map((m) => moleculeBrief(m, m.assignee ?? ledger.actor.name, now));
        if (globalsOf(command).json) {
          return printJson(briefs.map((b) => ({ ...b, current: b.current ? { ...b.current, description: undefined, acceptance: undefined, notes: undefined } : undefined })));
        }
        if (briefs.length === 0) return printLine(options.all ? 'no molecules' : 'no active molecules (gt mol pour <formula> makes one)');
        const width = briefs.reduce((w, b) => Math.max(w, b.id.length), 0);
        for (const [i, b] of briefs.entries()) {
          const m = all[i]!;
          const parts = [`${moleculeIcon(m)} ${b.id.padEnd(width)}`, b.title, `${b.finished}/${b.total}`];
          if (b.assignee) parts.push(`@${b.assignee}`);
          if (b.bead) parts.push(`bead ${b.bead}`);
          if (b.current && b.status === 'active') parts.push(`→ ${b.current.id}`);
          printLine(parts.join('  '));
        }
      });
    });

  mol
    .command('show')
    .description('a molecule and every step with its state (✓ done, ◐ in progress, ○ ready, ◌ waiting, ⊘ gated, ⊖ skipped)')
    .argument('<id>', 'molecule or wisp id (any unique prefix)')
    .option('--json', 'print the molecule with each step\'s computed state as JSON')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const m = lookupMolecule(view, wispStore(ledger), ledger.actor.name, query, view.problems);
        const now = clockNow();
        const progress = progressOf(m, now);
        if (globalsOf(command).json) return printJson(showJson(m, progress));
        printMolecule(m, progress, now);
      });
    });

  mol
    .command('current')
    .description('your current step in full (in progress for you, else the first ready one) and what is ready next')
    .argument('[id]', 'molecule or wisp id (default: the one on your hook, else your only active one)')
    .option('--json', 'print it as JSON')
    .action(async (query: string | undefined, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const m = lookupMolecule(view, wispStore(ledger), ledger.actor.name, query, view.problems);
        const now = clockNow();
        const brief = moleculeBrief(m, ledger.actor.name, now);
        if (globalsOf(command).json) return printJson(brief);
        printCurrent(brief, ledger.actor.name, progressOf(m, now));
      });
    });

  const step = mol.command('step').description('advance a molecule: finish, claim or skip steps');
  step
    .command('done')
    .description('finish a step (default: your current one); the last step completes the molecule and closes its bead')
    .argument('[step]', 'step id (any unique prefix, or its last segment)')
    .option('-m, --mol <id>', 'the molecule (default: the one on your hook, else your only active one)')
    .option('-c, --continue', 'also claim the next ready step nobody holds, in the same commit')
    .option('-f, --force', 'finish a step another agent holds')
    .option('--json', 'print what happened as JSON')
    .action(async (query: string | undefined, options: { mol?: string; continue?: boolean; force?: boolean }, command: Command) => {
      await finishCommand(command, query, options, false);
    });
  step
    .command('skip')
    .description('mark a step skipped (it counts as finished for the steps that need it)')
    .argument('[step]', 'step id (default: your current one)')
    .option('-m, --mol <id>', 'the molecule (default: the one on your hook, else your only active one)')
    .option('-c, --continue', 'also claim the next ready step nobody holds, in the same commit')
    .option('-f, --force', 'skip a step another agent holds')
    .option('--json', 'print what happened as JSON')
    .action(async (query: string | undefined, options: { mol?: string; continue?: boolean; force?: boolean }, command: Command) => {
      await finishCommand(command, query, options, true);
    });
  step
    .command('claim')
    .description('take a ready step (in progress, assigned to you): parallel steps can go to different agents')
    .argument('<step>', 'step id (any unique prefix, or its last segment)')
    .option('-m, --mol <id>', 'the molecule (default: the one on your hook, else your only active one)')
    .option('-f, --force', 'take over a step another agent holds')
    .option('--json', 'print the claimed step as JSON')
    .action(async (query: string, options: { mol?: string; force?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const applied = await changeMolecule(ledger, options.mol, (m, ctx) => {
          const r = claimStep(m, query, ctx, { force: options.force === true });
          return { molecule: r.molecule, changed: r.changed, result: r, message: `mol step claim ${m.id} ${r.step.id}: ${r.step.title}` };
        });
        const p = progressOf(applied.molecule).byId.get(applied.result.step.id)!;
        if (globalsOf(command).json) return printJson({ molecule: applied.molecule.id, step: stepBrief(p), changed: applied.result.changed });
        if (!applied.result.changed) return printLine(`${p.step.id} is already yours`);
        printLine(`◐ ${applied.molecule.id} ${p.step.id}: ${p.step.title} (claimed by ${p.step.assignee})`);
        printStepFull(stepBrief(p));
      });
    });

  mol
    .command('squash')
    .description('record a closed digest bead ("Digest: <title>") on the ledger and remove the molecule or wisp')
    .argument('<id>', 'molecule or wisp id (any unique prefix)')
    .option('-s, --summary <text>', 'what was done (default: a list of the steps as they ended)')
    .option('--json', 'print the digest bead as JSON')
    .action(async (query: string, options: { summary?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const store = wispStore(ledger);
        const { result } = await ledger.write((tx) => {
          const m = lookupMolecule(tx, store, tx.actor.name, query, tx.view.problems);
          const digest = recordDigest(tx, m, options.summary);
          const wisp = isWispId(m.id) && !tx.molecules.has(m.id);
          // The wisp goes only once the digest is committed, still under the write lock.
          if (wisp) tx.afterCommit(() => store.remove(m.id));
          else tx.deleteEntity(moleculeKind, m.id);
          return { result: { molecule: m, digest, wisp }, message: `mol squash ${m.id}: ${digest.id} ${digest.title}` };
        });
        if (globalsOf(command).json) return printJson({ molecule: result.molecule.id, wisp: result.wisp, digest: result.digest });
        printLine(`✓ squashed ${result.molecule.id} into ${result.digest.id}: ${result.digest.title}`);
      });
    });

  mol
    .command('burn')
    .description('drop a molecule without a trace: a wisp\'s file, or a poured molecule\'s file (one commit)')
    .argument('<id>', 'molecule or wisp id (any unique prefix)')
    .option('--json', 'print what was dropped as JSON')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const store = wispStore(ledger);
        const { result } = await ledger.write((tx) => {
          const m = lookupMolecule(tx, store, tx.actor.name, query, tx.view.problems);
          const wisp = isWispId(m.id) && !tx.molecules.has(m.id);
          if (wisp) store.remove(m.id);
          else tx.deleteEntity(moleculeKind, m.id);
          return { result: { molecule: m, wisp }, message: `mol burn ${m.id}: ${m.title}` };
        });
        if (globalsOf(command).json) return printJson({ burned: result.molecule.id, wisp: result.wisp });
        printLine(`🔥 burned ${result.molecule.id}${result.wisp ? ' (wisp)' : ''}: ${result.molecule.title}`);
      });
    });

  const gate = program.command('gate').description('gates: steps of molecules that wait for a person, a signal or a timer');
  gate
    .command('resolve')
    .description('open a step\'s gate (human gates, and any gate that does not open by itself)')
    .argument('<mol>', 'molecule or wisp id (any unique prefix)')
    .argument('<step>', 'the gated step')
    .option('-f, --force', 'open a timer gate before its time')
    .option('--json', 'print the step as JSON')
    .action(async (molQuery: string, stepQuery: string, options: { force?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const applied = await changeMolecule(ledger, molQuery, (m, ctx) => {
          const r = resolveGate(m, stepQuery, ctx, { force: options.force === true });
          return { molecule: r.molecule, changed: r.changed, result: r, message: `gate resolve ${m.id} ${r.step.id}: ${r.step.title}` };
        });
        const p = progressOf(applied.molecule).byId.get(applied.result.step.id)!;
        if (globalsOf(command).json) return printJson({ molecule: applied.molecule.id, step: stepBrief(p, false), changed: applied.result.changed });
        if (!applied.result.changed) return printLine(`the gate of ${p.step.id} was already resolved`);
        printLine(`🔓 ${applied.molecule.id} ${p.step.id}: gate resolved${p.state === 'ready' ? ' (the step is ready)' : ''}`);
      });
    });
  gate
    .command('list')
    .description('gates still closed in active molecules and wisps')
    .option('--json', 'print a JSON array')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const wisps = wispStore(ledger).all();
        const now = clockNow();
        const closed: { molecule: string; step: StepBrief }[] = [];
        for (const m of [...activeMolecules(view), ...wisps.molecules.filter((w) => w.status === 'active')]) {
          for (const p of progressOf(m, now).steps) {
            if (p.gate && !p.gate.open && p.state !== 'done' && p.state !== 'skipped') closed.push({ molecule: m.id, step: stepBrief(p, false) });
          }
        }
        if (globalsOf(command).json) return printJson(closed);
        if (closed.length === 0) return printLine('no closed gates');
        for (const g of closed) {
          const when = g.step.gate?.opens_at ? `opens in ${formatDuration(Date.parse(g.step.gate.opens_at) - now)}` : g.step.waiting_on ? `after ${g.step.waiting_on.join(', ')}` : 'waiting for gt gate resolve';
          printLine(`⊘ ${g.molecule} ${g.step.id}: ${g.step.title}  (${g.step.gate?.type} gate, ${when})`);
        }
      });
    });
}

function reportPour(command: Command, m: Molecule, proto: Protomolecule): void {
  const progress = progressOf(m);
  if (globalsOf(command).json) return printJson(showJson(m, progress));
  printLine(`${moleculeIcon(m)} ${isWispId(m.id) ? 'wisp' : 'poured'} ${m.id}: ${m.title} (${plural(progress.total, 'step')} from ${proto.formula} v${proto.version})`);
  const ready = progress.steps.filter((p) => p.state === 'ready' && !p.container).map((p) => p.step.id);
  if (ready.length > 0) printLine(`ready: ${ready.slice(0, 8).join(', ')}${ready.length > 8 ? `, … (${ready.length})` : ''}`);
}

async function finishCommand(command: Command, query: string | undefined, options: { mol?: string; continue?: boolean; force?: boolean }, skip: boolean): Promise<void> {
  await withLedger(command, async (ledger) => {
    const { applied, landed } = await markStepDone(ledger, options.mol, query, { continue: options.continue === true, force: options.force === true, skip });
    const m = applied.molecule;
    const finish = applied.result.finish;
    if (globalsOf(command).json) {
      const progress = finish?.progress ?? progressOf(m);
      const claimed = finish?.claimed ? progress.byId.get(finish.claimed.id) : undefined;
      return printJson({
        molecule: m.id,
        status: m.status,
        finished: finish ? finish.finished.id : null,
        containers: finish ? finish.containers.map((c) => c.id) : [],
        claimed: claimed ? stepBrief(claimed) : null,
        completed: m.status === 'done',
        closed_bead: applied.closedBead?.id ?? null,
        landed: landed.map((c) => c.id),
        digest: applied.digest?.id ?? null,
        progress: { finished: progress.finished, total: progress.total },
      });
    }
    if (finish) {
      printLine(`${skip ? '⊖ skipped' : '✓ done'} ${m.id} ${finish.finished.id}: ${finish.finished.title}`);
      for (const c of finish.containers) printLine(`✓ ${c.id} complete (all its steps are done)`);
      if (finish.claimed) {
        const p = finish.progress.byId.get(finish.claimed.id)!;
        printLine(`◐ next: ${p.step.id}: ${p.step.title}`);
        printStepFull(stepBrief(p));
      } else if (!finish.completed) {
        const ready = finish.progress.steps.filter((p) => !p.container && p.state === 'ready').map((p) => p.step.id);
        printLine(ready.length > 0 ? `ready: ${ready.slice(0, 8).join(', ')}` : `nothing else is ready yet (gt mol show ${m.id})`);
      }
    }
    if (m.status === 'done') printLine(`⚗ molecule ${m.id} complete (${plural(m.steps.length, 'step')})`);
    if (applied.closedBead) printLine(`✓ closed ${applied.closedBead.id}: ${applied.closedBead.title}`);
    if (applied.digest) printLine(`squashed into ${applied.digest.id}: ${applied.digest.title}`);
    for (const c of landed) printLine(landedNotice(c));
  });
}
