/**
 * One observer pass (DESIGN.md "Observer"): merge pending agent branches, diff the ledger from the
 * last processed commit, and for each bead that became closed, land each convoy tracking it that is
 * now complete, or else feed that convoy's next ready bead. Idempotent, and safe to run from several
 * processes at once: passes take turns under the observer lock, a closure is handled once (keyed by
 * bead and close time, so a bead reopened and closed again is handled again), and landing only ever
 * turns an open convoy closed under the write lock.
 */
import type { Ledger } from '../ledger/ledger.js';
import { mergeAgentBranches } from '../ledger/agent-merge.js';
import { withStateLock } from '../ledger/write-lock.js';
import { OVERSEER, dirOf, idFromPath } from '../ledger/layout.js';
import { beadKind, openLedger } from '../kinds.js';
import { moleculeKind } from '../molecules/molecule-kind.js';
import { settleCompletion } from '../molecules/step-ops.js';
import { closeBoundBead } from '../molecules/molecule-service.js';
import type { Molecule } from '../molecules/molecule.js';
import type { Convoy } from '../convoys/convoy.js';
import type { Bead } from '../beads/bead.js';
import type { Transaction } from '../ledger/ledger.js';
import { convoysTracking, hasWorkInHand, landComplete, landedLine, landIfComplete, readyTracked, reopenLandedWithWork, OBSERVER_ADDRESS } from '../convoys/convoy-service.js';
import { slingBead } from '../work/hook-service.js';
import { hookedOn } from '../agents/hook.js';
import { codeBranches, recordBranchCommits, watchedPatterns } from './branch-scan.js';
import { recordBacklog } from './hook-backlog.js';
import { loadCheckpoint, saveCheckpoint, writeRefsFingerprint, type Checkpoint } from './checkpoint.js';

export interface ObserveAction {
  kind: 'merged' | 'landed' | 'reopened' | 'fed' | 'recorded' | 'completed';
  /** One line for people, as `gt watch` prints it. */
  line: string;
}

export interface ObserveReport {
  actions: ObserveAction[];
  /** The ledger commit the pass processed up to. */
  ledgerTip: string | null;
}

export interface Closure {
  bead: Bead;
  /** `<id>@<closed_at>`: the same closure seen twice is handled once; a new closure of a reopened bead is new. */
  key: string;
}

const OBSERVER_LOCK_STALE_MS = 10_000;

/** The files of one directory that differ between two ledger commits, as they are at `to`. */
async function changedFiles(ledger: Ledger, from: string, to: string, dir: string): Promise<{ changed: [string, string][]; before: ReadonlyMap<string, string> }> {
  if (from === to) return { changed: [], before: new Map() };
  const [before, after] = [await ledger.snapshot(from), await ledger.snapshot(to)];
  const changed: [string, string][] = [];
  for (const [path, oid] of after.files) {
    if (dirOf(path) === dir && idFromPath(path) !== undefined && before.files.get(path) !== oid) changed.push([path, oid]);
  }
  return { changed, before: before.files };
}

/** Beads closed between two ledger commits (everything closed since `from`). */
async function closuresBetween(ledger: Ledger, from: string, to: string): Promise<Closure[]> {
  const { changed, before } = await changedFiles(ledger, from, to, beadKind.dir);
  const now = await ledger.cache.decodeAll(changed);
  const was = await ledger.cache.decodeAll(changed.filter(([path]) => before.has(path)).map(([path]) => [path, before.get(path)!]));
  const closures: Closure[] = [];
  for (const [path] of changed) {
    const current = now.get(path);
    if (!current || !('value' in current)) continue;
    const bead = current.value as Bead;
    if (bead.status !== 'closed') continue;
    const previous = was.get(path);
    const old = previous && 'value' in previous ? (previous.value as Bead) : undefined;
    if (old && old.status === 'closed' && old.closed_at === bead.closed_at) continue;
    closures.push({ bead, key: `${bead.id}@${bead.closed_at ?? ''}` });
  }
  return closures.sort((a, b) => (a.bead.closed_at ?? '').localeCompare(b.bead.closed_at ?? '') || (a.bead.id < b.bead.id ? -1 : 1));
}

/**
 * Molecules whose every step is finished but that are still active: agents finished the last steps on
 * different branches, and only the merge brought them together.
 */
