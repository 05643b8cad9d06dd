/**
 * The witness: one pass over the polecats of this machine, restart first. It watches the propulsion
 * loops (`gt polecat run`, loop.ts), which restart their own sessions; the witness steps in when a loop
 * itself is gone:
 *  - dead (work on its hook, a loop was started here and none runs): any agent session the dead loop left
 *    running is ended first (never two agents on one bead), then a new loop starts in the same sandbox
 *    for the same bead, counting a restart on the agent record (shared with the loop's own count);
 *  - stuck (the count reached `witness.max_restarts` with the bead still hooked): the agent is marked
 *    stuck and the overseer gets one escalation mail for that bead (stuck.ts, as the loop does);
 *  - waiting (work on its hook and no loop: queued by a spawn when polecats.max loops ran, or its loop
 *    had exited idle before work came): its loop is started, oldest first, while fewer than
 *    `polecats.max` run. Not a restart;
 *  - stalled (its loop runs, work on its hook, no activity for `witness.stall_after`; stall.ts): nudged
 *    once (mail marked nudge, `nudged_at` on its record); still stalled `witness.stall_after` later, its
 *    agent session is ended and the restart counted here (the loop, seeing it counted, starts the fresh
 *    session at once), or, with no restart left, it is marked stuck as above.
 * A polecat stopped by hand (`gt polecat stop`: no loop recorded, not queued) is left alone.
 * Nothing is ever deleted. The pass records what it did in one ledger commit. Passes take turns under
 * the `witness` lock, and count slots under the polecats lock as spawns do.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger } from '../ledger/ledger.js';
import type { AgentRecord } from '../agents/agent.js';
import { agentKind, withAgentEvent } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { RuleError, UsageError } from '../errors.js';
import { withStateLock } from '../ledger/write-lock.js';
import { settingsOf } from '../settings/settings-service.js';
import { mainWorkTree } from '../git/worktrees.js';
import { sessionLive } from './sessions.js';
import { livePolecats } from './spawn.js';
import { POLECATS_LOCK, POLECATS_LOCK_STALE_MS } from './loop.js';
import { endGroup, endPolecatSession, liveAgentPid, startLoop } from './processes.js';
import { escalated, markStuck, restartsOf, WITNESS_ADDRESS } from './stuck.js';
import { findStalls, stallNudgeText, type Stall } from './stall.js';
import { nudgeAgent } from '../work/nudge.js';
import { formatDuration } from '../molecules/duration.js';

export { WITNESS_ADDRESS };
const WITNESS_LOCK_STALE_MS = 60_000;

export type WitnessAction =
  /** `pid`: the loop that runs the next session (a new one for a dead loop; for a stalled session, its own); `session`: the stalled session ended. */
  | { kind: 'restarted'; polecat: string; bead: string; pid: number; restart: number; max: number; reason: 'dead' | 'stalled'; leftover?: number; session?: number; line: string }
  | { kind: 'nudged'; polecat: string; bead: string; mail: string; idle_ms: number; line: string }
  | { kind: 'started'; polecat: string; bead: string; pid: number; line: string }
  | { kind: 'stuck'; polecat: string; bead: string; restarts: number; mail: string; line: string }
  | { kind: 'failed'; polecat: string; bead: string; error: string; line: string };

export interface WitnessReport {
  actions: WitnessAction[];
  /** The ledger commit recording the pass, when it wrote one. */
  commit?: string;
}

export interface WitnessOptions {
  /** The gt script loops and sessions run as `gt` (dist/gt.mjs). */
  gtEntry: string;
}

/** One witness pass (see the top of this file). Only the overseer runs it. */
export async function witnessPass(ledger: Ledger, options: WitnessOptions): Promise<WitnessReport> {
  if (!ledger.actor.isOverseer) throw new RuleError('only the overseer runs the witness', 'run gt witness outside any agent (GT_AGENT unset, checkout not bound)');
  return withStateLock(ledger.repo.stateDir, 'witness', WITNESS_LOCK_STALE_MS, () =>
    withStateLock(ledger.repo.stateDir, POLECATS_LOCK, POLECATS_LOCK_STALE_MS, () => pass(ledger, options)),
  );
}

