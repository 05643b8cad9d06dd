/**
 * `gt sling <bead> --spawn` and `gt convoy sling --spawn <N>`: a polecat takes the bead in a sandbox of
 * its own and its propulsion loop (`gt polecat run`, loop.ts) starts there, left running. Allocation,
 * sandbox, hook, loop, in that order, all under the polecats lock, so two spawns at once never pick the
 * same name nor run more than polecats.max loops; nothing is written before every refusal that can be
 * known in advance (settings, the pool, the bead) has been checked.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger, Transaction } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { AgentRecord } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { checkAgentName } from '../ledger/names.js';
import { OVERSEER } from '../ledger/layout.js';
import { GtError, RuleError, UsageError } from '../errors.js';
import { settingsOf } from '../settings/settings-service.js';
import { slingBead, touchAgent } from '../work/hook-service.js';
import { agentKind } from '../kinds.js';
import { withAgentEvent } from '../agents/agent.js';
import { withStateLock } from '../ledger/write-lock.js';
import { slingBatch, type BatchInput, type BatchResult } from '../work/convoy-sling.js';
import type { SlingResult } from '../work/hook-service.js';
import { POLECATS_LOCK, POLECATS_LOCK_STALE_MS } from './loop.js';
import { startLoop } from './processes.js';
import { bindCheckout } from '../agents/checkout.js';
import { addWorktree, removeWorktree, resolveCommit } from '../git/sandboxes.js';
import { mainWorkTree } from '../git/worktrees.js';
import { LOGS_DIR_NAME, logPath, runSetupHooks, sandboxPath, sessionEnv, sessionLive, writeLauncher } from './sessions.js';
import { plural } from '../ledger/wording.js';

export interface SpawnOptions {
  /** The polecat to use (`--name`); default: an idle polecat with a sandbox, else the first unused name of polecats.names. */
  name?: string;
  /** What a new sandbox branches from (`--base`); default: the main worktree's HEAD. */
  base?: string;
  /** The gt script sessions run as `gt` (dist/gt.mjs). */
  gtEntry: string;
  noConvoy?: boolean;
  force?: boolean;
}

export interface SpawnResult {
  polecat: string;
  bead: string;
  worktree: string;
  /** The pid of its loop (`gt polecat run`); null when it is queued. */
  pid: number | null;
  /** No session slot was free (`polecats.max`): the bead is hooked and the sandbox made; the witness starts it. */
  queued: boolean;
  /** The sandbox was made now (else an idle polecat's was reused). */
  created: boolean;
  convoy?: string;
}

/** Polecats (role polecat) whose loop runs on this machine: each holds a slot of polecats.max. */
export function livePolecats(view: LedgerView): AgentRecord[] {
  return [...view.agents.values()].filter((a) => a.role === 'polecat' && sessionLive(a)).sort((a, b) => (a.id < b.id ? -1 : 1));
}

class DryRun extends Error {}

interface Choice {
  name: string;
  /** Its sandbox exists and is used again. */
  reuse: boolean;
  /** Its loop runs, waiting for work: slinging to it is enough. */
  waiting: boolean;
  /** The sandbox reused. */
  worktree?: string;
}

