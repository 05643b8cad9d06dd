/**
 * The circuit breaker, shared by the propulsion loop and the witness: restarts are counted per bead on
 * the agent record; when they run out the polecat is marked stuck and the overseer gets one escalation
 * mail for that bead (its id kept on the record, so neither the loop nor the witness sends a second).
 */
import type { Transaction } from '../ledger/ledger.js';
import type { AgentRecord } from '../agents/agent.js';
import { agentKind, withAgentEvent } from '../agents/agent.js';
import { OVERSEER } from '../ledger/layout.js';
import { sendMail } from '../mail/mail-service.js';

/** The address the witness (and the loop, gt's machinery too) signs its mail with. */
export const WITNESS_ADDRESS = 'witness';

/** Restarts counted for `bead` (0 for any other bead: a new bead is a new episode). */
export function restartsOf(agent: AgentRecord, bead: string): number {
  return agent.restart_bead === bead && agent.restarts !== undefined ? Number(agent.restarts) : 0;
}

/** Already stuck on `bead` with its escalation sent: nothing more to do for it. */
export function escalated(agent: AgentRecord, bead: string): boolean {
  return agent.state === 'stuck' && agent.restart_bead === bead && agent.escalation_mail !== undefined;
}

/**
 * Marks the polecat stuck on `bead` after `restarts` restarts and mails the overseer, once per bead.
 * `by` names who found it (`witness`, `loop`), for the event; `note` goes before it. Returns the mail id and whether it was sent now.
 */
export function markStuck(tx: Transaction, name: string, bead: string, restarts: number, max: number, by: string, note?: string): { mail: string; sent: boolean } {
  const agent = tx.agents.get(name)!;
  const already = agent.restart_bead === bead ? agent.escalation_mail : undefined;
  const s = restarts === 1 ? '' : 's';
  const mail =
    already ??
    sendMail(tx, {
      to: OVERSEER,
      from: WITNESS_ADDRESS,
      subject: `⚠ ${name} stuck on ${bead} after ${restarts} restart${s}`,
      body: [
        `Polecat ${name} made no progress on ${bead}, still on its hook after ${restarts} restart${s} (witness.max_restarts = ${max}).`,
        `gt will not restart it again for this bead.`,
        '',
        `See what happened: gt peek ${name}`,
        `Its sandbox: ${agent.worktree}`,
        `Take the bead back: gt unsling ${bead}`,
      ].join('\n'),
    }).id;
  const { agent_pid: _a, ...rest } = agent;
  const stuck = { ...rest, state: 'stuck' as const, restart_bead: bead, restarts: String(restarts), escalation_mail: mail, updated_at: tx.now };
  // `note` (what was just done, e.g. a stalled session stopped) is always recorded, even when the mail went out before.
  tx.put(agentKind, already === undefined || note !== undefined ? withAgentEvent(stuck, tx.now, `${by}: ${note ?? ''}stuck on ${bead} after ${restarts} restart${s}, escalated (mail ${mail})`) : stuck);
  return { mail, sent: already === undefined };
}
