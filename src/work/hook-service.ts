/**
 * Hooks: putting work on an agent and taking it off (what the hook is: see hook.ts). The agent record
 * only keeps role, state and activity.
 */
import type { Transaction } from '../ledger/ledger.js';
import type { Bead } from '../beads/bead.js';
import { closeBead, findBead, updateBead } from '../beads/bead-service.js';
import { agentKind } from '../kinds.js';
import { OVERSEER } from '../ledger/layout.js';
import { parseChoice } from '../ledger/validate.js';
import { RuleError, UsageError } from '../errors.js';
import { convoysTracking, createConvoy, parseAddress } from '../convoys/convoy-service.js';
import type { Convoy } from '../convoys/convoy.js';
import { hookedOn, isOnHook } from '../agents/hook.js';
import { closestIds } from '../beads/ids.js';
import { AGENT_ROLES, type AgentRecord, type AgentRole, type AgentState } from '../agents/agent.js';
import type { Protomolecule } from '../formulas/protomolecule.js';
import type { Molecule } from '../molecules/molecule.js';
import { moleculesBoundTo, pourMolecule, reassignMolecule } from '../molecules/molecule-service.js';


export function parseRole(raw: string): AgentRole {
  return parseChoice(raw, AGENT_ROLES, 'role');
}

/** Creates or updates the agent's record. */
export function touchAgent(tx: Transaction, name: string, change: { state?: AgentState; role?: AgentRole; description?: string } = {}): AgentRecord {
  const before = tx.agents.get(name);
  const record: AgentRecord = {
    ...(before ?? { id: name, role: 'polecat', state: 'idle', created_at: tx.now }),
    ...(change.state ? { state: change.state } : {}),
    ...(change.role ? { role: change.role } : {}),
    ...(change.description !== undefined ? { description: change.description } : {}),
    updated_at: tx.now,
    last_activity: tx.now,
  } as AgentRecord;
  return tx.put(agentKind, record);
}

export interface SlingResult {
  bead: Bead;
  agent: string;
  /** The convoy created to track the bead ("Work: <title>"), if one was. */
  convoy?: Convoy;
  /** Beads taken off the agent's hook to make room (with --force). */
  displaced: string[];
  /** The bead was already on this agent's hook: nothing changed (but a molecule, if one was asked for). */
  already: boolean;
  /** The molecule poured onto the bead (`--formula`). */
  molecule?: Molecule;
}

/** `gt sling --formula`: how to cook the formula, given the variables offered by default. */
export interface SlingFormula {
  /**
   * Cooks with variables bound: `defaults` (`issue` = the bead's id, `feature` = its title, as upstream)
   * under what the user gave. Returns the protomolecule and the variables as given to it.
   */
  cook(defaults: Record<string, string>): { proto: Protomolecule; vars: Record<string, string> };
}

/** Pours the formula's molecule onto a hooked bead, refusing a second active one. */
function pourOnBead(tx: Transaction, bead: Bead, agent: string, formula: SlingFormula): Molecule {
  const existing = moleculesBoundTo(tx, bead.id)[0];
  if (existing) {
    throw new RuleError(`${bead.id} already has an active molecule: ${existing.id} (${existing.formula})`, `finish it, or drop it first: gt mol burn ${existing.id}`);
  }
  const { proto, vars } = formula.cook({ issue: bead.id, feature: bead.title });
  return pourMolecule(tx, proto, { vars, assignee: agent, bead });
}

/**
 * Hooks a bead on an agent. Refused: closed or deferred beads, a bead hooked on someone else, an agent
 * whose hook holds unfinished work (each unless `force`). Unless `noConvoy` or an open convoy already
 * tracks the bead, a convoy "Work: <title>" is created, so every piece of work shows on the dashboard.
 */
