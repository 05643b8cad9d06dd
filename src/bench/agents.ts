/**
 * Agent branches for the `gt merge` timing, prepared in-process with the library (500 CLI calls
 * would take minutes). Each edit opens the ledger as its agent, writes one commit and closes it, as
 * one `gt --as <agent> update` process would: the index is then left in the state real agents leave
 * it in (a long-lived Ledger making 50 writes compacts every commit it touched into index.json).
 */
import { openLedger } from '../kinds.js';
import { addComment, updateBead, type UpdateBeadInput } from '../beads/bead-service.js';
import { Rng } from './prng.js';

const LABELS = ['backend', 'perf', 'urgent', 'needs-review', 'flaky', 'api', 'docs'];
const STATUSES = ['in_progress', 'blocked', 'open', 'deferred'];

function randomEdit(rng: Rng, agent: string, n: number): UpdateBeadInput | { comment: string } {
  switch (rng.int(0, 7)) {
    case 0:
      return { priority: rng.int(0, 4) };
    case 1:
      return { title: `Revised by ${agent}: step ${n}` };
    case 2:
      return { description: `Rewritten by ${agent} (edit ${n}).\nThe second line says what changed.` };
    case 3:
      return { appendNotes: `${agent}: progress note ${n}` };
    case 4:
      return { addLabels: [rng.pick(LABELS)] };
    case 5:
      return { assignee: agent };
    case 6:
      return { status: rng.pick(STATUSES) };
    default:
      return { comment: `${agent} looked at this (edit ${n}).` };
  }
}

export interface AgentPrepResult {
  writes: number;
  ms: number;
}

/** `agents` agents (a0, a1, …) each make `edits` edits to distinct random beads on their own branch. */
export async function prepareAgentBranches(cwd: string, ids: readonly string[], agents: number, edits: number, seed: number): Promise<AgentPrepResult> {
  const rng = new Rng(seed);
  const started = performance.now();
  let writes = 0;
  // Agents take turns, as concurrent agents' edits interleave in time.
  const plan: { actor: string; ids: string[] }[] = [];
  for (let a = 0; a < agents; a++) plan.push({ actor: `a${a}`, ids: rng.sample(ids, edits) });
  for (let k = 0; k < edits; k++) {
    for (const { actor, ids: targets } of plan) {
      const id = targets[k]!;
      const edit = randomEdit(rng, actor, writes);
      const ledger = openLedger({ cwd, actor });
      try {
        await ledger.write((tx) => {
          if ('comment' in edit) {
            const { bead } = addComment(tx, id, edit.comment);
            return { result: null, message: `comment ${bead.id}` };
          }
          const { bead, changed } = updateBead(tx, id, edit);
          return { result: null, message: `update ${bead.id}: ${changed.join(', ')}` };
        });
      } finally {
        ledger.close();
      }
      writes++;
    }
  }
  return { writes, ms: performance.now() - started };
}
