/**
 * The processes of a polecat on this machine: its propulsion loop (`gt polecat run <name>`, recorded as
 * `session_pid`) and the agent session the loop runs (`agent_pid`). Each leads a process group of its own,
 * so either can be ended without the other (`gt handoff` ends the session; the loop starts the next).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { AgentRecord } from '../agents/agent.js';
import { GtError } from '../errors.js';
import { logPath, pidAlive, processOfPolecat } from './sessions.js';

/** How long a process gets to end after SIGTERM (and then after SIGKILL) before gt gives up: a safety net. */
const TERM_LIMIT_MS = 10_000;
const KILL_LIMIT_MS = 10_000;
const POLL_MS = 25;

/** The variables gt sets for an agent session: not passed on to a loop started from inside one. */
const SESSION_VARIABLES = ['GT_AGENT', 'GT_BEAD', 'GT_WORKTREE', 'GT_PRIME_FILE', 'GT_LOOP_PID', 'GT_ROOT', 'GT_AS'];

export async function waitGone(pid: number, limitMs: number): Promise<boolean> {
  for (let waited = 0; waited < limitMs; waited += POLL_MS) {
    if (!pidAlive(pid)) return true;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  return !pidAlive(pid);
}

/** Signals the process group `pid` leads, or the process alone when it leads none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Ends a process group: SIGTERM, then SIGKILL if its leader outlives the limit. */
export async function endGroup(what: string, pid: number): Promise<'SIGTERM' | 'SIGKILL'> {
  signalGroup(pid, 'SIGTERM');
  if (await waitGone(pid, TERM_LIMIT_MS)) return 'SIGTERM';
  signalGroup(pid, 'SIGKILL');
  if (await waitGone(pid, KILL_LIMIT_MS)) return 'SIGKILL';
  throw new GtError(`${what} (pid ${pid}) outlived SIGTERM and SIGKILL`, `see what holds it: ps -o pid,stat,cmd -g ${pid}`);
}

const here = (agent: AgentRecord): boolean => agent.session_host === undefined || agent.session_host === hostname();

/** The agent session recorded for the polecat, when it still runs here as that polecat's. */
export function liveAgentPid(agent: AgentRecord): number | undefined {
  if (agent.agent_pid === undefined || !here(agent)) return undefined;
  const pid = Number(agent.agent_pid);
  return processOfPolecat(pid, agent.id, 'session') ? pid : undefined;
}

/** The loop recorded for the polecat, when it still runs here. */
export function liveLoopPid(agent: AgentRecord): number | undefined {
  if (agent.session_pid === undefined || !here(agent)) return undefined;
  const pid = Number(agent.session_pid);
  return processOfPolecat(pid, agent.id, 'loop') ? pid : undefined;
}

export interface StoppedProcesses {
  loop?: { pid: number; signal: 'SIGTERM' | 'SIGKILL' };
  session?: { pid: number; signal: 'SIGTERM' | 'SIGKILL' };
}

/**
 * Ends what runs of a polecat on this machine: its loop first (so it starts no new session), then its
 * agent session (a loop SIGKILLed earlier leaves its session running). Writes nothing on the ledger.
 */
export async function stopPolecatProcesses(agent: AgentRecord): Promise<StoppedProcesses> {
  const result: StoppedProcesses = {};
  // Found before the loop is ended: the loop ends its session on SIGTERM, and it is reported all the same.
  const session = liveAgentPid(agent);
  const loop = liveLoopPid(agent);
  if (loop !== undefined) result.loop = { pid: loop, signal: await endGroup(`${agent.id}'s loop`, loop) };
  if (session !== undefined) result.session = { pid: session, signal: await endGroup(`${agent.id}'s session`, session) };
  return result;
}

/**
 * Ends only the polecat's current agent session: its loop sees a session that made no progress and
 * starts a fresh one (after its backoff, counting a restart). For a stalled session.
 */
export async function endPolecatSession(agent: AgentRecord): Promise<{ pid: number; signal: 'SIGTERM' | 'SIGKILL' } | undefined> {
  const session = liveAgentPid(agent);
  return session === undefined ? undefined : { pid: session, signal: await endGroup(`${agent.id}'s session`, session) };
}

/** The environment of a loop: this one's, without any session variables (the loop acts as the overseer). */
function loopEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SESSION_VARIABLES) delete env[key];
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX']) delete env[key];
  return env;
}

/**
 * Starts `gt polecat run <name>` detached (its own process group; it outlives the gt that started it),
 * in the main worktree, output appended to the polecat's log. Returns its pid.
 */
export function startLoop(options: { commonDir: string; root: string; name: string; gtEntry: string; why: string }): number {
  const log = logPath(options.commonDir, options.name);
  mkdirSync(dirname(log), { recursive: true });
  const out = openSync(log, 'a');
  try {
    writeSync(out, `== ${new Date().toISOString()} loop of ${options.name} started (${options.why})\n`);
    const child = spawn(process.execPath, [options.gtEntry, 'polecat', 'run', options.name], {
      cwd: options.root,
      env: loopEnv(),
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start gt polecat run ${options.name}`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

