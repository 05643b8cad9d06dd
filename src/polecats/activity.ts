/**
 * A polecat's last sign of life, measured from what it leaves behind rather than from anything it
 * reports: its session starting (the process the witness checks is alive), its ledger writes (its
 * agent branch, its record's last_activity), its commits in the sandbox (HEAD), its session log growing.
 */
import { statSync } from 'node:fs';
import type { AgentRecord } from '../agents/agent.js';
import { AGENT_REF_PREFIX } from '../ledger/layout.js';
import { headAndRefTimes } from '../git/sandbox-work.js';
import { logPath } from './sessions.js';

export type ActivitySource = 'session' | 'ledger' | 'commit' | 'log';

export interface Activity {
  /** Epoch ms. */
  at: number;
  /** What showed it: its session's start, a ledger write, a commit in its sandbox, its log. */
  source: ActivitySource;
}

function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The latest of every sign of activity of a polecat on this machine; undefined when it left none. */
export function lastActivity(commonDir: string, agent: AgentRecord): Activity | undefined {
  const signs: { at: number | undefined; source: ActivitySource }[] = [
    { at: timeOf(agent.session_started_at), source: 'session' },
    { at: timeOf(agent.last_activity), source: 'ledger' },
  ];
  if (agent.worktree !== undefined) {
    // HEAD first; the agent branch's tip second, unless it is absent or the same commit.
    const [head, ledger] = headAndRefTimes(agent.worktree, `${AGENT_REF_PREFIX}${agent.id}`);
    signs.push({ at: head, source: 'commit' }, { at: ledger, source: 'ledger' });
  }
  try {
    signs.push({ at: statSync(logPath(commonDir, agent.id)).mtimeMs, source: 'log' });
  } catch {
    // No log on this machine.
  }
  let best: Activity | undefined;
  for (const s of signs) if (s.at !== undefined && (best === undefined || s.at > best.at)) best = { at: s.at, source: s.source };
  return best;
}
