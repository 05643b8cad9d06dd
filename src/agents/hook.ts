/**
 * What "on the hook" means, in one place. As upstream, a bead with status `hooked` (or `in_progress`)
 * and the agent as assignee IS the hook: the agent record does not store it.
 */
import type { Bead } from '../beads/bead.js';
import { beadsWithStatus } from '../beads/readiness.js';

/** Statuses of a bead someone has taken and not finished. */
export function isOnHook(status: string): boolean {
  return status === 'hooked' || status === 'in_progress';
}

/** The unfinished work on an agent's hook, most urgent first, then oldest. */
export function hookedOn(beads: ReadonlyMap<string, Bead>, agent: string): Bead[] {
  return beadsWithStatus(beads, isOnHook)
    .filter((b) => b.assignee === agent)
    .sort((a, b) => a.priority - b.priority || (a.created_at < b.created_at ? -1 : 1));
}
