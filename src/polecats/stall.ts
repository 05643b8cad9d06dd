/**
 * Stalls: a polecat whose session runs here with work on its hook, but which has shown no activity
 * (activity.ts) for `witness.stall_after`. The witness nudges it once; if it is still stalled
 * `witness.stall_after` after that nudge, the witness restarts its session. Any activity after the
 * nudge (a restart included: a new session is activity) ends that episode, and a later stall gets a
 * new nudge. The decisions are here (findStalls); the witness acts on them.
 */
import type { AgentRecord } from '../agents/agent.js';
import type { LedgerView } from '../ledger/view.js';
import { hookedOn } from '../agents/hook.js';
import { formatDuration } from '../molecules/duration.js';
import { lastActivity, type Activity } from './activity.js';
import { sessionLive } from './sessions.js';

export type StallStep = 'nudge' | 'restart';

/** Whether a live session with work on its hook counts as stalled at `now`. */
export function isStalled(activity: Activity | undefined, now: number, stallAfterMs: number): boolean {
  return activity !== undefined && now - activity.at >= stallAfterMs;
}

/** What the witness does now about a live session with work on its hook; undefined: nothing (active, or waiting after its nudge). */
export function stallStep(agent: Pick<AgentRecord, 'nudged_at'>, activity: Activity | undefined, now: number, stallAfterMs: number): StallStep | undefined {
  if (!isStalled(activity, now, stallAfterMs)) return undefined;
  const nudged = agent.nudged_at === undefined ? NaN : Date.parse(agent.nudged_at);
  // Never nudged, or active since the last nudge: a new episode.
  if (!Number.isFinite(nudged) || activity!.at > nudged) return 'nudge';
  return now - nudged >= stallAfterMs ? 'restart' : undefined;
}

/** The nudge the witness sends a stalled polecat. */
export function stallNudgeText(bead: string, idleMs: number, stallAfterMs: number): string {
  return [
    `The witness sees no activity from you for ${formatDuration(idleMs)} (no commit, no gt write, no output) while ${bead} is on your hook.`,
    `Carry on with ${bead}: commit what you have, and run \`gt done\` when it is finished.`,
    `If you are blocked, say so: gt mail send overseer -s "blocked on ${bead}" -m "<why>".`,
    `Without a sign of activity within ${formatDuration(stallAfterMs)}, the witness restarts your session (nothing in your sandbox is lost).`,
  ].join('\n');
}

export interface Stall {
  agent: AgentRecord;
  bead: string;
  step: StallStep;
  activity: Activity;
  /** How long it has shown nothing, in ms. */
  idleMs: number;
}

/** The polecats whose session runs here, with work on their hook, that the witness must nudge or restart now. */
export function findStalls(view: LedgerView, options: { commonDir: string; now: number; stallAfterMs: number }): Stall[] {
  const stalls: Stall[] = [];
  for (const agent of [...view.agents.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (agent.role !== 'polecat' || !sessionLive(agent)) continue;
    const bead = hookedOn(view.beads, agent.id)[0]?.id;
    if (bead === undefined) continue;
    const activity = lastActivity(options.commonDir, agent);
    const step = stallStep(agent, activity, options.now, options.stallAfterMs);
    if (step !== undefined) stalls.push({ agent, bead, step, activity: activity!, idleMs: options.now - activity!.at });
  }
  return stalls;
}