async function moleculesToSettle(ledger: Ledger, from: string, to: string): Promise<string[]> {
  const { changed } = await changedFiles(ledger, from, to, moleculeKind.dir);
  const decoded = await ledger.cache.decodeAll(changed);
  const now = new Date(ledger.now()).toISOString();
  const ids: string[] = [];
  for (const file of decoded.values()) {
    if ('value' in file && settleCompletion(file.value as Molecule, now)) ids.push((file.value as Molecule).id);
  }
  return ids.sort();
}

function landedAction(convoy: Convoy): ObserveAction {
  return { kind: 'landed', line: landedLine(convoy) };
}

/** Idle = nothing unfinished on the hook. */
function isIdle(tx: Transaction, agent: string): boolean {
  return agent !== OVERSEER && agent !== OBSERVER_ADDRESS && hookedOn(tx.beads, agent).length === 0;
}

/**
 * What one closure sets off, inside the pass's transaction: each open convoy tracking the bead lands
 * if complete; otherwise its next ready bead goes to an idle feed target, or else to the agent that
 * just finished. At most one bead is fed per closure, so nobody is flooded.
 */
export function reactToClosure(tx: Transaction, closure: Closure, actions: ObserveAction[]): void {
  let fed = false;
  for (const convoy of convoysTracking(tx, closure.bead.id)) {
    const landed = landIfComplete(tx, convoy.id);
    if (landed) {
      actions.push(landedAction(landed));
      continue;
    }
    if (fed) continue;
    const next = readyTracked(tx, convoy)[0];
    if (!next) continue;
    const finisher = closure.bead.assignee;
    const target = (convoy.feed ?? []).find((agent) => isIdle(tx, agent)) ?? (finisher && isIdle(tx, finisher) ? finisher : undefined);
    if (!target) continue;
    slingBead(tx, next.id, target, { noConvoy: true });
    fed = true;
    actions.push({ kind: 'fed', line: `→ fed ${next.id} "${next.title}" to ${target} (convoy ${convoy.id}, after ${closure.bead.id} closed)` });
  }
}

