/**
 * `gt handoff [-m <text>]`, run by an agent inside a session its loop started: the message is left for
 * the loop (a machine-local file beside the session log), then the session's process group is ended;
 * the loop starts a fresh session with the same hook, the message first in its prime, not counted as
 * a restart.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ledger } from '../ledger/ledger.js';
import { hookedOn } from '../agents/hook.js';
import { RuleError } from '../errors.js';
import { handoffPath, processOfPolecat } from './sessions.js';
import { signalGroup } from './processes.js';

export interface HandoffResult {
  polecat: string;
  /** The first bead on its hook, which the next session takes up. */
  bead?: string;
  message: string;
  /** The loop that starts the next session. */
  loop: number;
  /** The process group ended: this session. */
  session: number;
}

/** The process group this process is in (`/proc/self/stat`), or undefined without /proc. */
function ownProcessGroup(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** Leaves the message for the loop; the caller prints the result, then calls `end` to end the session. */
export async function requestHandoff(ledger: Ledger, message: string, env: NodeJS.ProcessEnv = process.env): Promise<{ result: HandoffResult; end: () => void }> {
  const outside = 'gt handoff ends a polecat session its loop started (gt sling --spawn, gt polecat run); here is none';
  if (ledger.actor.isOverseer) throw new RuleError(`${outside}: you are the overseer, not an agent in a session`);
  const name = ledger.actor.name;
  const loop = Number(env.GT_LOOP_PID);
  if (!Number.isSafeInteger(loop) || loop <= 0 || env.GT_AGENT !== name) throw new RuleError(`${outside} (GT_LOOP_PID is not set for ${name})`);
  if (!processOfPolecat(loop, name, 'loop')) throw new RuleError(`${outside}: ${name}'s loop (pid ${loop}) is not running`);
  const session = ownProcessGroup();
  if (session === undefined || session === loop || session <= 1) throw new RuleError(`${outside}: this process is not in a session's process group`);
  const path = handoffPath(ledger.repo.paths.commonDir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, message);
  const bead = hookedOn((await ledger.view()).beads, name)[0]?.id;
  return { result: { polecat: name, ...(bead !== undefined ? { bead } : {}), message, loop, session }, end: () => signalGroup(session, 'SIGTERM') };
}
