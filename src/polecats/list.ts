/** `gt polecat list` and `gt peek`: polecats as this machine sees them. */
import { existsSync } from 'node:fs';
import type { LedgerView } from '../ledger/view.js';
import { hookedOn } from '../agents/hook.js';
import { NotFoundError, RuleError } from '../errors.js';
import { logPath, sessionLive, tailOf } from './sessions.js';
import { lastActivity } from './activity.js';
import { isStalled } from './stall.js';

export type PolecatState = 'working' | 'stalled' | 'idle' | 'dead' | 'queued' | 'stuck';

export interface PolecatInfo {
  name: string;
  /**
   * working: its loop runs on this machine with work on its hook; stalled: so, but it has shown no
   * activity for witness.stall_after (the witness nudges it, then restarts its session); queued: its hook
   * holds work and no loop was started yet (waiting for a slot, gt witness starts it); stuck: gt gave up
   * restarting it for that work; dead: no loop runs but its hook holds work; idle: nothing on its hook
   * (its loop may still wait for work, up to polecats.idle_exit).
   */
  state: PolecatState;
  /** The first bead on its hook. */
  bead?: string;
  worktree?: string;
  /** Its loop's pid (`gt polecat run`). */
  pid?: number;
  /** The agent session its loop runs now. */
  agent_pid?: number;
  host?: string;
  started?: string;
  /** Restarts (by its loop or the witness) for this bead. */
  restarts?: number;
  /** Its last sign of activity seen from this machine (ISO), and what showed it (see activity.ts). */
  last_activity?: string;
  last_activity_source?: string;
}

export interface ListContext {
  /** The repository's git common dir (where session logs are). */
  commonDir: string;
  /** Now, epoch ms (the ledger's clock). */
  now: number;
  /** witness.stall_after in ms. */
  stallAfterMs: number;
}

export function polecatList(view: LedgerView, context: ListContext): PolecatInfo[] {
  return [...view.agents.values()]
    .filter((a) => a.role === 'polecat')
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((a) => {
      const bead = hookedOn(view.beads, a.id)[0]?.id;
      const live = sessionLive(a);
      const activity = lastActivity(context.commonDir, a);
      const state: PolecatState =
        bead === undefined
          ? 'idle'
          : live
            ? isStalled(activity, context.now, context.stallAfterMs)
              ? 'stalled'
              : 'working'
          : a.session_pid === undefined && a.queued_at !== undefined
            ? 'queued'
            : a.state === 'stuck' && a.restart_bead === bead
              ? 'stuck'
              : 'dead';
      return {
        name: a.id,
        state,
        ...(bead !== undefined ? { bead } : {}),
        ...(a.worktree !== undefined ? { worktree: a.worktree } : {}),
        ...(a.session_pid !== undefined ? { pid: Number(a.session_pid) } : {}),
        ...(a.agent_pid !== undefined && live ? { agent_pid: Number(a.agent_pid) } : {}),
        ...(a.session_host !== undefined ? { host: a.session_host } : {}),
        ...(a.session_started_at !== undefined ? { started: a.session_started_at } : {}),
        ...(a.restart_bead === bead && a.restarts !== undefined ? { restarts: Number(a.restarts) } : {}),
        ...(activity !== undefined ? { last_activity: new Date(activity.at).toISOString(), last_activity_source: activity.source } : {}),
      };
    });
}

/** The last `lines` lines of a polecat's session log. */
export function peekPolecat(view: LedgerView, commonDir: string, name: string, lines: number): string[] {
  const agent = view.agents.get(name);
  if (!agent || agent.role !== 'polecat') throw new NotFoundError('polecat', name, [...view.agents.values()].filter((a) => a.role === 'polecat').map((a) => a.id).sort());
  const path = logPath(commonDir, name);
  if (!existsSync(path)) throw new RuleError(`${name} has no session log on this machine (${path})`, 'its sessions run elsewhere, or it has not been spawned here');
  return tailOf(path, lines);
}