export function slingBead(
  tx: Transaction,
  query: string,
  agentName: string,
  /** `agents`: the agents that exist; when given, slinging to any other name is refused (gt sling without --create-agent). */
  options: { force?: boolean; noConvoy?: boolean; formula?: SlingFormula; agents?: ReadonlySet<string> } = {},
): SlingResult {
  const agent = parseAddress(agentName);
  if (agent === OVERSEER) throw new UsageError('the overseer has no hook', 'sling to an agent name');
  const bead = findBead(tx, query);
  if (bead.status === 'closed') throw new RuleError(`${bead.id} is closed`, `reopen it first: gt reopen ${bead.id}`);
  if (bead.status === 'deferred' && !options.force) throw new RuleError(`${bead.id} is deferred`, 'sling it anyway with --force');
  if (isOnHook(bead.status) && bead.assignee === agent) {
    const molecule = options.formula ? pourOnBead(tx, bead, agent, options.formula) : undefined;
    return { bead, agent, displaced: [], already: true, ...(molecule ? { molecule } : {}) };
  }
  if (isOnHook(bead.status) && bead.assignee && !options.force) {
    throw new RuleError(`${bead.id} is already hooked on ${bead.assignee} (${bead.status})`, 'take it back with gt unsling, or re-sling with --force');
  }
  if (options.agents && !options.agents.has(agent)) {
    const closest = closestIds(agent, options.agents);
    throw new RuleError(
      `there is no agent named '${agent}'${closest.length > 0 ? ` (closest: ${closest.join(', ')})` : ''}`,
      `to create it, sling with --create-agent, or register it first: gt agents add ${agent}`,
    );
  }
  const busy = hookedOn(tx.beads, agent).filter((b) => b.id !== bead.id);
  if (busy.length > 0 && !options.force) {
    throw new RuleError(`${agent}'s hook holds unfinished work: ${busy.map((b) => b.id).join(', ')}`, 'let it finish (gt done), unsling it, or sling anyway with --force');
  }
  for (const old of busy) updateBead(tx, old.id, { status: 'open', assignee: '' });
  const { bead: hooked } = updateBead(tx, bead.id, { status: 'hooked', assignee: agent });
  touchAgent(tx, agent, { state: 'working' });
  // A molecule already on the bead follows it to its new agent, who resumes where the last one stopped.
  for (const m of moleculesBoundTo(tx, bead.id)) if (m.assignee !== agent) reassignMolecule(tx, m, agent);
  const molecule = options.formula ? pourOnBead(tx, hooked, agent, options.formula) : undefined;
  let convoy: Convoy | undefined;
  if (!options.noConvoy && convoysTracking(tx, bead.id).length === 0) {
    convoy = createConvoy(tx, { title: `Work: ${bead.title}`, beads: [bead.id], description: `Created by gt sling to track ${bead.id}` });
  }
  return { bead: hooked, agent, ...(convoy ? { convoy } : {}), displaced: busy.map((b) => b.id), already: false, ...(molecule ? { molecule } : {}) };
}

/** Takes a bead off its agent's hook: open and unassigned again. */
export function unslingBead(tx: Transaction, query: string): { bead: Bead; agent?: string } {
  const before = findBead(tx, query);
  if (!isOnHook(before.status)) throw new RuleError(`${before.id} is not on a hook (it is ${before.status})`, 'only hooked or in-progress beads can be unslung');
  const { bead } = updateBead(tx, before.id, { status: 'open', assignee: '' });
  if (before.assignee && before.assignee !== OVERSEER && hookedOn(tx.beads, before.assignee).length === 0) touchAgent(tx, before.assignee, { state: 'idle' });
  return { bead, ...(before.assignee ? { agent: before.assignee } : {}) };
}

/**
 * `gt done`: the actor closes the work on its hook and goes idle. `session` is the bead the agent's
 * session was started for (GT_BEAD): then only that one is finished. The observer may have closed it
 * already from the session's `Closes:` commit and fed the hook the next bead meanwhile; that bead is
 * the next session's, never closed unworked. A session bead already closed finishes nothing.
 */
export function finishHookedWork(tx: Transaction, reason?: string, session?: string): Bead[] {
  const agent = tx.actor.name;
  const hooked = hookedOn(tx.beads, agent);
  const own = session === undefined ? undefined : tx.beads.get(session);
  if (own !== undefined && own.status === 'closed' && !hooked.some((b) => b.id === own.id)) return [];
  const work = own !== undefined && hooked.some((b) => b.id === own.id) ? [own] : hooked;
  if (work.length === 0) throw new RuleError(`nothing is hooked on ${agent}`, tx.actor.isOverseer ? 'run gt done as the agent: gt --as <agent> done' : 'see what is ready with gt ready');
  const closed = work.map((b) => closeBead(tx, b.id, { force: true, ...(reason ? { reason } : {}) }).bead);
  if (!tx.actor.isOverseer && hookedOn(tx.beads, agent).length === 0) touchAgent(tx, agent, { state: 'idle' });
  return closed;
}
