/**
 * `gt sling <bead> --spawn`: a polecat takes the bead in a sandbox of its own and a session starts
 * there, left running. Allocation, sandbox, hook, session, in that order; nothing is written before
 * every refusal that can be known in advance (settings, the pool, the bead) has been checked.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { AgentRecord } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { checkAgentName } from '../ledger/names.js';
import { OVERSEER } from '../ledger/layout.js';
import { GtError, RuleError, UsageError } from '../errors.js';
import { settingsOf } from '../settings/settings-service.js';
import { slingBead, touchAgent } from '../work/hook-service.js';
import { primeInfo, primeText } from '../work/prime.js';
import { agentKind, openLedger } from '../kinds.js';
import { bindCheckout } from '../agents/checkout.js';
import { addWorktree, removeWorktree, resolveCommit } from '../git/sandboxes.js';
import { mainWorkTree } from '../git/worktrees.js';
import { LOGS_DIR_NAME, logPath, primePath, runSetupHooks, sandboxPath, sessionEnv, sessionLive, startSession, writeLauncher } from './sessions.js';

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
  /** The session's pid; null when it is queued. */
  pid: number | null;
  /** No session slot was free (`polecats.max`): the bead is hooked and the sandbox made; the witness starts it. */
  queued: boolean;
  /** The sandbox was made now (else an idle polecat's was reused). */
  created: boolean;
  convoy?: string;
}

/** Polecats (role polecat) whose session runs on this machine. */
export function livePolecats(view: LedgerView): AgentRecord[] {
  return [...view.agents.values()].filter((a) => a.role === 'polecat' && sessionLive(a)).sort((a, b) => (a.id < b.id ? -1 : 1));
}

class DryRun extends Error {}

function choosePolecat(view: LedgerView, names: readonly string[], options: SpawnOptions): { name: string; reuse: boolean } {
  const hasSandbox = (a: AgentRecord): boolean => a.worktree !== undefined && existsSync(a.worktree);
  if (options.name !== undefined) {
    const name = checkAgentName(options.name);
    if (name === OVERSEER) throw new UsageError('the overseer is not a polecat', 'name a polecat with --name');
    if (name === LOGS_DIR_NAME) throw new UsageError(`'${LOGS_DIR_NAME}' is reserved for the session logs`, 'choose another name');
    const agent = view.agents.get(name);
    if (!agent) return { name, reuse: false };
    if (agent.role !== 'polecat') throw new RuleError(`${name} is a ${agent.role}, not a polecat`, 'choose a polecat, or leave out --name');
    if (sessionLive(agent)) throw new RuleError(`${name} is busy: its session (pid ${agent.session_pid}) is running`, 'choose another name, or leave out --name');
    const work = hookedOn(view.beads, name);
    if (work.length > 0) throw new RuleError(`${name} is busy: its hook holds ${work.map((b) => b.id).join(', ')}`, 'choose another name, or unsling that work first');
    const reuse = hasSandbox(agent);
    if (reuse && options.base !== undefined) throw new UsageError(`${name} already has a sandbox (${agent.worktree}); --base applies only to a new one`, 'leave out --base, or choose another name');
    return { name, reuse };
  }
  if (options.base === undefined) {
    const idle = [...view.agents.values()]
      .filter((a) => a.role === 'polecat' && hasSandbox(a) && !sessionLive(a) && hookedOn(view.beads, a.id).length === 0)
      .sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    if (idle) return { name: idle.id, reuse: true };
  }
  const free = names.find((n) => !view.agents.has(n) && n !== LOGS_DIR_NAME);
  if (free === undefined) {
    throw new RuleError(`every name in polecats.names is taken (${names.join(', ')})`, 'add names: gt config set polecats.names <a,b,c>, or name one with --name <name>');
  }
  return { name: free, reuse: false };
}

