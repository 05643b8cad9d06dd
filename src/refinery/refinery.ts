/**
 * The refinery: takes queued merge requests in order and, in a worktree of its own, merges them onto
 * the target's tip, runs the tests, and moves the target with a compare-and-swap. Several queued
 * requests are tried together; when that batch fails, it is split in halves (bisect) until each bad
 * request stands alone, so a busy queue is not one full test run per request.
 *
 * Crash safety: a request is claimed (queued → merging) before any work, and the commit the target is
 * about to move to is noted on it before the move. A restarted refinery finds merging requests whose
 * run is gone: if the target holds the noted commit, the move happened and the request is recorded
 * merged; else it goes back in the queue. The target itself only ever moves by compare-and-swap, from
 * one tested tip to the next, so it is always before or after a merge, never between. Runs take turns
 * under the `refinery` state lock, and a claim is a checked transition: no request is merged twice.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Ledger, Transaction } from '../ledger/ledger.js';
import { mergeAgentBranches } from '../ledger/agent-merge.js';
import { AGENT_REF_PREFIX } from '../ledger/layout.js';
import { withStateLock } from '../ledger/write-lock.js';
import { signatureOf } from '../ledger/actor.js';
import { openLedger } from '../kinds.js';
import { GtError, RefConflictError, LockBusyError, RuleError } from '../errors.js';
import { CheckoutBusyError } from '../git/worktrees.js';
import { bringOnto, fetchRemoteTip, isAncestor, prepareWorktree, pushWithLease } from '../git/merge-work.js';
import { settingsOf, type Settings } from '../settings/settings-service.js';
import type { MergeRequest } from '../mrs/mr.js';
import { claimRequest, notePendingMerge, requeueRequest } from '../mrs/mr-service.js';
import { REFINERY_ADDRESS, escalateIfDue, queueOrder, recordConflict, recordFailed, recordMerged } from '../work/merge-queue.js';
import { writeAndLand } from '../work/close-and-land.js';
import { landedLine } from '../convoys/convoy-service.js';
import { pidAlive } from '../polecats/sessions.js';

export interface RefineryAction {
  kind: 'merged' | 'conflict' | 'failed' | 'waiting' | 'resumed' | 'escalated' | 'landed' | 'branch';
  /** The request concerned. */
  mr?: string;
  /** One line for people. */
  line: string;
}

export interface RefineryOptions {
  /** Work through what is queued now, then stop (else keep watching the queue). */
  once?: boolean;
  /** Called with each action as it happens (the loop prints them). */
  onAction?: (action: RefineryAction) => void;
  /** How long the loop waits between looks at an empty (or waiting) queue; default 2 s. */
  pollMs?: number;
  /** Asked between requests: true stops the loop. */
  stopped?: () => boolean;
  /** Without refinery.target, return at once instead of refusing (`gt watch` runs the refinery only when one is set). */
  ifConfigured?: boolean;
}

/** Lines of test output kept on a failed request and in the bead's notes. */
export const TAIL_LINES = 20;
/** A killed refinery's lock is taken over after this long (proper-lockfile refreshes it meanwhile). */
const REFINERY_LOCK_STALE_MS = 10_000;
const OUTPUT_KEPT = 64 * 1024;

const RUNNER = `${hostname()}:${process.pid}`;

/** Whether the run that claimed a request may still be working on it. */
function runnerAlive(runner: string | undefined): boolean {
  if (!runner) return false;
  const colon = runner.lastIndexOf(':');
  const [host, pid] = [runner.slice(0, colon), Number(runner.slice(colon + 1))];
  return host === hostname() && pid !== process.pid && pidAlive(pid);
}

/** The last `TAIL_LINES` non-empty lines of some output. */
export function tailOf(output: string): string {
  return output.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').slice(-TAIL_LINES).join('\n') || '(no output)';
}

interface TestOutcome {
  ok: boolean;
  tail: string;
  why: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY']) delete env[key];
  return env;
}

