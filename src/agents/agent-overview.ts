/** `gt agents`: every agent the ledger knows of, with what it is doing. */
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import { AGENT_REF_PREFIX, OVERSEER } from '../ledger/layout.js';
import { agentsWithWork, hookedOn, isOnHook } from './hook.js';
import type { AgentRole, AgentState } from './agent.js';

export interface AgentOverview {
  name: string;
  role: AgentRole;
  state: AgentState;
  hooked: string[];
  /** Latest of the record's activity and the agent branch's last commit. */
  last_activity?: string;
  branch?: string;
  /** The agent has a record in agents/ (else it is only known from its branch or hooked work). */
  registered: boolean;
}

/** Working agents with no activity for this long are shown as stuck (GT_STUCK_MINUTES, default 120). */
export function stuckAfterMs(): number {
  const minutes = Number(process.env.GT_STUCK_MINUTES);
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : 120) * 60_000;
}

/** The agents there are: a record on the ledger, a branch gt/agents/<name>, or work on their hook. */
export function knownAgents(ledger: Ledger, tables: Pick<LedgerView, 'agents' | 'beads'>): Set<string> {
  const names = new Set<string>(tables.agents.keys());
  for (const ref of ledger.agentTips().keys()) names.add(ref.slice(AGENT_REF_PREFIX.length));
  for (const name of agentsWithWork(tables.beads)) if (name !== OVERSEER) names.add(name);
  return names;
}

export async function agentsOverview(ledger: Ledger, view: LedgerView, now = ledger.now()): Promise<AgentOverview[]> {
  const names = knownAgents(ledger, view);
  const branches = ledger.agentTips();
  const out: AgentOverview[] = [];
  for (const name of [...names].sort()) {
    const record = view.agents.get(name);
    const tip = branches.get(`${AGENT_REF_PREFIX}${name}`);
    let last = record?.last_activity;
    if (tip) {
      const commit = await ledger.cache.fullCommit(tip);
      const at = new Date(commit.committer.timestamp * 1000).toISOString();
      if (!last || at > last) last = at;
    }
    const hooked = hookedOn(view.beads, name).map((b) => b.id);
    let state: AgentState = hooked.length > 0 ? 'working' : 'idle';
    if (record?.state === 'stuck' || (state === 'working' && last !== undefined && now - Date.parse(last) > stuckAfterMs())) state = 'stuck';
    out.push({
      name,
      role: record?.role ?? 'polecat',
      state,
      hooked,
      ...(last ? { last_activity: last } : {}),
      ...(tip ? { branch: `gt/agents/${name}` } : {}),
      registered: record !== undefined,
    });
  }
  return out;
}