function choosePolecat(view: LedgerView, names: readonly string[], options: { name?: string; base?: string }, taken: ReadonlySet<string> = new Set()): Choice {
  const hasSandbox = (a: AgentRecord): boolean => a.worktree !== undefined && existsSync(a.worktree);
  if (options.name !== undefined) {
    const name = checkAgentName(options.name);
    if (name === OVERSEER) throw new UsageError('the overseer is not a polecat', 'name a polecat with --name');
    if (name === LOGS_DIR_NAME) throw new UsageError(`'${LOGS_DIR_NAME}' is reserved for the session logs`, 'choose another name');
    const agent = view.agents.get(name);
    if (!agent) return { name, reuse: false, waiting: false };
    if (agent.role !== 'polecat') throw new RuleError(`${name} is a ${agent.role}, not a polecat`, 'choose a polecat, or leave out --name');
    const work = hookedOn(view.beads, name);
    if (work.length > 0) {
      if (sessionLive(agent)) throw new RuleError(`${name} is busy: its loop (pid ${agent.session_pid}) is running ${work.map((b) => b.id).join(', ')}`, 'choose another name, or leave out --name');
      throw new RuleError(`${name} is busy: its hook holds ${work.map((b) => b.id).join(', ')}`, 'choose another name, or unsling that work first');
    }
    const reuse = hasSandbox(agent);
    if (reuse && options.base !== undefined) throw new UsageError(`${name} already has a sandbox (${agent.worktree}); --base applies only to a new one`, 'leave out --base, or choose another name');
    return { name, reuse, waiting: reuse && sessionLive(agent), ...(reuse ? { worktree: agent.worktree! } : {}) };
  }
  if (options.base === undefined) {
    // An idle polecat: first one whose loop still waits for work (no new process), then any with a sandbox.
    const idle = [...view.agents.values()]
      .filter((a) => a.role === 'polecat' && !taken.has(a.id) && hasSandbox(a) && hookedOn(view.beads, a.id).length === 0)
      .map((a) => ({ a, live: sessionLive(a) }))
      .sort((x, y) => (x.live !== y.live ? (x.live ? -1 : 1) : x.a.id < y.a.id ? -1 : 1))[0];
    if (idle) return { name: idle.a.id, reuse: true, waiting: idle.live, worktree: idle.a.worktree! };
  }
  const free = names.find((n) => !view.agents.has(n) && !taken.has(n) && n !== LOGS_DIR_NAME);
  if (free === undefined) {
    throw new RuleError(`every name in polecats.names is taken (${names.join(', ')})`, 'add names: gt config set polecats.names <a,b,c>, or name one with --name <name>');
  }
  return { name: free, reuse: false, waiting: false };
}

interface Placed extends Choice {
  worktree: string;
  /** The commit a new sandbox branched from. */
  base?: string;
  /** Undoes a sandbox made now (when what follows fails). */
  undo: () => void;
  /** Its loop takes no slot of its own beyond the one it holds (waiting), or must wait for one (queued). */
  queued: boolean;
}

/** Makes (or finds) the polecat's sandbox: worktree on polecat/<name>, bound to it, setup hooks run. */
function placeSandbox(ledger: Ledger, choice: Choice, baseRef: string | undefined, gtEntry: string, queued: boolean): Placed {
  const commonDir = ledger.repo.paths.commonDir;
  const { name, reuse } = choice;
  if (reuse) return { ...choice, worktree: choice.worktree ?? sandboxPath(commonDir, name), undo: () => undefined, queued };
  const base = resolveCommit(commonDir, baseRef ?? 'HEAD');
  if (base === undefined) {
    throw new UsageError(baseRef === undefined ? 'the repository has no commit to branch a sandbox from' : `--base ${baseRef} names no commit`, 'commit first, or give --base <ref>');
  }
  const worktree = sandboxPath(commonDir, name);
  const log = logPath(commonDir, name);
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const binDir = writeLauncher(commonDir, gtEntry);
  if (existsSync(worktree)) throw new RuleError(`${worktree} already exists, but no polecat ${name} owns it`, `remove it (git worktree remove --force ${worktree}), or choose another name`);
  mkdirSync(sandboxPath(commonDir, ''), { recursive: true });
  const branch = `polecat/${name}`;
  let made: { gitDir: string; createdBranch: boolean };
  try {
    made = addWorktree(commonDir, worktree, branch, base);
  } catch (error) {
    throw new RuleError(`could not make the sandbox ${worktree}: ${(error as Error).message}`);
  }
  const undo = (): void => removeWorktree(commonDir, worktree, made.createdBranch ? branch : undefined);
  try {
    bindCheckout(made.gitDir, name);
    const hook = runSetupHooks(worktree, log, sessionEnv(binDir, { GT_AGENT: name, GT_ROOT: root, GT_WORKTREE: worktree }));
    if (hook.failed !== undefined) throw new RuleError(`setup hook .gt/setup-hooks/${hook.failed} failed (${hook.why}): no polecat was spawned`, `its output is in ${log}`);
  } catch (error) {
    undo();
    throw error;
  }
  return { ...choice, worktree, base, undo, queued };
}

