/**
 * The witness: one pass over the polecats of this machine, restart first.
 *  - dead (work on its hook, a session was started here and none runs): start a new session in the same
 *    sandbox for the same bead, counting restarts per bead on the agent record;
 *  - stuck (the count reached `witness.max_restarts` with the bead still hooked): the agent is marked
 *    stuck and the overseer gets one escalation mail for that bead (its id is kept on the agent record);
 *  - queued (work on its hook, never started: `queued_at` and no `session_started_at`): started oldest
 *    first while fewer than `polecats.max` sessions run;
 *  - stalled (running, work on its hook, no activity for `witness.stall_after`; stall.ts): nudged once
 *    (mail marked nudge, `nudged_at` on its record); still stalled `witness.stall_after` later, its session
 *    is stopped and restarted like a dead one (a restart for the circuit breaker).
 * A polecat stopped by hand (`gt polecat stop`: no session recorded, not queued) is left alone.
 * Nothing is ever deleted. The pass records what it did in one ledger commit. Passes take turns under
 * the `witness` lock, so two witnesses never start the same session twice.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger } from '../ledger/ledger.js';
import type { AgentRecord } from '../agents/agent.js';
import { agentKind, withAgentEvent } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { OVERSEER } from '../ledger/layout.js';
import { RuleError, UsageError } from '../errors.js';
import { withStateLock } from '../ledger/write-lock.js';
import { sendMail } from '../mail/mail-service.js';
import { settingsOf } from '../settings/settings-service.js';
import { sessionLive } from './sessions.js';
import { livePolecats, startPolecatSession, withSession, type PolecatSession } from './spawn.js';
import { findStalls, stallNudgeText, type Stall } from './stall.js';
import { endSession } from './remove.js';
import { nudgeAgent } from '../work/nudge.js';
import { formatDuration } from '../molecules/duration.js';

/** The address the witness signs its mail with. */
export const WITNESS_ADDRESS = 'witness';
const WITNESS_LOCK_STALE_MS = 60_000;

export type WitnessAction =
  | { kind: 'restarted'; polecat: string; bead: string; pid: number; restart: number; max: number; reason: 'dead' | 'stalled'; line: string }
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
  /** The gt script sessions run as `gt` (dist/gt.mjs). */
  gtEntry: string;
}

const restartsOf = (agent: AgentRecord, bead: string): number => (agent.restart_bead === bead && agent.restarts !== undefined ? Number(agent.restarts) : 0);

/** One witness pass (see the top of this file). Only the overseer runs it. */
export async function witnessPass(ledger: Ledger, options: WitnessOptions): Promise<WitnessReport> {
  if (!ledger.actor.isOverseer) throw new RuleError('only the overseer runs the witness', 'run gt witness outside any agent (GT_AGENT unset, checkout not bound)');
  return withStateLock(ledger.repo.stateDir, 'witness', WITNESS_LOCK_STALE_MS, () => pass(ledger, options));
}

