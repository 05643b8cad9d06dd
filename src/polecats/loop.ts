/**
 * The propulsion loop of a polecat (`gt polecat run <name>`): it runs the polecat's agent sessions one
 * after the other, for the work on its hook, until the hook stays empty for `polecats.idle_exit`.
 * After each session it judges from the ledger what the session achieved:
 *  - progress (the bead left the hook: closed, or taken elsewhere; or its molecule advanced): the restart
 *    count resets and the next work on the hook (the observer feeds it) starts at once;
 *  - a handoff (`gt handoff` in the session): a fresh session at once, its prime showing the message;
 *  - nothing: a restart is counted on the agent record, after a backoff that doubles (capped at a minute);
 *    once `witness.max_restarts` restarts were spent on the bead, the polecat is marked stuck, the
 *    overseer mailed once (stuck.ts), and the loop exits.
 * The loop writes as the overseer (it is gt's machinery, not the agent): one ledger commit when a session
 * starts and one when it ends, each with an event on the agent record.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { AgentRecord } from '../agents/agent.js';
import { agentKind, withAgentEvent } from '../agents/agent.js';
import { hookedOn, isOnHook } from '../agents/hook.js';
import { mergeAgentBranches } from '../ledger/agent-merge.js';
import { withStateLock } from '../ledger/write-lock.js';
import { moleculeBrief } from '../molecules/molecule-brief.js';
import { moleculesBoundTo } from '../molecules/molecule-service.js';
import { settingsOf } from '../settings/settings-service.js';
import { primeInfo, primeText } from '../work/prime.js';
import { openLedger } from '../kinds.js';
import { mainWorkTree } from '../git/worktrees.js';
import { elapsedMs } from '../clock.js';
import { NotFoundError, RuleError, UsageError } from '../errors.js';
import { LOGS_DIR_NAME, handoffPath, logPath, primePath, sandboxPath, sessionEnv, sessionLive, startSession, writeLauncher, type RunningSession } from './sessions.js';
import { endGroup, liveAgentPid, signalGroup, waitGone } from './processes.js';
import { escalated, markStuck, restartsOf } from './stuck.js';

/** The lock under which polecats are allocated and slots counted (spawn, witness, a loop going idle). */
export const POLECATS_LOCK = 'polecats';
export const POLECATS_LOCK_STALE_MS = 30_000;
const BACKOFF_CAP_MS = 60_000;
/** How often a loop waiting for work looks at the ledger's tip (a cheap ref read; the view only when it moved). */
const WORK_POLL_MS = 200;

export interface LoopOptions {
  /** The gt script sessions run as `gt` (dist/gt.mjs). */
  gtEntry: string;
  /** Aborted: the current session is ended and the loop returns (`gt polecat stop`, Ctrl-C). */
  signal: AbortSignal;
  /** One line per decision, for the terminal or the polecat's log. */
  say: (line: string) => void;
}

export interface LoopExit {
  polecat: string;
  /** idle: nothing on the hook for polecats.idle_exit; stuck: the circuit opened; stopped: by a signal; gone: the polecat or its sandbox went away. */
  reason: 'idle' | 'stuck' | 'stopped' | 'gone';
  sessions: number;
}

export interface PolecatSession extends RunningSession {
  host: string;
  startedAt: string;
}

/**
 * Starts a session of a polecat in its sandbox for the bead on its hook: a fresh prime (its own view of
 * the ledger, as `gt prime` in the sandbox shows it, with a handoff message first), the launcher,
 * `sh -c command`. Writes nothing on the ledger: the caller records the session.
 */
export async function startPolecatSession(
  ledger: Ledger,
  options: { name: string; bead: string; worktree: string; command: string; gtEntry: string; why: string; handoff?: string },
): Promise<PolecatSession> {
  const { name, bead, worktree, command } = options;
  const commonDir = ledger.repo.paths.commonDir;
  const own = openLedger({ cwd: worktree, actor: name });
  let prime: string;
  try {
    prime = primeText({ ...primeInfo(await own.view(), own.actor, worktree), ...(options.handoff !== undefined ? { handoff: options.handoff } : {}) });
  } finally {
    own.close();
  }
  const primeFile = primePath(commonDir, name);
  mkdirSync(sandboxPath(commonDir, LOGS_DIR_NAME), { recursive: true });
  writeFileSync(primeFile, prime);
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const binDir = writeLauncher(commonDir, options.gtEntry);
  const startedAt = new Date(ledger.now()).toISOString();
  const session = startSession({
    command,
    cwd: worktree,
    env: sessionEnv(binDir, { GT_AGENT: name, GT_ROOT: root, GT_WORKTREE: worktree, GT_BEAD: bead, GT_PRIME_FILE: primeFile, GT_LOOP_PID: String(process.pid) }),
    primeFile,
    log: logPath(commonDir, name),
    header: `== ${startedAt} ${options.why} of ${name} for ${bead}: sh -c ${command}`,
  });
  return { ...session, host: hostname(), startedAt };
}