/** Runs the test command in the worktree, in a process group of its own so that a timeout stops all of it. */
function runTests(worktree: string, command: string | undefined, timeoutMs: number): Promise<TestOutcome> {
  if (command === undefined) return Promise.resolve({ ok: true, tail: '', why: 'no refinery.test_command: merged untested' });
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn('sh', ['-c', command], { cwd: worktree, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, tail: error.message, why: `the test command could not start: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = tailOf(output);
      if (timedOut) resolve({ ok: false, tail, why: `the tests timed out after ${Math.round(timeoutMs / 1000)} s (refinery.test_timeout)` });
      else if (code === 0) resolve({ ok: true, tail, why: 'tests passed' });
      else resolve({ ok: false, tail, why: `the tests failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${command}` });
    });
  });
}

type MoveOutcome = { moved: true } | { moved: false; raced: true } | { moved: false; waiting: string };

/** One refinery run over a ledger, holding the refinery lock. */
class Refinery {
  readonly actions: RefineryAction[] = [];

  constructor(
    private readonly ledger: Ledger,
    private readonly options: RefineryOptions,
  ) {}

  private get commonDir(): string {
    return this.ledger.repo.paths.commonDir;
  }

  private act(action: RefineryAction): void {
    this.actions.push(action);
    this.options.onAction?.(action);
  }

  private async settings(): Promise<Settings> {
    return settingsOf(await this.ledger.view(), { gitDir: this.ledger.repo.paths.gitDir });
  }

  /** The target's tip where the refinery moves it: the local branch, or the remote's. */
  private targetTip(settings: Settings, target: string): string | undefined {
    const remote = settings.refinery.remote;
    if (remote) return fetchRemoteTip(this.commonDir, remote, target);
    return this.ledger.repo.refs.resolve(`refs/heads/${target}`) ?? undefined;
  }

  /** Moves the target from `from` to `to` by compare-and-swap (a lease on the remote), as updateInstead would for a checkout of it. */
  private moveTarget(settings: Settings, target: string, from: string, to: string, what: string): MoveOutcome {
    const remote = settings.refinery.remote;
    if (remote) {
      const worktree = prepareWorktree(this.commonDir, to);
      return pushWithLease(worktree, remote, target, from, to) ? { moved: true } : { moved: false, raced: true };
    }
    try {
      const when = new Date(this.ledger.now());
      this.ledger.repo.refs.compareAndSwap({ ref: `refs/heads/${target}`, expected: from, next: to, message: `refinery: ${what}`, who: signatureOf(this.ledger.actor, when) });
      return { moved: true };
    } catch (error) {
      if (error instanceof RefConflictError || error instanceof LockBusyError) return { moved: false, raced: true };
      if (error instanceof CheckoutBusyError) return { moved: false, waiting: error.message.replace(/; nothing was written$/, '') };
      throw error;
    }
  }

  /** The ledger tip and agent branches as the last merge of agent branches found them (see mergeAgentWork). */
  private mergedAt = '';

  /**
   * Brings agents' ledger writes (their gt done) onto the ledger, unless nothing moved since the last
   * time: the merge holds the ledger's write lock while it looks at every agent branch, and a loop
   * polling an idle queue made each agent's gt done wait for it (the refinery bench: gt done took
   * 1.9 s instead of 0.8 s beside a refinery polling every 0.5 s with 11 agents).
   */
  private async mergeAgentWork(): Promise<void> {
    const refs = this.ledger.repo.refs;
    const state = (): string => `${this.ledger.ledgerTip() ?? ''}\n${[...refs.list(AGENT_REF_PREFIX)].map(([ref, oid]) => `${oid} ${ref}`).sort().join('\n')}`;
    // Taken before merging: a branch that moves during the merge is looked at again next time (and a
    // merge that moved something costs one more pass that finds nothing).
    const before = state();
    if (before === this.mergedAt) return;
    await mergeAgentBranches(this.ledger);
    this.mergedAt = before;
  }

  async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 2000;
    for (;;) {
      if (this.options.stopped?.()) return;
      await this.mergeAgentWork();
      const settings = await this.settings();
      await this.resumeInterrupted(settings);
      const queue = queueOrder(await this.ledger.view());
      let waiting = false;
      if (queue.length > 0) {
        const target = queue[0]!.target;
        const batch = queue.filter((m) => m.target === target).slice(0, settings.refinery.batchMax);
        const claimed = await this.claim(batch);
        if (claimed.length > 0) waiting = (await this.process(settings, claimed)) === 'waiting';
        if (!waiting) continue;
      }
      if (this.options.once) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  private async claim(batch: MergeRequest[]): Promise<MergeRequest[]> {
    const { result } = await this.ledger.write((tx) => {
      const claimed = batch.map((m) => claimRequest(tx, m.id, RUNNER)).filter((m): m is MergeRequest => m !== undefined);
      return { result: claimed, message: `refinery: merging ${claimed.map((m) => m.id).join(', ') || 'nothing'}` };
    });
    return result;
  }

  /** Requests left `merging` by a run that is gone: recorded merged if the target holds their noted commit, else queued again. */
  private async resumeInterrupted(settings: Settings): Promise<void> {
    const view = await this.ledger.view();
    // Oldest first, whatever order the ledger's files come in.
    const orphans = [...view.mrs.values()]
      .filter((m) => m.status === 'merging' && !runnerAlive(m.runner) && m.runner !== RUNNER)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || (a.id < b.id ? -1 : 1));
    if (orphans.length === 0) return;
    const landedIn = new Map<string, string>();
    for (const mr of orphans) {
      const tip = this.targetTip(settings, mr.target);
      if (mr.merge_commit && tip && isAncestor(this.commonDir, mr.merge_commit, tip)) landedIn.set(mr.id, mr.merge_commit);
    }
    const { landed } = await writeAndLand(this.ledger, (tx) => {
      for (const mr of orphans) {
        const commit = landedIn.get(mr.id);
        if (commit) {
          recordMerged(tx, mr.id, commit, `merged at ${commit.slice(0, 12)} (found on ${mr.target} after run ${mr.runner ?? '?'} was interrupted)`);
          this.act({ kind: 'merged', mr: mr.id, line: `✓ ${mr.id} was merged into ${mr.target} at ${commit.slice(0, 12)} before its run was interrupted: ${mr.bead} closed` });
        } else {
          requeueRequest(tx, mr.id, `queued again: run ${mr.runner ?? '?'} was interrupted before moving ${mr.target}`);
          this.act({ kind: 'resumed', mr: mr.id, line: `↺ ${mr.id} queued again (run ${mr.runner ?? '?'} was interrupted; ${mr.target} was not moved)` });
        }
      }
      return { result: undefined, message: `refinery: resume ${orphans.map((m) => m.id).join(', ')}` };
    });
    for (const convoy of landed) this.act({ kind: 'landed', line: landedLine(convoy) });
  }

  /** Merges a claimed batch; one alone gets its verdict, a failing batch is bisected. 'waiting': the target cannot be moved now. */
  private async process(settings: Settings, claimed: MergeRequest[]): Promise<'done' | 'waiting'> {
    const target = claimed[0]!.target;
    const strategy = settings.refinery.strategy;
    for (;;) {
      const tip = this.targetTip(settings, target);
      if (!tip) return this.wait(claimed, `the target branch ${target} does not exist${settings.refinery.remote ? ` on ${settings.refinery.remote}` : ''}`);
      const worktree = prepareWorktree(this.commonDir, tip);
      const steps: { mr: MergeRequest; head: string }[] = [];
      for (const mr of claimed) {
        const bead = (await this.ledger.view()).beads.get(mr.bead);
        const step = bringOnto(worktree, mr.commit, strategy, `Merge ${mr.branch} into ${target} (${mr.id}: ${mr.bead}${bead ? ` ${bead.title}` : ''})`);
        if (!step.ok) {
          if (claimed.length > 1) return this.bisect(settings, claimed);
          if (step.files.length === 0) {
            // Not a conflict (a commit gone, a broken merge): the agent gets git's own words.
            const why = `git could not bring ${mr.branch} onto ${target}: ${step.message}`;
            await this.verdict(settings, mr, (tx) => {
              recordFailed(tx, mr.id, step.message, why);
              this.act({ kind: 'failed', mr: mr.id, line: `✗ ${mr.id}: ${why}; ${mr.bead} back to ${mr.agent}` });
              return `failed ${mr.id}: ${why}`;
            });
            return 'done';
          }
          await this.verdict(settings, mr, (tx) => {
            const { bead: resolver } = recordConflict(tx, mr.id, step.files);
            this.act({ kind: 'conflict', mr: mr.id, line: `✗ ${mr.id} (${mr.branch}) conflicts with ${target} in ${step.files.join(', ') || '(no file named)'}: ${resolver.id} slung to ${mr.agent}` });
            return `conflict in ${mr.branch}: ${resolver.id} for ${mr.agent}`;
          });
          return 'done';
        }
        steps.push({ mr, head: step.head });
      }
      const result = steps.at(-1)!.head;
      const test = await runTests(worktree, settings.refinery.testCommand, settings.refinery.testTimeoutMs);
      if (!test.ok) {
        if (claimed.length > 1) return this.bisect(settings, claimed);
        const mr = claimed[0]!;
        await this.verdict(settings, mr, (tx) => {
          recordFailed(tx, mr.id, test.tail, test.why);
          this.act({ kind: 'failed', mr: mr.id, line: `✗ ${mr.id} (${mr.branch}): ${test.why}; ${mr.bead} back to ${mr.agent}` });
          return `failed ${mr.id}: ${test.why}`;
        });
        return 'done';
      }
      await this.ledger.write((tx) => {
        for (const s of steps) notePendingMerge(tx, s.mr.id, s.head);
        return { result: undefined, message: `refinery: moving ${target} to ${result.slice(0, 12)} for ${claimed.map((m) => m.id).join(', ')}` };
      });
      const ids = claimed.map((m) => m.id).join(', ');
      const moved = this.moveTarget(settings, target, tip, result, `merge ${ids}`);
      if (!moved.moved && 'raced' in moved) continue;
      if (!moved.moved) return this.wait(claimed, moved.waiting);
      const { result: merged, landed } = await writeAndLand(this.ledger, (tx) => {
        const done = steps.flatMap((s) => recordMerged(tx, s.mr.id, s.head, `merged into ${target} at ${s.head.slice(0, 12)}${claimed.length > 1 ? ` (batch of ${claimed.length})` : ''}; ${test.why}`));
        return { result: done, message: `refinery: merged ${done.map((m) => `${m.id} (${m.bead})`).join(', ')} into ${target} at ${result.slice(0, 12)}` };
      });
      for (const m of merged) this.act({ kind: 'merged', mr: m.id, line: `✓ merged ${m.id} (${m.branch}) into ${target} at ${m.merge_commit!.slice(0, 12)}: ${m.bead} closed` });
      for (const convoy of landed) this.act({ kind: 'landed', line: landedLine(convoy) });
      this.advanceBranches(steps.map((s) => s.mr), result);
      return 'done';
    }
  }

  /** Halves a failing batch and merges each half in turn (against the tip the first one leaves). */
  private async bisect(settings: Settings, claimed: MergeRequest[]): Promise<'done' | 'waiting'> {
    const half = Math.ceil(claimed.length / 2);
    const [first, second] = [claimed.slice(0, half), claimed.slice(half)];
    this.act({ kind: 'waiting', line: `… batch ${claimed.map((m) => m.id).join(', ')} failed together: trying ${first.map((m) => m.id).join(', ')} and ${second.map((m) => m.id).join(', ')} apart` });
    if ((await this.process(settings, first)) === 'waiting') return this.wait(second, (await this.ledger.view()).mrs.get(first[0]!.id)?.waiting ?? 'waiting for the target');
    return this.process(settings, second);
  }

  private async wait(claimed: MergeRequest[], why: string): Promise<'waiting'> {
    await this.ledger.write((tx) => {
      for (const mr of claimed) if (tx.mrs.get(mr.id)?.status === 'merging') requeueRequest(tx, mr.id, why, { waiting: true });
      return { result: undefined, message: `refinery: waiting: ${why}` };
    });
    for (const mr of claimed) this.act({ kind: 'waiting', mr: mr.id, line: `… ${mr.id} waits: ${why}` });
    return 'waiting';
  }

  /** Records a conflict or failure (and the escalation it may call for) in one commit. */
  private async verdict(settings: Settings, mr: MergeRequest, record: (tx: Transaction) => string): Promise<void> {
    await this.ledger.write((tx) => {
      const message = record(tx);
      if (escalateIfDue(tx, mr.id, settings.refinery.maxAttempts)) {
        this.act({ kind: 'escalated', mr: mr.id, line: `⚠ ${mr.bead} has failed to merge ${tx.mrs.get(mr.id)!.attempts} times: the overseer was mailed` });
      }
      return { result: undefined, message: `refinery: ${message}` };
    });
  }

  /** Each merged agent branch still at the submitted commit follows the target (its checkout too, if clean). */
  private advanceBranches(merged: MergeRequest[], to: string): void {
    const when = new Date(this.ledger.now());
    for (const mr of merged) {
      const ref = `refs/heads/${mr.branch}`;
      if (mr.branch === mr.target || this.ledger.repo.refs.resolve(ref) !== mr.commit) continue;
      try {
        this.ledger.repo.refs.compareAndSwap({ ref, expected: mr.commit, next: to, message: `refinery: ${mr.id} merged, follow ${mr.target}`, who: signatureOf(this.ledger.actor, when) });
        this.act({ kind: 'branch', mr: mr.id, line: `→ ${mr.branch} moved forward to ${mr.target}` });
      } catch (error) {
        if (!(error instanceof GtError)) throw error;
        this.act({ kind: 'branch', mr: mr.id, line: `… ${mr.branch} left where it is: ${error.message}` });
      }
    }
  }
}

/** `gt refinery run`: one refinery at a time per repository (the `refinery` state lock); returns what it did. */
export async function runRefinery(cwd: string, options: RefineryOptions = {}): Promise<RefineryAction[]> {
  const ledger = openLedger({ cwd, systemActor: REFINERY_ADDRESS });
  try {
    const settings = settingsOf(await ledger.view(), { gitDir: ledger.repo.paths.gitDir });
    if (!settings.refinery.target && options.ifConfigured) return [];
    if (!settings.refinery.target) throw new RuleError('refinery.target is not set: the refinery has no branch to merge onto', 'set it: gt config set refinery.target main');
    const refinery = new Refinery(ledger, options);
    await withStateLock(ledger.repo.stateDir, 'refinery', REFINERY_LOCK_STALE_MS, () => refinery.run());
    return refinery.actions;
  } finally {
    ledger.close();
  }
}