export async function spawnPolecat(ledger: Ledger, query: string, options: SpawnOptions): Promise<SpawnResult> {
  if (!ledger.actor.isOverseer) throw new RuleError('only the overseer spawns polecats', 'run gt sling --spawn outside any agent (GT_AGENT unset, checkout not bound)');
  const view = await ledger.view();
  const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
  const command = settings.runtime.command;
  if (command === undefined || command.trim() === '') {
    throw new UsageError("runtime.command is not set: say what runs a polecat session first: gt config set runtime.command '<cmd>'");
  }
  // A full house queues: the bead is hooked and the sandbox made, and the witness starts the session.
  const queued = livePolecats(view).length >= settings.polecats.max;
  const { name, reuse } = choosePolecat(view, settings.polecats.names, options);
  const commonDir = ledger.repo.paths.commonDir;
  let base: string | undefined;
  if (!reuse) {
    base = resolveCommit(commonDir, options.base ?? 'HEAD');
    if (base === undefined) {
      throw new UsageError(options.base === undefined ? 'the repository has no commit to branch a sandbox from' : `--base ${options.base} names no commit`, 'commit first, or give --base <ref>');
    }
  }
  // Every refusal of the sling itself (bead closed, hooked elsewhere, …) before any sandbox is made.
  const sling = (tx: Parameters<Parameters<Ledger['write']>[0]>[0]) =>
    slingBead(tx, query, name, { ...(options.force ? { force: true } : {}), ...(options.noConvoy ? { noConvoy: true } : {}) });
  try {
    await ledger.write((tx) => {
      sling(tx);
      throw new DryRun();
    });
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }

  const worktree = reuse ? view.agents.get(name)!.worktree! : sandboxPath(commonDir, name);
  const log = logPath(commonDir, name);
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const binDir = writeLauncher(commonDir, options.gtEntry);
  const baseEnv = { GT_AGENT: name, GT_ROOT: root, GT_WORKTREE: worktree };
  if (!reuse) {
    if (existsSync(worktree)) throw new RuleError(`${worktree} already exists, but no polecat ${name} owns it`, `remove it (git worktree remove --force ${worktree}), or choose another name`);
    mkdirSync(sandboxPath(commonDir, ''), { recursive: true });
    const branch = `polecat/${name}`;
    let made: { gitDir: string; createdBranch: boolean };
    try {
      made = addWorktree(commonDir, worktree, branch, base!);
    } catch (error) {
      throw new RuleError(`could not make the sandbox ${worktree}: ${(error as Error).message}`);
    }
    try {
      bindCheckout(made.gitDir, name);
      const hook = runSetupHooks(worktree, log, sessionEnv(binDir, baseEnv));
      if (hook.failed !== undefined) throw new RuleError(`setup hook .gt/setup-hooks/${hook.failed} failed (${hook.why}): no polecat was spawned`, `its output is in ${log}`);
    } catch (error) {
      removeWorktree(commonDir, worktree, made.createdBranch ? branch : undefined);
      throw error;
    }
  }

  const { result: slung } = await ledger.write((tx) => {
    const r = sling(tx);
    touchAgent(tx, name, { role: 'polecat' });
    // A new bead: a new episode for the witness (no restarts yet); a queued polecat has no session yet.
    const { restart_bead: _b, restarts: _r, last_restart_at: _l, escalation_mail: _e, queued_at: _q, ...agent } = tx.agents.get(name)!;
    const waiting = queued ? (({ session_pid: _p, session_host: _h, session_started_at: _s, ...rest }) => ({ ...rest, queued_at: tx.now }))(agent) : agent;
    tx.put(agentKind, { ...waiting, worktree });
    return { result: r, message: `sling ${r.bead.id} to polecat ${name}: ${r.bead.title}${r.convoy ? ` (convoy ${r.convoy.id})` : ''}` };
  });

  if (queued) return { polecat: name, bead: slung.bead.id, worktree, pid: null, queued: true, created: !reuse, ...(slung.convoy ? { convoy: slung.convoy.id } : {}) };
  let session: PolecatSession;
  try {
    session = await startPolecatSession(ledger, { name, bead: slung.bead.id, worktree, command, gtEntry: options.gtEntry });
  } catch (error) {
    throw new GtError(`${slung.bead.id} is hooked on ${name}, but its session could not start: ${(error as Error).message}`, `start it by hand in ${worktree}, or take the bead back: gt unsling ${slung.bead.id}`);
  }
  await ledger.write((tx) => {
    tx.put(agentKind, withSession(tx.agents.get(name)!, session, tx.now));
    return { result: null, message: `polecat ${name}: session ${session.pid} on ${session.host} for ${slung.bead.id}` };
  });
  return { polecat: name, bead: slung.bead.id, worktree, pid: session.pid, queued: false, created: !reuse, ...(slung.convoy ? { convoy: slung.convoy.id } : {}) };
}

export interface PolecatSession {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * Starts a session of a polecat in its existing sandbox for the bead on its hook: a fresh prime (its own
 * view of the ledger, as `gt prime` in the sandbox shows it), the launcher, `sh -c command`. Writes
 * nothing on the ledger: the caller records the session (`withSession`) in its own commit.
 */
export async function startPolecatSession(ledger: Ledger, options: { name: string; bead: string; worktree: string; command: string; gtEntry: string; why?: string }): Promise<PolecatSession> {
  const { name, bead, worktree, command } = options;
  const commonDir = ledger.repo.paths.commonDir;
  const own = openLedger({ cwd: worktree, actor: name });
  let prime: string;
  try {
    prime = primeText(primeInfo(await own.view(), own.actor, worktree));
  } finally {
    own.close();
  }
  const primeFile = primePath(commonDir, name);
  mkdirSync(sandboxPath(commonDir, LOGS_DIR_NAME), { recursive: true });
  writeFileSync(primeFile, prime);
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const binDir = writeLauncher(commonDir, options.gtEntry);
  const startedAt = new Date(ledger.now()).toISOString();
  const pid = startSession({
    command,
    cwd: worktree,
    env: sessionEnv(binDir, { GT_AGENT: name, GT_ROOT: root, GT_WORKTREE: worktree, GT_BEAD: bead, GT_PRIME_FILE: primeFile }),
    primeFile,
    log: logPath(commonDir, name),
    header: `== ${startedAt} ${options.why ?? 'session'} of ${name} for ${bead}: sh -c ${command}`,
  });
  return { pid, host: hostname(), startedAt };
}

/** The agent record with its session recorded (and no longer queued). */
export function withSession(agent: AgentRecord, session: PolecatSession, now: string): AgentRecord {
  const { queued_at: _q, ...rest } = agent;
  return { ...rest, state: 'working', session_pid: String(session.pid), session_host: session.host, session_started_at: session.startedAt, updated_at: now };
}