async function pass(ledger: Ledger, options: WitnessOptions): Promise<WitnessReport> {
  const view = await ledger.view();
  const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
  const command = settings.runtime.command;
  const here = hostname();
  const max = settings.witness.maxRestarts;
  const dead: { agent: AgentRecord; bead: string; stall?: Stall }[] = [];
  const queued: { agent: AgentRecord; bead: string }[] = [];
  for (const agent of [...view.agents.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    // A polecat with its sandbox on this machine, work on its hook, no session running here.
    if (agent.role !== 'polecat' || agent.worktree === undefined || !existsSync(agent.worktree)) continue;
    if (agent.session_host !== undefined && agent.session_host !== here) continue;
    const bead = hookedOn(view.beads, agent.id)[0]?.id;
    if (bead === undefined || sessionLive(agent)) continue;
    // Queued: never started (sling --spawn found no free slot). Dead: a session was started and ended.
    // Neither (no session recorded, not queued): stopped by hand (gt polecat stop); the witness leaves it.
    if (agent.session_started_at === undefined) {
      if (agent.queued_at !== undefined) queued.push({ agent, bead });
    } else dead.push({ agent, bead });
  }
  const stalls = findStalls(view, { commonDir: ledger.repo.paths.commonDir, now: ledger.now(), stallAfterMs: settings.witness.stallAfterMs });
  const nudges = stalls.filter((s) => s.step === 'nudge');
  const stalledOut = stalls.filter((s) => s.step === 'restart');
  queued.sort((a, b) => ((a.agent.queued_at ?? '') < (b.agent.queued_at ?? '') ? -1 : (a.agent.queued_at ?? '') > (b.agent.queued_at ?? '') ? 1 : a.agent.id < b.agent.id ? -1 : 1));

  const wantsSession = [...dead, ...stalledOut].filter(({ agent, bead }) => restartsOf(agent, bead) < max).length + queued.length;
  if (wantsSession > 0 && (command === undefined || command.trim() === '')) {
    throw new UsageError("runtime.command is not set: the witness cannot start a polecat session: gt config set runtime.command '<cmd>'");
  }

  let free = settings.polecats.max - livePolecats(view).length;
  const actions: WitnessAction[] = [];
  const restarted: { name: string; bead: string; session: PolecatSession; restart: number; stall?: Stall }[] = [];
  const started: { name: string; session: PolecatSession }[] = [];
  const stuck: { name: string; bead: string; restarts: number; stall?: Stall }[] = [];
  const start = async (agent: AgentRecord, bead: string, why: string): Promise<PolecatSession | undefined> => {
    try {
      return await startPolecatSession(ledger, { name: agent.id, bead, worktree: agent.worktree!, command: command!, gtEntry: options.gtEntry, why });
    } catch (error) {
      const message = (error as Error).message;
      actions.push({ kind: 'failed', polecat: agent.id, bead, error: message, line: `✗ could not start ${agent.id} (${bead}): ${message}` });
      return undefined;
    }
  };

  // A session still stalled after its nudge is ended here and then restarted (or found stuck) as a dead
  // one, ahead of the others: the slot it frees is its own.
  for (const stall of [...stalledOut].reverse()) {
    const { agent, bead } = stall;
    try {
      await endSession(agent.id, Number(agent.session_pid));
    } catch (error) {
      const message = (error as Error).message;
      actions.push({ kind: 'failed', polecat: agent.id, bead, error: message, line: `✗ could not stop stalled ${agent.id} (${bead}): ${message}` });
      continue;
    }
    free++;
    dead.unshift({ agent, bead, stall });
  }

  // Restart first: a dead session has the first claim on a free slot.
  for (const { agent, bead, stall } of dead) {
    const count = restartsOf(agent, bead);
    if (count >= max) {
      // A stalled session stopped just now is always reported, even on an agent already escalated for the bead.
      if (stall || agent.state !== 'stuck' || agent.escalation_mail === undefined || agent.restart_bead !== bead) stuck.push({ name: agent.id, bead, restarts: count, ...(stall ? { stall } : {}) });
      continue;
    }
    if (free <= 0) continue;
    const session = await start(agent, bead, `${stall ? 'stalled, ' : ''}restart ${count + 1}/${max}`);
    if (!session) continue;
    free--;
    restarted.push({ name: agent.id, bead, session, restart: count + 1, ...(stall ? { stall } : {}) });
    const why = stall ? `stalled ${formatDuration(stall.idleMs)} and nudged, ` : '';
    actions.push({ kind: 'restarted', polecat: agent.id, bead, pid: session.pid, restart: count + 1, max, reason: stall ? 'stalled' : 'dead', line: `↻ restarted ${agent.id} (${bead}, ${why}restart ${count + 1}/${max})` });
  }
  for (const { agent, bead } of queued) {
    if (free <= 0) break;
    const session = await start(agent, bead, 'session');
    if (!session) continue;
    free--;
    started.push({ name: agent.id, session });
    actions.push({ kind: 'started', polecat: agent.id, bead, pid: session.pid, line: `▶ started ${agent.id} (${bead}) from the queue` });
  }

  if (restarted.length + started.length + stuck.length + nudges.length === 0) return { actions };
  const { result: escalated, commit } = await ledger.write((tx) => {
    const mailed: WitnessAction[] = [];
    for (const r of restarted) {
      const agent = tx.agents.get(r.name)!;
      const restartedAgent = { ...withSession(agent, r.session, tx.now), restart_bead: r.bead, restarts: String(r.restart), last_restart_at: tx.now };
      const why = r.stall ? `session stalled (no activity for ${formatDuration(r.stall.idleMs)} since its nudge at ${agent.nudged_at})` : 'session dead';
      tx.put(agentKind, withAgentEvent(restartedAgent, tx.now, `witness: ${why}, restarted (${r.bead}, restart ${r.restart}/${max}, pid ${r.session.pid})`));
    }
    for (const n of nudges) {
      const agent = tx.agents.get(n.agent.id)!;
      const mail = nudgeAgent(tx, agent.id, stallNudgeText(n.bead, n.idleMs, settings.witness.stallAfterMs), WITNESS_ADDRESS);
      const since = `${new Date(n.activity.at).toISOString()}, ${n.activity.source}`;
      tx.put(agentKind, withAgentEvent({ ...agent, nudged_at: tx.now, updated_at: tx.now }, tx.now, `witness: stalled on ${n.bead} (no activity for ${formatDuration(n.idleMs)}, last: ${since}), nudged (mail ${mail.id})`));
      mailed.push({ kind: 'nudged', polecat: agent.id, bead: n.bead, mail: mail.id, idle_ms: n.idleMs, line: `⏰ nudged ${agent.id} (${n.bead}): no activity for ${formatDuration(n.idleMs)}` });
    }
    for (const s of started) tx.put(agentKind, withAgentEvent(withSession(tx.agents.get(s.name)!, s.session, tx.now), tx.now, `witness: started from the queue (pid ${s.session.pid})`));
    for (const s of stuck) {
      const agent = tx.agents.get(s.name)!;
      // Once per bead: a mail already sent for this bead is not sent again.
      const already = agent.restart_bead === s.bead ? agent.escalation_mail : undefined;
      const mail =
        already ??
        sendMail(tx, {
          to: OVERSEER,
          from: WITNESS_ADDRESS,
          subject: `⚠ ${s.name} stuck on ${s.bead} after ${s.restarts} restart${s.restarts === 1 ? '' : 's'}`,
          body: [
            `Polecat ${s.name} has no session running and ${s.bead} is still on its hook after ${s.restarts} restart${s.restarts === 1 ? '' : 's'} (witness.max_restarts = ${max}).`,
            `The witness will not restart it again for this bead.`,
            '',
            `See what happened: gt peek ${s.name}`,
            `Its sandbox: ${agent.worktree}`,
            `Take the bead back: gt unsling ${s.bead}`,
          ].join('\n'),
        }).id;
      const stuckAgent = { ...agent, state: 'stuck' as const, restart_bead: s.bead, restarts: String(s.restarts), escalation_mail: mail, updated_at: tx.now };
      const stopped = s.stall ? `session stalled since its nudge at ${agent.nudged_at}, stopped (no restart left); ` : '';
      tx.put(agentKind, already === undefined || s.stall ? withAgentEvent(stuckAgent, tx.now, `witness: ${stopped}stuck on ${s.bead} after ${s.restarts} restarts, escalated (mail ${mail})`) : stuckAgent);
      mailed.push({ kind: 'stuck', polecat: s.name, bead: s.bead, restarts: s.restarts, mail, line: `⚠ ${s.name} stuck on ${s.bead} after ${s.restarts} restart${s.restarts === 1 ? '' : 's'}${s.stall ? ' (stalled: session stopped)' : ''}: mailed the overseer` });
    }
    const parts = [
      ...restarted.map((r) => `restarted ${r.name}${r.stall ? ' (stalled)' : ''} (${r.bead}, ${r.restart}/${max}, pid ${r.session.pid})`),
      ...nudges.map((n) => `nudged stalled ${n.agent.id} (${n.bead})`),
      ...started.map((s) => `started ${s.name} (pid ${s.session.pid})`),
      ...stuck.map((s) => `${s.name} stuck on ${s.bead}`),
    ];
    return { result: mailed, message: `witness: ${parts.join('; ')}` };
  });
  actions.push(...escalated);
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
