import type { Command } from 'commander';
import { withLedger, globalsOf, readView, gtEntry } from '../context.js';
import { formatTime, printJson, printLine, printRow, terminalSafe } from '../output.js';
import { parseRole, slingBead, touchAgent, unslingBead } from '../../work/hook-service.js';
import { hookedOn } from '../../agents/hook.js';
import { agentsOverview, knownAgents } from '../../agents/agent-overview.js';
import { primeText, primeInfo } from '../../work/prime.js';
import { bindCheckout, checkoutAgent, unbindCheckout } from '../../agents/checkout.js';
import { parseAddress } from '../../convoys/convoy-service.js';
import { RuleError, UsageError } from '../../errors.js';
import { OVERSEER } from '../../ledger/layout.js';
import { roleOption, varList } from '../options.js';
import { cookBound } from './molecule.js';
import { parseVars } from '../../molecules/pour.js';
import { WispStore } from '../../molecules/wisp-store.js';
import { landedNotice } from '../../work/close-and-land.js';
import { loadFormula } from '../../formulas/cook.js';
import { spawnPolecat } from '../../polecats/spawn.js';
import { finishWork } from '../../refinery/done.js';
import { plural } from '../../ledger/wording.js';

export function registerWork(program: Command): void {
  program
    .command('sling')
    .description('hook a bead on an agent (status hooked, assignee set), tracked by a convoy')
    .argument('<bead>', 'bead id (any unique prefix)')
    .argument('[agent]', 'the agent to hand it to (default: yourself, when you are an agent)')
    .option('-f, --force', 'sling even a deferred bead, a bead hooked elsewhere, or onto a busy hook (its work goes back to open)')
    .option('--no-convoy', 'do not create a "Work: <title>" convoy when no open convoy tracks the bead')
    .option('--create-agent', 'register the agent (as a polecat) if there is none by that name; without it, an unknown name is refused')
    .option('--formula <name>', 'also pour this formula as a molecule bound to the bead (issue and feature default to its id and title)')
    .option('--var <name=value>', 'bind a variable of the --formula (repeatable)', varList)
    .option('--spawn', "hand it to a polecat in a sandbox of its own and start its loop (gt polecat run: sessions of runtime.command until the work is done), without waiting for it; queued for gt witness when polecats.max loops run")
    .option('--name <polecat>', 'with --spawn: the polecat to use (default: an idle one, else the first unused name of polecats.names)')
    .option('--base <ref>', "with --spawn: what a new sandbox branches from (default: the main worktree's HEAD)")
    .option('--json', 'print the result as JSON')
    .action(async (query: string, agentArg: string | undefined, options: { force?: boolean; convoy: boolean; createAgent?: boolean; formula?: string; var?: string[]; spawn?: boolean; name?: string; base?: string }, command: Command) => {
      if (!options.spawn && (options.name !== undefined || options.base !== undefined)) throw new UsageError(`${options.name !== undefined ? '--name' : '--base'} goes with --spawn`, 'add --spawn, or leave it out');
      if (options.spawn) {
        if (agentArg !== undefined) throw new UsageError('--spawn picks the polecat itself', `name it with --name ${agentArg}`);
        const refused = [options.createAgent ? '--create-agent' : '', options.formula ? '--formula' : '', options.var ? '--var' : ''].filter((o) => o !== '');
        if (refused.length > 0) throw new UsageError(`${refused.join(', ')} cannot go with --spawn yet`, 'sling with --spawn alone, then pour a formula on the bead');
        await withLedger(command, async (ledger) => {
          const result = await spawnPolecat(ledger, query, {
            gtEntry: gtEntry(),
            ...(options.name !== undefined ? { name: options.name } : {}),
            ...(options.base !== undefined ? { base: options.base } : {}),
            ...(options.force ? { force: true } : {}),
            ...(options.convoy ? {} : { noConvoy: true }),
          });
          if (globalsOf(command).json) return printJson({ polecat: result.polecat, bead: result.bead, worktree: result.worktree, pid: result.pid, queued: result.queued });
          printLine(`⚓ ${result.bead} hooked on polecat ${result.polecat}${result.convoy ? ` (convoy ${result.convoy})` : ''}`);
          if (result.queued) return printLine(`⏳ queued: polecats.max loops are running; ${result.polecat} waits for a slot in ${result.worktree}${result.created ? ' (new sandbox)' : ''} (gt witness starts it)`);
          printLine(`🦨 loop ${result.pid} runs ${result.polecat} in ${result.worktree}${result.created ? ' (new sandbox)' : ''}; follow it with gt peek ${result.polecat}`);
        });
        return;
      }
      await withLedger(command, async (ledger) => {
        const agent = agentArg ?? (ledger.actor.isOverseer ? undefined : ledger.actor.name);
        if (!agent) throw new UsageError('whom to sling it to?', 'name the agent: gt sling <bead> <agent>');
        if (options.var && !options.formula) throw new UsageError('--var binds variables of a --formula', 'add --formula <name>');
        const given = parseVars(options.var);
        const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
        const formula = options.formula;
        // A bad formula name or file is the command's mistake: reported before anything about the agent.
        if (formula) loadFormula(formula, { cwd });
        const { result } = await ledger.write((tx) => {
          const r = slingBead(tx, query, agent, {
            ...(options.force ? { force: true } : {}),
            noConvoy: !options.convoy,
            ...(options.createAgent || agent === ledger.actor.name ? {} : { agents: knownAgents(ledger, tx) }),
            ...(formula ? { formula: { cook: (offered: Record<string, string>) => cookBound(formula, cwd, given, { offered, pouring: true }) } } : {}),
          });
          const parts = [r.convoy ? `convoy ${r.convoy.id}` : '', r.molecule ? `molecule ${r.molecule.id}` : ''].filter((p) => p !== '');
          return { result: r, message: `sling ${r.bead.id} to ${r.agent}: ${r.bead.title}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}` };
        });
        if (globalsOf(command).json) return printJson(result);
        if (result.already && !result.molecule) return printLine(`${result.bead.id} is already on ${result.agent}'s hook`);
        for (const id of result.displaced) printLine(`↩ ${id} taken off ${result.agent}'s hook (back to open)`);
        if (!result.already) printLine(`⚓ ${result.bead.id} hooked on ${result.agent}: ${result.bead.title}`);
        if (result.convoy) printLine(`🚚 tracked by new convoy ${result.convoy.id}: ${result.convoy.title}`);
        if (result.molecule) printLine(`⚗ molecule ${result.molecule.id} (${result.molecule.formula}, ${plural(result.molecule.steps.length, 'step')}) poured on ${result.bead.id}`);
      });
    });

  program
    .command('unsling')
    .description('take a bead back off its agent\'s hook (open and unassigned again)')
    .argument('<bead>', 'bead id (any unique prefix)')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const r = unslingBead(tx, query);
          return { result: r, message: `unsling ${r.bead.id}${r.agent ? ` from ${r.agent}` : ''}` };
        });
        printLine(`${result.bead.id} is open again${result.agent ? ` (was on ${result.agent}'s hook)` : ''}`);
      });
    });

  program
    .command('hook')
    .description("what hangs on an agent's hook (default: yours)")
    .argument('[agent]', 'agent name')
    .option('--json', 'print the hooked beads as JSON')
    .action(async (agentArg: string | undefined, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const agent = agentArg !== undefined ? parseAddress(agentArg) : ledger.actor.name;
        const work = hookedOn((await readView(ledger)).beads, agent);
        if (globalsOf(command).json) return printJson({ agent, hooked: work });
        if (work.length === 0) return printLine(`${agent}'s hook is empty`);
        for (const b of work) printRow(`⚓ ${agent}: ${b.id}  ${b.title}  [${b.status}, P${b.priority}]`);
      });
    });

  program
    .command('prime')
    .description('what an agent reads at session start: who it is, the work on its hook in full, and unread mail')
    .option('--json', 'print the same as JSON')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const wisps = new WispStore(ledger.repo.stateDir).all().molecules;
        const info = primeInfo(await readView(ledger), ledger.actor, ledger.repo.paths.workTree, wisps);
        if (globalsOf(command).json) return printJson(info);
        process.stdout.write(terminalSafe(primeText(info)));
      });
    });

  program
    .command('done')
    .description('finish the work on your hook: close it, go idle, merge your branch into the ledger, and let the observer react; in a polecat session (GT_BEAD set) only its bead, so work fed to the hook meanwhile waits for the next session; with refinery.target set, submit your committed branch to the merge queue instead (the beads close when it merges)')
    .option('--reason <text>', 'close reason for the hooked beads (with a refinery: kept in the merge request log)')
    .option('--json', 'print the closed (or submitted) beads and observer actions as JSON')
    .action(async (options: { reason?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        // The settings are read with the problems reported, as every read command does.
        await readView(ledger);
        const done = await finishWork(ledger, options.reason);
        if ('submission' in done) {
          const submission = done.submission;
          if (globalsOf(command).json) return printJson({ submitted: submission.requests, beads: submission.beads, superseded: submission.superseded, actions: done.actions });
          for (const mr of submission.requests) printLine(`⇢ submitted ${mr.bead} for review: ${mr.id} (${mr.branch} at ${mr.commit.slice(0, 12)} into ${mr.target}), queued for the refinery`);
          for (const old of submission.superseded) printLine(`  supersedes ${old.id}`);
          for (const a of done.actions) printLine(a.line);
          return;
        }
        if (globalsOf(command).json) return printJson({ closed: done.closed, landed: done.landed, actions: done.actions });
        for (const b of done.closed) printLine(`✓ closed ${b.id}: ${b.title}`);
        if (done.closed.length === 0 && done.session !== undefined) printLine(`✓ ${done.session} was closed already (by its Closes: commit)`);
        for (const c of done.landed) printLine(landedNotice(c));
        for (const a of done.actions) printLine(a.line);
      });
    });

  const agents = program.command('agents').description('agents: list them, register one, bind a checkout to one');
  agents
    .command('list', { isDefault: true })
    .description('agents with role, state (idle, working, stuck), hooked work and last activity')
    .option('--json', 'print a JSON array')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const overview = await agentsOverview(ledger, await readView(ledger));
        if (globalsOf(command).json) return printJson(overview);
        if (overview.length === 0) return printLine('no agents yet (gt agents add <name>, or gt sling <bead> <agent> --create-agent)');
        const width = overview.reduce((w, a) => Math.max(w, a.name.length), 0);
        for (const a of overview) {
          printLine(`${a.name.padEnd(width)}  ${a.role.padEnd(8)}  ${a.state.padEnd(7)}  ${a.hooked.length > 0 ? a.hooked.join(', ') : '-'}  ${a.last_activity ? `last active ${formatTime(a.last_activity)}` : ''}`.trimEnd());
        }
      });
    });
  agents
    .command('add')
    .description('register an agent (gt sling --create-agent registers a new name too, as a polecat)')
    .argument('<name>', 'agent name')
    .option('--role <role>', 'polecat, crew, witness, refinery, mayor, deacon or dog', roleOption, 'polecat')
    .option('-d, --description <text>', 'what this agent is for')
    .action(async (name: string, options: { role: string; description?: string }, command: Command) => {
      const agent = parseAddress(name);
      if (agent === OVERSEER) throw new UsageError('overseer is the human, not an agent');
      const role = parseRole(options.role);
      await withLedger(command, async (ledger) => {
        await ledger.write((tx) => {
          const record = touchAgent(tx, agent, { role, ...(options.description !== undefined ? { description: options.description } : {}) });
          return { result: record, message: `agent ${agent}: ${role}` };
        });
        printLine(`agent ${agent} (${role})`);
      });
    });
  agents
    .command('bind')
    .description('make this checkout belong to an agent: gt commands and git hooks run here act as it')
    .argument('<name>', 'agent name')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const agent = parseAddress(name);
        if (agent === OVERSEER) throw new RuleError('the overseer needs no binding', 'run gt agents unbind instead');
        bindCheckout(ledger.repo.paths.gitDir, agent);
        printLine(`this checkout now acts as ${agent}`);
      });
    });
  agents
    .command('unbind')
    .description("this checkout no longer belongs to an agent")
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const was = checkoutAgent(ledger.repo.paths.gitDir);
        unbindCheckout(ledger.repo.paths.gitDir);
        printLine(was ? `this checkout no longer acts as ${was}` : 'this checkout was not bound to an agent');
      });
    });
}