/** The polecat's record once the work is slung on it: a new episode (no restarts), its sandbox, queued or not. */
function recordPolecat(tx: Transaction, placed: Placed): void {
  touchAgent(tx, placed.name, { role: 'polecat' });
  const { restart_bead: _b, restarts: _r, last_restart_at: _l, escalation_mail: _e, queued_at: _q, ...agent } = tx.agents.get(placed.name)!;
  const waiting = placed.queued ? (({ session_pid: _p, session_host: _h, session_started_at: _s, agent_pid: _a, ...rest }) => ({ ...rest, queued_at: tx.now }))(agent) : agent;
  tx.put(agentKind, { ...waiting, worktree: placed.worktree, ...(placed.base !== undefined ? { base: placed.base } : {}) });
}

/** Starts the loop of each placed polecat that needs one, recording its pid (one ledger commit). */
async function startLoops(ledger: Ledger, placed: readonly Placed[], gtEntry: string, why: string): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  const commonDir = ledger.repo.paths.commonDir;
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const view = await ledger.view();
  for (const p of placed) {
    if (p.queued) continue;
    if (p.waiting) {
      const pid = view.agents.get(p.name)?.session_pid;
      if (pid !== undefined) pids.set(p.name, Number(pid));
      continue;
    }
    try {
      pids.set(p.name, startLoop({ commonDir, root, name: p.name, gtEntry, why }));
    } catch (error) {
      throw new GtError(`work is hooked on ${p.name}, but its loop could not start: ${(error as Error).message}`, `start it by hand: gt polecat run ${p.name} (or take the work back: gt unsling <bead>)`);
    }
  }
  const started = placed.filter((p) => !p.queued && !p.waiting && pids.has(p.name));
  if (started.length > 0) {
    await ledger.write((tx) => {
      for (const p of started) {
        const a = tx.agents.get(p.name)!;
        tx.put(agentKind, withAgentEvent({ ...a, state: 'working', session_pid: String(pids.get(p.name)), session_host: hostname(), updated_at: tx.now }, tx.now, `${why}: loop started (pid ${pids.get(p.name)})`));
      }
      return { result: null, message: `polecat ${started.map((p) => `${p.name} loop ${pids.get(p.name)}`).join(', ')}` };
    });
  }
  return pids;
}

function requireCommand(command: string | undefined): void {
  if (command === undefined || command.trim() === '') {
    throw new UsageError("runtime.command is not set: say what runs a polecat session first: gt config set runtime.command '<cmd>'");
  }
}

function overseerOnly(ledger: Ledger, what: string): void {
  if (!ledger.actor.isOverseer) throw new RuleError(`only the overseer ${what}`, `run it outside any agent (GT_AGENT unset, checkout not bound)`);
}

const underPolecatsLock = <T>(ledger: Ledger, fn: () => Promise<T>): Promise<T> => withStateLock(ledger.repo.stateDir, POLECATS_LOCK, POLECATS_LOCK_STALE_MS, fn);