/** Lands complete convoys and feeds stranded ones that have an idle feed target: the periodic sweep. */
export function sweep(tx: Transaction, actions: ObserveAction[]): void {
  for (const convoy of reopenLandedWithWork(tx)) actions.push({ kind: 'reopened', line: `↺ reopened ${convoy.id} "${convoy.title}": it landed while work was added to it elsewhere` });
  for (const landed of landComplete(tx)) actions.push(landedAction(landed));
  for (const convoy of [...tx.convoys.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (convoy.status !== 'open' || hasWorkInHand(tx, convoy)) continue;
    const next = readyTracked(tx, convoy)[0];
    const target = (convoy.feed ?? []).find((agent) => isIdle(tx, agent));
    if (!next || !target) continue;
    slingBead(tx, next.id, target, { noConvoy: true });
    actions.push({ kind: 'fed', line: `→ fed ${next.id} "${next.title}" to ${target} (stranded convoy ${convoy.id})` });
  }
}

export interface ObserveOptions {
  /** Also land and feed stranded convoys regardless of closures (`gt watch` every 30 s). */
  sweep?: boolean;
}

/** The code branch tips the last pass saw; remote-tracking ones as they are now if it did not look at them. */
function seenBranches(saved: Checkpoint | undefined, tips: ReadonlyMap<string, string>): Record<string, string> {
  if (!saved || saved.remotes) return saved?.branches ?? {};
  const tracking = [...tips].filter(([ref]) => ref.startsWith('refs/remotes/'));
  return { ...Object.fromEntries(tracking), ...saved.branches };
}

export async function observe(cwd: string, options: ObserveOptions = {}): Promise<ObserveReport> {
  const ledger = openObserver(cwd);
  try {
    return await observeWith(ledger, options);
  } finally {
    ledger.close();
  }
}

/** The ledger as the observer writes it (its own actor); `gt watch` keeps one open across passes. */
export function openObserver(cwd: string): Ledger {
  return openLedger({ cwd, systemActor: OBSERVER_ADDRESS });
}

/**
 * One pass with a ledger kept open by the caller: its views stay in memory between passes, so a pass
 * after the ledger moved reads only the shards that changed.
 */
export async function observeWith(ledger: Ledger, options: ObserveOptions = {}): Promise<ObserveReport> {
  try {
    return await withStateLock(ledger.repo.stateDir, 'observer', OBSERVER_LOCK_STALE_MS, () => pass(ledger, options));
  } finally {
    ledger.flush();
  }
}

async function pass(ledger: Ledger, options: ObserveOptions): Promise<ObserveReport> {
  const actions: ObserveAction[] = [];
  const stateDir = ledger.repo.stateDir;
  for (const report of await mergeAgentBranches(ledger)) {
    if (report.outcome !== 'merged') continue;
    actions.push({ kind: 'merged', line: `⇄ merged gt/agents/${report.agent}${report.changed.length > 0 ? `: ${report.changed.join(', ')}` : ''}` });
  }
  // Commits a git hook left because the ledger was busy: recorded first, so a closure they make is seen below.
  for (const line of await recordBacklog(ledger)) actions.push({ kind: 'recorded', line });
  const saved = loadCheckpoint(stateDir);
  const branchTips = codeBranches(ledger);
  for (const line of await recordBranchCommits(ledger, seenBranches(saved, branchTips), branchTips, await watchedPatterns(ledger))) actions.push({ kind: 'recorded', line });
  const tip = ledger.requireLedgerTip();
  // The first pass has no history to diff: it starts from now, and sweeps once.
  const firstPass = saved === undefined;
  const checkpoint: Checkpoint = saved ?? { ledger: tip, handled: [], branches: {} };
  const handled = new Set(checkpoint.handled);
  const settle = await ledger.preferringGit(() => moleculesToSettle(ledger, checkpoint.ledger, ledger.requireLedgerTip()));
  if (settle.length > 0) {
    await ledger.write((tx) => {
      const done: string[] = [];
      for (const id of settle) {
        const settled = settleCompletion(tx.molecules.get(id)!, tx.now);
        if (!settled) continue;
        tx.putEntity(moleculeKind, settled);
        const bead = closeBoundBead(tx, settled);
        done.push(id);
        actions.push({ kind: 'completed', line: `✓ molecule ${id} complete${bead ? `: closed ${bead.id}` : ''}` });
      }
      return { result: done, message: `observe: molecule${done.length === 1 ? '' : 's'} ${done.join(', ')} complete` };
    });
  }
  const closureTip = ledger.requireLedgerTip();
  const closures = (await ledger.preferringGit(() => closuresBetween(ledger, checkpoint.ledger, closureTip))).filter((c) => !handled.has(c.key));
  if (closures.length > 0 || options.sweep || firstPass) {
    const summary: string[] = [];
    await ledger.write((tx) => {
      const before = actions.length;
      for (const closure of closures) reactToClosure(tx, closure, actions);
      // Landing is state-based: a convoy completed while nobody observed still lands on the next pass.
      if (options.sweep || firstPass) sweep(tx, actions);
      else for (const landed of landComplete(tx)) actions.push(landedAction(landed));
      summary.push(...actions.slice(before).map((a) => a.line.replace(/^\S+ /, '')));
      return { result: undefined, message: `observe: ${summary.length > 0 ? summary.join('; ') : 'nothing to do'}` };
    });
  }
  // The checkpoint is the tip the closures were read from, not our own commit: a merge that landed
  // meanwhile is diffed by the next pass.
  saveCheckpoint(stateDir, { ledger: closureTip, handled: [...handled, ...closures.map((c) => c.key)], branches: Object.fromEntries(branchTips) });
  writeRefsFingerprint(stateDir, ledger.repo.refs.list('refs/heads/gt/'));
  return { actions, ledgerTip: ledger.ledgerTip() };
}

/**
 * Starts the observer's memory at the current state if it has none: set up with the ledger (`gt init`)
 * or the hooks (`gt hooks install`), every closure from then on is handled. Without it, the first
 * pass only remembers where things stand, so a clone does not replay its whole history.
 */
export function startObserving(cwd: string): void {
  const ledger = openLedger({ cwd, systemActor: OBSERVER_ADDRESS });
  try {
    const tip = ledger.ledgerTip();
    if (!tip || loadCheckpoint(ledger.repo.stateDir)) return;
    saveCheckpoint(ledger.repo.stateDir, { ledger: tip, handled: [], branches: Object.fromEntries(codeBranches(ledger)) });
  } finally {
    ledger.close();
  }
}
