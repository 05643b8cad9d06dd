/**
 * What each installed hook does (`gt hooks run <hook> [args...]`, called by hooks/gt-hook.sh):
 *
 *   prepare-commit-msg   in an agent's checkout, a `Gt-Bead: <id>` trailer for each bead on its hook
 *   post-commit          record HEAD on the beads its message names, then an observer pass
 *   post-rewrite         the same for the rewritten commits (stdin: `<old> <new>` lines), then a pass
 *   post-merge           an observer pass
 *   post-checkout        an observer pass, after a branch checkout (third argument 1)
 *
 * Nothing here throws: every failure becomes a line for hooks.log, and the hook exits 0.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from '../kinds.js';
import { resolveId } from '../beads/ids.js';
import { observe } from '../observer/observe.js';
import { BEAD_TRAILER, parseBeadReferences } from '../beads/trailers.js';
import { recordCommits, type Rewrite } from '../beads/commit-record.js';
import { closeRuleOf } from '../work/merge-queue.js';
import { readCommits, runGit as git, type CommitInfo } from '../git/git-command.js';
import { HOOK_NAMES } from './install.js';
import { isOnHook } from '../agents/hook.js';
import { LockBusyError } from '../errors.js';
import { setLockPatience } from '../ledger/write-lock.js';
import { leaveForLater } from '../observer/hook-backlog.js';

export interface HookRunOptions {
  cwd: string;
  /** What git gave the hook on stdin (post-rewrite's list of rewritten commits). */
  stdin?: string;
  /** Where lines for hooks.log go (the installed script sends stdout there). */
  print: (line: string) => void;
}

/** The branch HEAD is on; in the middle of a rebase, the branch being rebased; else undefined (detached). */
function currentBranch(cwd: string): string | undefined {
  try {
    return git(cwd, ['symbolic-ref', '--short', '-q', 'HEAD']).trim() || undefined;
  } catch {
    // Detached: a rebase (which runs post-commit for every commit it picks) says which branch in its state.
  }
  try {
    const gitDir = resolve(cwd, git(cwd, ['rev-parse', '--git-dir']).trim());
    for (const state of ['rebase-merge', 'rebase-apply']) {
      const file = join(gitDir, state, 'head-name');
      if (existsSync(file)) return readFileSync(file, 'utf8').trim().replace(/^refs\/heads\//, '') || undefined;
    }
  } catch {
    // No branch to name.
  }
  return undefined;
}

function describe(error: unknown): string {
  const err = error as Error & { hint?: string; stderr?: string };
  const text = `${err.message ?? String(error)}${err.hint ? ` (hint: ${err.hint})` : ''}`.replace(/\s+$/, '');
  return process.env.GT_DEBUG === '1' && err.stack ? `${text}\n${err.stack}` : text;
}

async function withLedger<T>(cwd: string, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  const ledger = openLedger({ cwd });
  try {
    return await fn(ledger);
  } finally {
    ledger.close();
  }
}

/** Records commits on the beads they name. gt's own branches (a checkout of gt/ledger) are not code. */
async function record(cwd: string, commits: CommitInfo[], rewrites: Rewrite[], say: (line: string) => void): Promise<void> {
  if (!commits.some((c) => parseBeadReferences(c.message).length > 0) && !rewrites.some((r) => parseBeadReferences(r.old.message).length > 0)) return;
  const branch = currentBranch(cwd);
  if (branch?.startsWith('gt/')) return;
  const lines = await withLedger(cwd, async (ledger) => {
    try {
      return (await recordCommits(ledger, branch ?? 'detached HEAD', commits, rewrites, await closeRuleOf(ledger))).lines;
    } catch (error) {
      if (!(error instanceof LockBusyError)) throw error;
      // Never wait and hold the commit: the next observer pass records it.
      leaveForLater(ledger.repo.stateDir, { branch: branch ?? 'detached HEAD', commits, rewrites });
      const shas = [...commits.map((c) => c.sha), ...rewrites.map((r) => r.new.sha)].map((sha) => sha.slice(0, 7));
      return [`the ledger is busy: left ${[...new Set(shas)].join(', ')} for the next observer pass`];
    }
  });
  for (const line of lines) say(line);
}

/** post-rewrite's stdin: `<old-sha> <new-sha> [extra]` per rewritten commit. */
export function parseRewrites(stdin: string): { old: string; new: string }[] {
  return stdin
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 2 && /^[0-9a-f]{40,64}$/.test(parts[0]!) && /^[0-9a-f]{40,64}$/.test(parts[1]!))
    .map(([old, next]) => ({ old: old!, new: next! }));
}