export async function spawnPolecat(ledger: Ledger, query: string, options: SpawnOptions): Promise<SpawnResult> {
  overseerOnly(ledger, 'spawns polecats (gt sling --spawn)');
  return underPolecatsLock(ledger, async () => {
    const view = await ledger.view();
    const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
    requireCommand(settings.runtime.command);
    const choice = choosePolecat(view, settings.polecats.names, options);
    // A full house queues: the bead is hooked and the sandbox made, and the witness starts the loop.
    const queued = !choice.waiting && livePolecats(view).length >= settings.polecats.max;
    // Every refusal of the sling itself (bead closed, hooked elsewhere, …) before any sandbox is made.
    const sling = (tx: Transaction) => slingBead(tx, query, choice.name, { ...(options.force ? { force: true } : {}), ...(options.noConvoy ? { noConvoy: true } : {}) });
    try {
      await ledger.write((tx) => {
        sling(tx);
        throw new DryRun();
      });
    } catch (error) {
      if (!(error instanceof DryRun)) throw error;
    }
    const placed = placeSandbox(ledger, choice, options.base, options.gtEntry, queued);
    let slung: SlingResult;
    try {
      ({ result: slung } = await ledger.write((tx) => {
        const r = sling(tx);
        recordPolecat(tx, placed);
        return { result: r, message: `sling ${r.bead.id} to polecat ${choice.name}: ${r.bead.title}${r.convoy ? ` (convoy ${r.convoy.id})` : ''}` };
      }));
    } catch (error) {
      placed.undo();
      throw error;
    }
    const pids = await startLoops(ledger, [placed], options.gtEntry, 'spawn');
    return {
      polecat: choice.name,
      bead: slung.bead.id,
      worktree: placed.worktree,
      pid: pids.get(choice.name) ?? null,
      queued,
      created: !choice.reuse,
      ...(slung.convoy ? { convoy: slung.convoy.id } : {}),
    };
  });
}

export interface ConvoySpawnResult extends BatchResult {
  /** The polecats spawned for it (its feed targets), as `gt sling --spawn` reports each. */
  polecats: Omit<SpawnResult, 'convoy'>[];
}

/**
 * `gt convoy sling … --spawn <N>`: the beads and their convoy as `gt convoy sling` makes them, and N
 * polecats (at most one per bead) spawned with the first ready beads. They are the convoy's feed targets:
 * as each finishes, the observer hooks the next ready bead on it, and its loop takes it up.
 */
export async function spawnConvoy(ledger: Ledger, input: Omit<BatchInput, 'agents'>, count: number, gtEntry: string): Promise<ConvoySpawnResult> {
  overseerOnly(ledger, 'spawns polecats (gt convoy sling --spawn)');
  return underPolecatsLock(ledger, async () => {
    const view = await ledger.view();
    const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
    requireCommand(settings.runtime.command);
    const wanted = Math.min(count, input.tasks.length);
    const taken = new Set<string>();
    const choices: Choice[] = [];
    for (let i = 0; i < wanted; i++) {
      const choice = choosePolecat(view, settings.polecats.names, {}, taken);
      taken.add(choice.name);
      choices.push(choice);
    }
    let free = settings.polecats.max - livePolecats(view).length;
    const placed: Placed[] = [];
    try {
      for (const choice of choices) {
        const queued = !choice.waiting && free <= 0;
        if (!choice.waiting && !queued) free--;
        placed.push(placeSandbox(ledger, choice, undefined, gtEntry, queued));
      }
    } catch (error) {
      for (const p of placed) p.undo();
      throw error;
    }
    let batch: BatchResult;
    try {
      ({ result: batch } = await ledger.write((tx) => {
        const r = slingBatch(tx, { ...input, agents: placed.map((p) => p.name) });
        for (const p of placed) recordPolecat(tx, p);
        return {
          result: r,
          message: `convoy sling ${r.convoy.id}: ${r.convoy.title} (${plural(r.beads.length, 'bead')}, spawned ${r.hooked.map((h) => `${h.agent} with ${h.bead}`).join(', ')})`,
        };
      }));
    } catch (error) {
      for (const p of placed) p.undo();
      throw error;
    }
    const pids = await startLoops(ledger, placed, gtEntry, 'convoy spawn');
    return {
      ...batch,
      polecats: batch.hooked.map((h) => {
        const p = placed.find((x) => x.name === h.agent)!;
        return { polecat: p.name, bead: h.bead, worktree: p.worktree, pid: pids.get(p.name) ?? null, queued: p.queued, created: !p.reuse };
      }),
    };
  });
}