/** Where a bead stands for its polecat: a session that changes this made progress. */
function progressMark(view: LedgerView, name: string, bead: string): string {
  const b = view.beads.get(bead);
  if (!b || !isOnHook(b.status) || b.assignee !== name) return `left the hook (${b?.status ?? 'gone'})`;
  const molecule = moleculesBoundTo(view, bead)[0];
  if (!molecule) return 'on the hook';
  const brief = moleculeBrief(molecule, name);
  return `on the hook, molecule ${molecule.id} at ${brief.finished}/${brief.total} ${brief.current?.id ?? '-'}:${brief.current?.state ?? '-'}`;
}

/** The later of two times: activity never moves back (the witness may have recorded some on another clock). */
function latest(recorded: string | undefined, now: string): string {
  return recorded !== undefined && recorded > now ? recorded : now;
}

function withoutRestarts(agent: AgentRecord): AgentRecord {
  const { restart_bead: _b, restarts: _r, last_restart_at: _l, escalation_mail: _e, ...rest } = agent;
  return rest;
}

function withoutLoop(agent: AgentRecord): AgentRecord {
  const { session_pid: _p, session_host: _h, agent_pid: _a, ...rest } = agent;
  return rest;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

/** The message `gt handoff` left for the next session, if any. */
function pendingHandoff(commonDir: string, name: string): string | undefined {
  try {
    return readFileSync(handoffPath(commonDir, name), 'utf8');
  } catch {
    return undefined;
  }
}

export async function runPolecatLoop(ledger: Ledger, name: string, options: LoopOptions): Promise<LoopExit> {
  if (!ledger.actor.isOverseer) throw new RuleError('a polecat loop runs as the overseer', 'run gt polecat run outside any agent (GT_AGENT unset, checkout not bound)');
  const commonDir = ledger.repo.paths.commonDir;
  const first = await ledger.view();
  const agent = first.agents.get(name);
  if (!agent || agent.role !== 'polecat') throw new NotFoundError('polecat', name, [...first.agents.values()].filter((a) => a.role === 'polecat').map((a) => a.id).sort());
  if (agent.worktree === undefined || !existsSync(agent.worktree)) throw new RuleError(`${name} has no sandbox on this machine`, `give it one: gt sling <bead> --spawn --name ${name}`);
  if (Number(agent.session_pid) !== process.pid && sessionLive(agent)) {
    throw new RuleError(`${name}'s loop already runs (pid ${agent.session_pid})`, `stop it first: gt polecat stop ${name}`);
  }
  // A loop killed hard leaves its session running: this loop's sessions must never work beside it.
  const leftover = liveAgentPid(agent);
  if (leftover !== undefined) {
    await endGroup(`${name}'s leftover session`, leftover);
    options.say(`✗ ${name}: ended the session ${leftover} a previous loop left running`);
  }
  const here = hostname();
  const pid = String(process.pid);
  let sessions = 0;
  let fruitless = 0;
  let handoff: string | undefined;

  for (;;) {
    if (options.signal.aborted) return stopped();
    const view = await ledger.view();
    const me = view.agents.get(name);
    if (!me || me.worktree === undefined || !existsSync(me.worktree)) return { polecat: name, reason: 'gone', sessions };
    const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
    const bead = hookedOn(view.beads, name)[0]?.id;
    if (bead === undefined) {
      if (me.session_pid !== pid) {
        // Started by hand on an empty hook: recorded now, so a spawn slings to this loop rather than start another.
        await ledger.write((tx) => {
          const a = tx.agents.get(name)!;
          tx.put(agentKind, withAgentEvent({ ...a, session_pid: pid, session_host: here, updated_at: tx.now }, tx.now, `loop: started, waiting for work (pid ${pid})`));
          return { result: null, message: `polecat ${name}: loop ${pid} waits for work` };
        });
      }
      if (await waitForWork(settings.polecats.idleExitMs)) continue;
      if (options.signal.aborted) return stopped();
      // Under the allocation lock: a spawn either slings to this loop before it decides (and it goes
      // on), or sees it gone (and starts another); never a bead hooked on a loop that is leaving.
      const left = await withStateLock(ledger.repo.stateDir, POLECATS_LOCK, POLECATS_LOCK_STALE_MS, async () => {
        const { result } = await ledger.write((tx) => {
          if (hookedOn(tx.beads, name).length > 0) return { result: false, message: `polecat ${name}: loop found work` };
          const a = tx.agents.get(name);
          if (a) tx.put(agentKind, withAgentEvent({ ...withoutLoop(a), state: 'idle' as const, updated_at: tx.now }, tx.now, `loop: hook empty for ${settings.polecats.idleExitMs / 1000}s, exited (pid ${pid})`));
          return { result: true, message: `polecat ${name}: idle, loop ${pid} exits` };
        });
        return result;
      });
      if (!left) continue;
      options.say(`💤 ${name}: nothing on the hook for polecats.idle_exit; the loop exits`);
      return { polecat: name, reason: 'idle', sessions };
    }
    const command = settings.runtime.command;
    if (command === undefined || command.trim() === '') throw new UsageError("runtime.command is not set: a polecat loop cannot start a session: gt config set runtime.command '<cmd>'");
    const max = settings.witness.maxRestarts;
    if (escalated(me, bead)) {
      options.say(`⚠ ${name} is stuck on ${bead}: the loop exits (take the bead back: gt unsling ${bead})`);
      return { polecat: name, reason: 'stuck', sessions };
    }

    const before = progressMark(view, name, bead);
    const restart = restartsOf(me, bead);
    const why = handoff !== undefined ? 'handoff session' : restart > 0 ? `restart ${restart}/${max}` : 'session';
    const session = await startPolecatSession(ledger, { name, bead, worktree: me.worktree, command, gtEntry: options.gtEntry, why, ...(handoff !== undefined ? { handoff } : {}) });
    sessions++;
    const onAbort = (): void => signalGroup(session.pid, 'SIGTERM');
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await ledger.write((tx) => {
        const a = tx.agents.get(name)!;
        const { queued_at: _q, ...rest } = a;
        const started = { ...rest, state: 'working' as const, session_pid: pid, session_host: here, session_started_at: session.startedAt, agent_pid: String(session.pid), last_activity: latest(a.last_activity, tx.now), updated_at: tx.now };
        tx.put(agentKind, withAgentEvent(started, tx.now, `loop: ${why} started for ${bead} (agent pid ${session.pid})`));
        return { result: null, message: `polecat ${name}: ${why} ${session.pid} for ${bead}` };
      });
      options.say(`▶ ${name}: ${why} for ${bead} (pid ${session.pid})`);
      handoff = undefined;
      const exit = await session.exited;
      if (options.signal.aborted) {
        await waitGone(session.pid, 10_000);
        return stopped();
      }
      const how = exit.signal !== null ? `killed by ${exit.signal}` : `exit ${exit.code}`;
      // The agent's own writes (gt mol step done, …) are on its branch until merged: judge on them too.
      await mergeAgentBranches(ledger, [name]).catch(() => []);
      const after = await ledger.view();
      const progressed = progressMark(after, name, bead) !== before;
      // Taken now, whatever happened: a message left for this bead never reaches a later session by surprise.
      const message = pendingHandoff(commonDir, name);
      rmSync(handoffPath(commonDir, name), { force: true });
      type Outcome = { kind: 'progress' } | { kind: 'handoff' } | { kind: 'stuck'; mail: string } | { kind: 'restart'; restart: number; counted?: boolean };
      const outcome = await ledger.write<Outcome>((tx) => {
        const a = tx.agents.get(name)!;
        const { agent_pid: _a, ...rest } = a;
        const base = { ...rest, last_activity: latest(a.last_activity, tx.now), updated_at: tx.now, state: (hookedOn(tx.beads, name).length > 0 ? 'working' : 'idle') as AgentRecord['state'] };
        const end = (record: AgentRecord, text: string): void => void tx.put(agentKind, withAgentEvent(record, tx.now, text));
        if (progressed) {
          end(withoutRestarts(base), `loop: session ended (${how}), progress on ${bead}`);
          return { result: { kind: 'progress' as const }, message: `polecat ${name}: session ${session.pid} ended, progress on ${bead}` };
        }
        if (message !== undefined) {
          end(base, `loop: session handed off (${how}) on ${bead}`);
          return { result: { kind: 'handoff' as const }, message: `polecat ${name}: session ${session.pid} handed off on ${bead}` };
        }
        const count = restartsOf(a, bead);
        if (escalated(a, bead)) {
          // The witness found it stuck meanwhile (a stalled session with no restart left): it stays stuck.
          end({ ...base, state: 'stuck' }, `loop: session ended (${how}), no progress on ${bead}; already stuck`);
          return { result: { kind: 'stuck' as const, mail: a.escalation_mail! }, message: `polecat ${name}: stuck on ${bead}` };
        }
        // The witness ended this session (stalled) and counted the restart itself: the next one starts now.
        if (a.restart_bead === bead && a.last_restart_at !== undefined && a.last_restart_at >= session.startedAt) {
          end(base, `loop: session ended (${how}) by the witness, restart ${count}/${max}`);
          return { result: { kind: 'restart' as const, restart: count, counted: true }, message: `polecat ${name}: session ${session.pid} ended by the witness; restart ${count}/${max}` };
        }
        if (count >= max) {
          tx.put(agentKind, withAgentEvent(base, tx.now, `loop: session ended (${how}), no progress on ${bead}`));
          const { mail } = markStuck(tx, name, bead, count, max, 'loop');
          return { result: { kind: 'stuck' as const, mail }, message: `polecat ${name}: stuck on ${bead} after ${count} restarts` };
        }
        end({ ...base, restart_bead: bead, restarts: String(count + 1), last_restart_at: tx.now }, `loop: session ended (${how}), no progress on ${bead}: restart ${count + 1}/${max}`);
        return { result: { kind: 'restart' as const, restart: count + 1 }, message: `polecat ${name}: session ${session.pid} ended, no progress on ${bead}; restart ${count + 1}/${max}` };
      });
      const result = outcome.result;
      if (result.kind === 'progress') {
        fruitless = 0;
        handoff = message;
        options.say(`✓ ${name}: session ended (${how}), progress on ${bead}`);
      } else if (result.kind === 'handoff') {
        handoff = message;
        options.say(`⇢ ${name}: session handed off (${how}); a fresh one starts`);
      } else if (result.kind === 'stuck') {
        options.say(`⚠ ${name} stuck on ${bead} after ${restart} restart${restart === 1 ? '' : 's'}: mailed the overseer (${result.mail}); the loop exits`);
        return { polecat: name, reason: 'stuck', sessions };
      } else if (result.counted) {
        options.say(`↻ ${name}: session ended by the witness (stalled); restart ${result.restart}/${max} now`);
      } else {
        const wait = Math.min(BACKOFF_CAP_MS, settings.polecats.backoffMs * 2 ** fruitless);
        fruitless++;
        options.say(`↻ ${name}: session ended (${how}) with no progress on ${bead}; restart ${result.restart}/${max} in ${wait} ms`);
        await delay(wait, options.signal);
      }
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Waits until something is on the hook (true), or `limitMs` passes, or the loop is aborted (false). */
  async function waitForWork(limitMs: number): Promise<boolean> {
    const deadline = elapsedMs() + limitMs;
    let seen = ledger.ledgerTip();
    while (!options.signal.aborted && elapsedMs() < deadline) {
      await delay(Math.min(WORK_POLL_MS, Math.max(0, deadline - elapsedMs())), options.signal);
      const tip = ledger.ledgerTip();
      if (tip === seen) continue;
      seen = tip;
      if (hookedOn((await ledger.view()).beads, name).length > 0) return true;
    }
    return false;
  }

  async function stopped(): Promise<LoopExit> {
    // Stopped by hand: the record no longer shows a loop, so the witness leaves the polecat alone.
    await ledger
      .write((tx) => {
        const a = tx.agents.get(name);
        if (!a || (a.session_pid !== undefined && a.session_pid !== pid)) return { result: null, message: `polecat ${name}: loop ${pid} stopped` };
        const { session_started_at: _s, ...rest } = withoutLoop(a);
        tx.put(agentKind, withAgentEvent({ ...rest, updated_at: tx.now }, tx.now, `loop: stopped by a signal (pid ${pid})`));
        return { result: null, message: `polecat ${name}: loop ${pid} stopped` };
      })
      .catch(() => undefined);
    options.say(`■ ${name}: loop stopped`);
    return { polecat: name, reason: 'stopped', sessions };
  }
}