async function prepareCommitMsg(cwd: string, args: string[], say: (line: string) => void): Promise<void> {
  const [file, source = ''] = args;
  if (!file || source === 'merge' || source === 'squash') return;
  const path = resolve(cwd, file);
  const text = readFileSync(path, 'utf8');
  const body = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  // An editor session with nothing written yet: a trailer would stop an empty message from aborting.
  if (body.trim() === '') return;
  const ids = await withLedger(cwd, async (ledger) => {
    if (ledger.actor.isOverseer) return [];
    const view = await ledger.view();
    const known = [...view.beads.keys()];
    const named = new Set<string>();
    for (const ref of parseBeadReferences(body, { prefix: view.config.prefix })) {
      try {
        named.add(resolveId(ref.id, known));
      } catch {
        // An id that names no bead here names none of the agent's either.
      }
    }
    return view.beads
      .withStatus(isOnHook)
      .filter((bead) => bead.assignee === ledger.actor.name && !named.has(bead.id))
      .map((bead) => bead.id)
      .sort();
  });
  for (const id of ids) {
    git(cwd, ['interpret-trailers', '--in-place', '--if-exists', 'addIfDifferent', '--trailer', `${BEAD_TRAILER}: ${id}`, path]);
    say(`added ${BEAD_TRAILER}: ${id} to the commit message`);
  }
}

async function observerPass(cwd: string, say: (line: string) => void): Promise<void> {
  try {
    const report = await observe(cwd);
    for (const action of report.actions) say(action.line);
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    // Nothing is lost: the checkpoint stays where it was, so the next pass reads what this one would have.
    say('the ledger or the observer is busy: this pass is left to the next one');
  }
}

/**
 * git exports GIT_DIR to its hooks, and in a linked worktree that is the worktree's private git dir,
 * which gt cannot open as a repository by itself. When finding the repository from the hook's
 * directory (the top of the working tree) gives the same git dir, gt finds it that way instead.
 */
export function preferDiscovery(cwd: string): void {
  const fromEnv = process.env.GIT_DIR;
  if (!fromEnv) return;
  try {
    const dotGit = join(cwd, '.git');
    if (!existsSync(dotGit)) return;
    let discovered = dotGit;
    if (!statSync(dotGit).isDirectory()) {
      const link = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
      if (!link) return;
      discovered = isAbsolute(link) ? link : resolve(dirname(dotGit), link);
    }
    if (realpathSync(discovered) !== realpathSync(resolve(cwd, fromEnv))) return;
    delete process.env.GIT_DIR;
    delete process.env.GIT_WORK_TREE;
  } catch {
    // Keep git's environment as it is.
  }
}

/** Runs one hook's part of gt. Never throws; whatever goes wrong is printed as a line for hooks.log. */
export async function runHook(hook: string, args: string[], options: HookRunOptions): Promise<void> {
  const say = (line: string): void => options.print(`${new Date().toISOString()} ${hook}: ${line}`);
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      say(`error: ${what}: ${describe(error)}`);
    }
  };
  const { cwd } = options;
  preferDiscovery(cwd);
  // A hook never waits for a lock: it would hold the commit (or checkout, or merge) for as long.
  setLockPatience('once');
  switch (hook) {
    case 'prepare-commit-msg':
      await step('adding the Gt-Bead trailer', () => prepareCommitMsg(cwd, args, say));
      return;
    case 'post-commit':
      await step('recording the commit', async () => record(cwd, readCommits(cwd, ['HEAD']), [], say));
      await step('observer pass', () => observerPass(cwd, say));
      return;
    case 'post-rewrite':
      await step('recording the rewritten commits', async () => {
        const pairs = parseRewrites(options.stdin ?? '');
        const infos = new Map(readCommits(cwd, [...new Set(pairs.flatMap((p) => [p.old, p.new]))]).map((c) => [c.sha, c]));
        const fresh = [...new Set(pairs.map((p) => p.new))].flatMap((sha) => infos.get(sha) ?? []);
        const rewrites = pairs.flatMap((p) => {
          const old = infos.get(p.old);
          const next = infos.get(p.new);
          return old && next && old.sha !== next.sha ? [{ old, new: next }] : [];
        });
        await record(cwd, fresh, rewrites, say);
      });
      await step('observer pass', () => observerPass(cwd, say));
      return;
    case 'post-checkout':
      if (args[2] !== '1') return;
      await step('observer pass', () => observerPass(cwd, say));
      return;
    case 'post-merge':
      await step('observer pass', () => observerPass(cwd, say));
      return;
    default:
      say(`error: gt has no part in this hook (it knows ${HOOK_NAMES.join(', ')})`);
  }
}