async function pass(ledger: Ledger, options: WitnessOptions): Promise<WitnessReport> {
  const view = await ledger.view();
  const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
  const command = settings.runtime.command;
  const here = hostname();
  const max = settings.witness.maxRestarts;
  const commonDir = ledger.repo.paths.commonDir;
  const root = mainWorkTree(commonDir) ?? ledger.repo.paths.workTree ?? commonDir;
  const dead: { agent: AgentRecord; bead: string }[] = [];
  const waiting: { agent: AgentRecord; bead: string }[] = [];
  for (const agent of [...view.agents.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    // A polecat with its sandbox on this machine, work on its hook, no loop running here.
    if (agent.role !== 'polecat' || agent.worktree === undefined || !existsSync(agent.worktree)) continue;
    if (agent.session_host !== undefined && agent.session_host !== here) continue;
    const bead = hookedOn(view.beads, agent.id)[0]?.id;
    if (bead === undefined || sessionLive(agent)) continue;
    if (escalated(agent, bead)) continue;
    // Dead: a loop was recorded and is gone. Waiting: queued, or its loop left idle before work came.
    // Neither (nothing recorded, not queued): stopped by hand (gt polecat stop); the witness leaves it.
    if (agent.session_pid !== undefined) dead.push({ agent, bead });
    else if (agent.queued_at !== undefined || agent.session_started_at !== undefined) waiting.push({ agent, bead });
  }
  const stalls = findStalls(view, { commonDir, now: ledger.now(), stallAfterMs: settings.witness.stallAfterMs });
  const nudges = stalls.filter((s) => s.step === 'nudge');
  const stalledOut = stalls.filter((s) => s.step === 'restart');
  const since = (a: AgentRecord): string => a.queued_at ?? a.session_started_at ?? '';
  waiting.sort((a, b) => (since(a.agent) < since(b.agent) ? -1 : since(a.agent) > since(b.agent) ? 1 : a.agent.id < b.agent.id ? -1 : 1));

  const wantsLoop = dead.filter(({ agent, bead }) => restartsOf(agent, bead) < max).length + waiting.length;
  if (wantsLoop > 0 && (command === undefined || command.trim() === '')) {
    throw new UsageError("runtime.command is not set: the witness cannot start a polecat session: gt config set runtime.command '<cmd>'");
  }

  let free = settings.polecats.max - livePolecats(view).length;
  const actions: WitnessAction[] = [];
  const restarted: { name: string; bead: string; pid: number; restart: number; stall?: Stall }[] = [];
  const started: { name: string; bead: string; pid: number }[] = [];
  const stuck: { name: string; bead: string; restarts: number; stall?: Stall }[] = [];
  const start = (agent: AgentRecord, bead: string, why: string): number | undefined => {
    try {
      return startLoop({ commonDir, root, name: agent.id, gtEntry: options.gtEntry, why });
    } catch (error) {
      const message = (error as Error).message;
      actions.push({ kind: 'failed', polecat: agent.id, bead, error: message, line: `✗ could not start ${agent.id}'s loop (${bead}): ${message}` });
      return undefined;
    }
  };

  // A session still stalled after its nudge: ended here; its loop, which keeps its slot, starts the
  // next one (the restart is counted in this pass's commit), or it is stuck with no restart left.
  for (const stall of stalledOut) {
    const { agent, bead } = stall;
    const count = restartsOf(agent, bead);
    let session: { pid: number } | undefined;
    try {
      session = await endPolecatSession(agent);
    } catch (error) {
      const message = (error as Error).message;
      actions.push({ kind: 'failed', polecat: agent.id, bead, error: message, line: `✗ could not stop stalled ${agent.id} (${bead}): ${message}` });
      continue;
    }
    if (count >= max) {
      stuck.push({ name: agent.id, bead, restarts: count, stall });
      continue;
    }
    restarted.push({ name: agent.id, bead, pid: Number(agent.session_pid), restart: count + 1, stall });
    actions.push({
      kind: 'restarted',
      polecat: agent.id,
      bead,
      pid: Number(agent.session_pid),
      restart: count + 1,
      max,
      reason: 'stalled',
      ...(session ? { session: session.pid } : {}),
      line: `↻ restarted ${agent.id} (${bead}, stalled ${formatDuration(stall.idleMs)} and nudged, restart ${count + 1}/${max})`,
    });
  }

  // Restart first: a dead loop has the first claim on a free slot.
  for (const { agent, bead } of dead) {
    const count = restartsOf(agent, bead);
    if (count >= max) {
      stuck.push({ name: agent.id, bead, restarts: count });
      continue;
    }
    if (free <= 0) continue;
    // A loop killed hard leaves its session running: end it first, so one agent at most works the bead.
    const leftover = liveAgentPid(agent);
    if (leftover !== undefined) {
      try {
        await endGroup(`${agent.id}'s leftover session`, leftover);
      } catch (error) {
        const message = (error as Error).message;
        actions.push({ kind: 'failed', polecat: agent.id, bead, error: message, line: `✗ could not end ${agent.id}'s leftover session (${bead}): ${message}` });
        continue;
      }
    }
    const pid = start(agent, bead, `witness restart ${count + 1}/${max}`);
    if (pid === undefined) continue;
    free--;
    restarted.push({ name: agent.id, bead, pid, restart: count + 1 });
    actions.push({
      kind: 'restarted',
      polecat: agent.id,
      bead,
      pid,
      restart: count + 1,
      max,
      reason: 'dead',
      ...(leftover !== undefined ? { leftover } : {}),
      line: `↻ restarted ${agent.id} (${bead}, restart ${count + 1}/${max})${leftover !== undefined ? `, after ending its leftover session ${leftover}` : ''}`,
    });
  }
  for (const { agent, bead } of waiting) {
    if (free <= 0) break;
    const pid = start(agent, bead, 'witness start');
    if (pid === undefined) continue;
    free--;
    started.push({ name: agent.id, bead, pid });
    actions.push({ kind: 'started', polecat: agent.id, bead, pid, line: `▶ started ${agent.id} (${bead})${agent.queued_at !== undefined ? ' from the queue' : ''}` });
  }

  if (restarted.length + started.length + stuck.length + nudges.length === 0) return { actions };
  const { result: escalations, commit } = await ledger.write((tx) => {
    const mailed: WitnessAction[] = [];
    const withLoop = (agent: AgentRecord, pid: number): AgentRecord => {
      const { agent_pid: _a, queued_at: _q, ...rest } = agent;
      return { ...rest, state: 'working', session_pid: String(pid), session_host: here, updated_at: tx.now };
    };
    for (const r of restarted) {
      const before = tx.agents.get(r.name)!;
      if (r.stall) {
        // The loop keeps running and starts the next session; a restart is activity (a new episode).
        const agent = { ...before, restart_bead: r.bead, restarts: String(r.restart), last_restart_at: tx.now, last_activity: tx.now, updated_at: tx.now };
        const why = `session stalled (no activity for ${formatDuration(r.stall.idleMs)} since its nudge at ${before.nudged_at}), ended`;
        tx.put(agentKind, withAgentEvent(agent, tx.now, `witness: ${why}, restarted (${r.bead}, restart ${r.restart}/${max}, loop pid ${r.pid})`));
        continue;
      }
      const agent = { ...withLoop(before, r.pid), restart_bead: r.bead, restarts: String(r.restart), last_restart_at: tx.now };
      tx.put(agentKind, withAgentEvent(agent, tx.now, `witness: loop dead, restarted (${r.bead}, restart ${r.restart}/${max}, loop pid ${r.pid})`));
    }
    for (const n of nudges) {
      const agent = tx.agents.get(n.agent.id)!;
      const mail = nudgeAgent(tx, agent.id, stallNudgeText(n.bead, n.idleMs, settings.witness.stallAfterMs), WITNESS_ADDRESS);
      const since = `${new Date(n.activity.at).toISOString()}, ${n.activity.source}`;
      tx.put(agentKind, withAgentEvent({ ...agent, nudged_at: tx.now, updated_at: tx.now }, tx.now, `witness: stalled on ${n.bead} (no activity for ${formatDuration(n.idleMs)}, last: ${since}), nudged (mail ${mail.id})`));
      mailed.push({ kind: 'nudged', polecat: agent.id, bead: n.bead, mail: mail.id, idle_ms: n.idleMs, line: `⏰ nudged ${agent.id} (${n.bead}): no activity for ${formatDuration(n.idleMs)}` });
    }
    for (const s of started) tx.put(agentKind, withAgentEvent(withLoop(tx.agents.get(s.name)!, s.pid), tx.now, `witness: started its loop for ${s.bead} (pid ${s.pid})`));
    for (const s of stuck) {
      const note = s.stall ? `session stalled since its nudge at ${tx.agents.get(s.name)!.nudged_at}, stopped (no restart left); ` : undefined;
      const { mail } = markStuck(tx, s.name, s.bead, s.restarts, max, 'witness', note);
      mailed.push({ kind: 'stuck', polecat: s.name, bead: s.bead, restarts: s.restarts, mail, line: `⚠ ${s.name} stuck on ${s.bead} after ${s.restarts} restart${s.restarts === 1 ? '' : 's'}${s.stall ? ' (stalled: session stopped)' : ''}: mailed the overseer` });
    }
    const parts = [
      ...restarted.map((r) => `restarted ${r.name}${r.stall ? ' (stalled)' : ''} (${r.bead}, ${r.restart}/${max}, loop ${r.pid})`),
      ...nudges.map((n) => `nudged stalled ${n.agent.id} (${n.bead})`),
      ...started.map((s) => `started ${s.name} (loop ${s.pid})`),
      ...stuck.map((s) => `${s.name} stuck on ${s.bead}`),
    ];
    return { result: mailed, message: `witness: ${parts.join('; ')}` };
  });
  actions.push(...escalations);
  return { actions, ...(commit ? { commit } : {}) };
}

/**
 * `gt witness` without `--once`: a pass, then another every `intervalMs`, until `signal` aborts.
 * A pass that fails is reported to `onError` and the next one still runs.
 */
export async function runWitness(
  ledger: Ledger,
  options: WitnessOptions & { intervalMs: number; signal: AbortSignal; onAction: (action: WitnessAction) => void; onError: (error: Error) => void },
): Promise<void> {
  while (!options.signal.aborted) {
    try {
      const report = await witnessPass(ledger, options);
      for (const action of report.actions) options.onAction(action);
    } catch (error) {
      options.onError(error as Error);
    }
    if (options.signal.aborted) break;
    await new Promise<void>((done) => {
      const timer = setTimeout(finish, options.intervalMs);
      function finish(): void {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', finish);
        done();
      }
      options.signal.addEventListener('abort', finish, { once: true });
    });
  }
}
