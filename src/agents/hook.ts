/**
 * What "on the hook" means, in one place. As upstream, a bead with status `hooked` (or `in_progress`)
 * and the agent as assignee IS the hook: the agent record does not store it.
 */
import type { Bead } from '../beads/bead.js';
import { beadsWithStatus } from '../beads/readiness.js';
import { EntityTable } from '../ledger/entity-table.js';
import { linesAfterKey, linesKeptBut, type Derivation } from '../ledger/derived.js';

/** Statuses of a bead someone has taken and not finished. */
export function isOnHook(status: string): boolean {
  return status === 'hooked' || status === 'in_progress';
}

function hookLine(bead: Bead): string {
  return bead.assignee !== undefined && isOnHook(bead.status) ? `${bead.assignee}\t${bead.id}\n` : '';
}

/**
 * Who has what on their hook, a line `<agent>\t<bead>` per bead taken and unfinished, kept per ledger
 * tree (ledger/derived.ts): slinging to an agent or asking for its hook reads its lines, not every bead.
 */
export const HOOKS: Derivation = {
  name: 'hooks-1',
  full: (table) => `\n${beadsWithStatus(table as unknown as EntityTable<Bead>, isOnHook).map(hookLine).join('')}`,
  update: (previous, changed, table) => {
    let out = `\n${linesKeptBut(previous, changed, 1)}`;
    for (const id of changed) {
      const bead = (table as unknown as EntityTable<Bead>).get(id);
      if (bead) out += hookLine(bead);
    }
    return out;
  },
};

/** Every agent with unfinished work on its hook. */
export function agentsWithWork(beads: ReadonlyMap<string, Bead>): Set<string> {
  const kept = beads instanceof EntityTable ? beads.derived(HOOKS) : undefined;
  if (kept === undefined) return new Set(beadsWithStatus(beads, isOnHook).flatMap((b) => (b.assignee ? [b.assignee] : [])));
  const names = new Set<string>();
  for (let start = 1; start < kept.length; ) {
    const end = kept.indexOf('\n', start);
    if (end < 0) break;
    names.add(kept.slice(start, kept.indexOf('\t', start)));
    start = end + 1;
  }
  return names;
}

/** The unfinished work on an agent's hook, most urgent first, then oldest. */
export function hookedOn(beads: ReadonlyMap<string, Bead>, agent: string): Bead[] {
  const kept = beads instanceof EntityTable ? beads.derived(HOOKS) : undefined;
  let found: Bead[];
  if (kept !== undefined) {
    found = linesAfterKey(kept, agent).flatMap((id) => beads.get(id) ?? []);
  } else {
    found = beadsWithStatus(beads, isOnHook).filter((b) => b.assignee === agent);
  }
  return found.sort((a, b) => a.priority - b.priority || (a.created_at < b.created_at ? -1 : 1));
}
