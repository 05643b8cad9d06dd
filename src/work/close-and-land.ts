/**
 * Closing work and landing what it completes, in one transaction (upstream's onBeadClosed): whatever
 * path closes a bead (`gt close`, `gt done`, `gt update --status closed`, a molecule's last step), every
 * open convoy tracking it that is now complete lands in the same commit, with the observer's own
 * landing (landIfComplete: state-based, so the observer finds nothing left to land afterwards).
 *
 * Feeding the convoy's next ready bead stays with the observer: it is not state-based (the observer
 * remembers which closures it has handled in .git/gt/), so doing it here too would feed twice.
 */
import type { Ledger, Transaction, TxOutcome } from '../ledger/ledger.js';
import type { Convoy } from '../convoys/convoy.js';
import { convoysTracking, landedLine, landIfComplete } from '../convoys/convoy-service.js';
import { beadKind } from '../beads/bead-kind.js';
import { dirOf, idFromPath } from '../ledger/layout.js';
import { changeMolecule, stepDone, type AppliedChange, type StepDoneResult } from '../molecules/molecule-service.js';

/** Ids of the beads this transaction closed: closed now, not closed in the view it started from. */
export function beadsClosedIn(tx: Transaction): string[] {
  const ids: string[] = [];
  for (const path of tx.fileChanges.keys()) {
    const id = dirOf(path) === beadKind.dir ? idFromPath(path) : undefined;
    if (id !== undefined && tx.beads.get(id)?.status === 'closed' && tx.view.beads.get(id)?.status !== 'closed') ids.push(id);
  }
  return ids.sort();
}

/** Lands every open convoy that tracks a bead closed in this transaction and is now complete. */
export function landConvoysClosedIn(tx: Transaction): Convoy[] {
  const landed: Convoy[] = [];
  for (const id of beadsClosedIn(tx)) {
    for (const convoy of convoysTracking(tx, id)) {
      const done = landIfComplete(tx, convoy.id);
      if (done) landed.push(done);
    }
  }
  return landed;
}

/** What a command prints for a convoy it landed. */
export function landedNotice(convoy: Convoy): string {
  return `🚚 Convoy landed: ${convoy.title} (${convoy.id}), all ${(convoy.tracks ?? []).length} tracked beads closed`;
}

/**
 * `ledger.write` for a command that may close beads: after `mutate`, the convoys it completed land in
 * the same commit, and the commit message's first line says so (as the observer's would).
 */
export async function writeAndLand<T>(
  ledger: Ledger,
  mutate: (tx: Transaction) => Promise<TxOutcome<T>> | TxOutcome<T>,
): Promise<{ result: T; landed: Convoy[]; commit: string | null }> {
  const { result, commit } = await ledger.write(async (tx) => {
    const out = await mutate(tx);
    const landed = landConvoysClosedIn(tx);
    if (landed.length === 0) return { result: { result: out.result, landed }, message: out.message };
    const [subject, ...rest] = out.message.split('\n');
    const landings = landed.map((c) => landedLine(c).replace(/^\S+ /, '')).join('; ');
    return { result: { result: out.result, landed }, message: [`${subject}; ${landings}`, ...rest].join('\n') };
  });
  return { ...result, commit };
}

/**
 * `gt mol step done` (the CLI's and the MCP tool's): finishes a step of a molecule and, when that closes
 * its bead, lands what it completes in the same commit.
 */
export async function markStepDone(
  ledger: Ledger,
  molecule: string | undefined,
  step: string | undefined,
  options: { continue?: boolean; force?: boolean; skip?: boolean },
): Promise<{ applied: AppliedChange<StepDoneResult>; landed: Convoy[] }> {
  let landed: Convoy[] = [];
  const applied = await changeMolecule(
    ledger,
    molecule,
    (m, ctx) => stepDone(m, step, ctx, { continue: options.continue === true, force: options.force === true, ...(options.skip ? { skip: true } : {}) }),
    async (mutate) => {
      const out = await writeAndLand(ledger, mutate);
      landed = out.landed;
      return out;
    },
  );
  return { applied, landed };
}
