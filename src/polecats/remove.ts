/**
 * `gt polecat stop | remove | gc`: ending a polecat's session, and taking its sandbox away without
 * losing work. What would be lost is the sandbox's uncommitted changes and the commits of
 * `polecat/<name>` that the base (the main worktree's HEAD, what `gt sling --spawn` branches from by
 * default) does not contain. `remove` refuses while there is any, unless `--force`, which first saves
 * it to `refs/gt/rescue/<name>/<UTC time>`. The user's worktree, index and HEAD are never touched.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Ledger, Transaction } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { AgentRecord } from '../agents/agent.js';
import { hookedOn } from '../agents/hook.js';
import { agentKind } from '../kinds.js';
import { unslingBead } from '../work/hook-service.js';
import { GtError, NotFoundError, RuleError } from '../errors.js';
import { branchTip, commitsBeyond, dropSandbox, mainBase, sandboxChanges, saveRescue } from '../git/sandbox-work.js';
import { sandboxPath, sessionLive } from './sessions.js';
import { liveAgentPid, stopPolecatProcesses, type StoppedProcesses } from './processes.js';
import { settingsOf } from '../settings/settings-service.js';

export interface StopResult {
  polecat: string;
  /** Its loop or agent session was ended now. */
  stopped: boolean;
  /** The loop's pid (or the session's, when only a leftover session ran). */
  pid?: number;
  /** The signal that ended it: SIGTERM, or SIGKILL when it outlived SIGTERM. */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** What was ended, each with its signal. */
  processes?: StoppedProcesses;
  /** The beads still on its hook (stop leaves them there). */
  hooked: string[];
  worktree?: string;
}

export interface RescueInfo {
  ref: string;
  commit: string;
}

export interface RemoveResult {
  polecat: string;
  /** The session ended on the way (only with --force). */
  stopped?: { pid: number; signal: 'SIGTERM' | 'SIGKILL' };
  /** Where the work that would have been lost was saved (only with --force, when there was any). */
  rescue?: RescueInfo;
  /** `git status --porcelain` lines of the sandbox when it was removed. */
  uncommitted: string[];
  /** `git log --oneline base..polecat/<name>` when it was removed. */
  commits: string[];
  base: string;
  worktree: string;
  worktreeRemoved: boolean;
  branch: string;
  branchDeleted: boolean;
  /** The beads that were on its hook, open again now. */
  unslung: string[];
}

export interface GcResult {
  dryRun: boolean;
  /** Removed (or, with dryRun, would be). */
  removed: { polecat: string; worktree: string; branch: string }[];
  /** Polecats with a sandbox that were left, and why. */
  kept: { polecat: string; why: string }[];
}

function polecatOf(view: LedgerView, name: string): AgentRecord {
  const agent = view.agents.get(name);
  if (!agent || agent.role !== 'polecat') {
    throw new NotFoundError('polecat', name, [...view.agents.values()].filter((a) => a.role === 'polecat').map((a) => a.id).sort());
  }
  return agent;
}

function overseerOnly(ledger: Ledger, what: string): void {
  if (!ledger.actor.isOverseer) throw new RuleError(`only the overseer ${what}`, 'run it outside any agent (GT_AGENT unset, checkout not bound)');
}

/** Its session was recorded on another machine: nothing here can see or end it. */
function elsewhere(agent: AgentRecord): string | undefined {
  return agent.session_pid !== undefined && agent.session_host !== undefined && agent.session_host !== hostname() ? agent.session_host : undefined;
}

function withoutSession(agent: AgentRecord): AgentRecord {
  const { session_pid: _pid, session_host: _host, session_started_at: _started, agent_pid: _agent, queued_at: _queued, ...rest } = agent;
  return rest;
}

function clearSession(tx: Transaction, name: string): void {
  const agent = tx.agents.get(name);
  if (agent) tx.put(agentKind, { ...withoutSession(agent), updated_at: tx.now });
}

/**
 * `gt polecat stop <name>`: ends its loop and its agent session (SIGTERM, SIGKILL if they linger) and
 * clears them from its record, so the witness leaves it alone; hook and sandbox stay.
 */
export async function stopPolecat(ledger: Ledger, name: string): Promise<StopResult> {
  overseerOnly(ledger, 'stops polecats');
  const view = await ledger.view();
  const agent = polecatOf(view, name);
  const hooked = hookedOn(view.beads, name).map((b) => b.id);
  const base = { polecat: name, hooked, ...(agent.worktree !== undefined ? { worktree: agent.worktree } : {}) };
  const host = elsewhere(agent);
  if (host !== undefined) throw new RuleError(`${name}'s loop (pid ${agent.session_pid}) runs on ${host}, not on this machine`, `stop it there: gt polecat stop ${name}`);
  const processes = await stopPolecatProcesses(agent);
  const ended = processes.loop ?? processes.session;
  await ledger.write((tx) => {
    clearSession(tx, name);
    return { result: null, message: `polecat ${name}: stopped${ended ? ` ${processes.loop ? 'loop' : 'session'} ${ended.pid} (${ended.signal})` : ''}` };
  });
  if (!ended) return { ...base, stopped: false };
  return { ...base, stopped: true, pid: ended.pid, signal: ended.signal, processes };
}

interface Assessment {
  agent: AgentRecord;
  worktree: string;
  branch: string;
  base: string;
  uncommitted: string[];
  commits: string[];
}

/**
 * The sandbox's work that nothing else holds: uncommitted changes, and the commits of polecat/<name>
 * reachable from none of the main worktree's HEAD, `refinery.target` (when set) and the commit the
 * sandbox branched from (recorded as `base`), so a user who switched branches does not make merged
 * work look lost.
 */
function assess(commonDir: string, agent: AgentRecord, target: string | undefined): Assessment {
  const worktree = agent.worktree ?? sandboxPath(commonDir, agent.id);
  const branch = `polecat/${agent.id}`;
  const main = mainBase(commonDir);
  const targetTip = target !== undefined ? branchTip(commonDir, target) : undefined;
  const bases = [
    ...(main ? [{ name: main.name, commit: main.commit }] : []),
    ...(targetTip !== undefined && target !== main?.name ? [{ name: target!, commit: targetTip }] : []),
    ...(agent.base !== undefined ? [{ name: 'its base', commit: agent.base }] : []),
  ];
  return {
    agent,
    worktree,
    branch,
    base: bases.length > 0 ? bases.map((b) => b.name).join(' or ') : '(no commit yet)',
    uncommitted: sandboxChanges(worktree),
    commits: commitsBeyond(commonDir, bases.map((b) => b.commit), branch),
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function whatWouldBeLost(a: Assessment): string | undefined {
  const parts: string[] = [];
  if (a.uncommitted.length > 0) parts.push(`${plural(a.uncommitted.length, 'uncommitted change')} in ${a.worktree} (${a.uncommitted.join('; ')})`);
  if (a.commits.length > 0) parts.push(`${plural(a.commits.length, 'commit')} on ${a.branch} not in ${a.base} (${a.commits.join('; ')})`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

/** UTC time as 20261130T141500Z (rescue refs are named with it). */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

interface Dropped {
  name: string;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  unslung: string[];
}

/**
 * Takes the sandboxes away, then writes the records of those taken (one ledger commit): hooked beads
 * unslung, sandbox and session cleared, idle. A sandbox git refuses to remove is reported after the
 * others are recorded.
 */
async function dropAndRecord(ledger: Ledger, targets: Assessment[], why: string): Promise<Dropped[]> {
  const dropped: Omit<Dropped, 'unslung'>[] = [];
  const failed: string[] = [];
  for (const t of targets) {
    try {
      dropped.push({ name: t.agent.id, ...dropSandbox(ledger.repo.paths.commonDir, t.worktree, t.branch) });
    } catch (error) {
      failed.push(`${t.agent.id}: ${(error as Error).message}`);
    }
  }
  let unslung = new Map<string, string[]>();
  if (dropped.length > 0) {
    ({ result: unslung } = await ledger.write((tx) => {
      const found = new Map<string, string[]>();
      for (const d of dropped) {
        const ids = hookedOn(tx.beads, d.name).map((b) => b.id);
        for (const id of ids) unslingBead(tx, id);
        const agent = tx.agents.get(d.name);
        if (agent) {
          const { worktree: _worktree, ...rest } = withoutSession(agent);
          tx.put(agentKind, { ...rest, state: 'idle', updated_at: tx.now });
        }
        found.set(d.name, ids);
      }
      const beads = [...found.values()].flat();
      return { result: found, message: `polecat ${dropped.map((d) => d.name).join(', ')}: ${why}${beads.length > 0 ? `; unslung ${beads.join(', ')}` : ''}` };
    }));
  }
  if (failed.length > 0) {
    const done = dropped.length > 0 ? ` (${dropped.map((d) => d.name).join(', ')} removed)` : '';
    throw new GtError(`could not remove ${failed.join('; ')}${done}`, 'see git worktree list; fix what git names and run again');
  }
  return dropped.map((d) => ({ ...d, unslung: unslung.get(d.name) ?? [] }));
}

/**
 * `gt polecat remove <name> [--force]`: removes its sandbox and branch. Refuses while its session runs or
 * while work would be lost; --force stops the session, saves that work to a rescue ref, then removes.
 */
export async function removePolecat(ledger: Ledger, name: string, options: { force?: boolean } = {}): Promise<RemoveResult> {
  overseerOnly(ledger, 'removes polecats');
  const commonDir = ledger.repo.paths.commonDir;
  const view = await ledger.view();
  const agent = polecatOf(view, name);
  const target = settingsOf(view, { gitDir: ledger.repo.paths.gitDir }).refinery.target;
  const host = elsewhere(agent);
  if (host !== undefined) throw new RuleError(`${name}'s loop (pid ${agent.session_pid}) ran on ${host}: its sandbox is there, not here`, `remove it on ${host}`);
  const live = sessionLive(agent);
  const placed = agent.worktree ?? sandboxPath(commonDir, name);
  if (agent.worktree === undefined && !existsSync(placed) && branchTip(commonDir, `polecat/${name}`) === undefined) {
    throw new RuleError(`${name} has no sandbox (no worktree, no branch polecat/${name})`, 'nothing to remove');
  }
  if (!options.force) {
    if (live) throw new RuleError(`${name}'s loop (pid ${agent.session_pid}) is running; nothing was removed`, `stop it first: gt polecat stop ${name} (or remove it anyway: gt polecat remove ${name} --force)`);
    const lost = whatWouldBeLost(assess(commonDir, agent, target));
    if (lost !== undefined) {
      throw new RuleError(`removing ${name} would lose ${lost}; nothing was removed`, `commit and merge that work, or save it to a rescue ref and remove: gt polecat remove ${name} --force`);
    }
  }
  let stopped: RemoveResult['stopped'];
  if (live || liveAgentPid(agent) !== undefined) {
    // Before saving: a session still running could change the sandbox while it is being saved.
    const ended = await stopPolecatProcesses(agent);
    const first = ended.loop ?? ended.session;
    if (first) stopped = first;
  }
  const found = assess(commonDir, agent, target);
  let rescue: RescueInfo | undefined;
  if (whatWouldBeLost(found) !== undefined) {
    const ref = `refs/gt/rescue/${name}/${stamp(ledger.now())}`;
    try {
      rescue = saveRescue(commonDir, found.worktree, found.branch, ref, `gt polecat remove ${name} --force: rescue of ${found.branch}`);
    } catch (error) {
      throw new GtError(`could not save ${name}'s work (${(error as Error).message}); nothing was removed`, `save it by hand in ${found.worktree}, then run again`);
    }
  }
  let done: Dropped;
  try {
    done = (await dropAndRecord(ledger, [found], 'removed sandbox'))[0]!;
  } catch (error) {
    if (rescue === undefined) throw error;
    throw new GtError(`${name}'s work is saved at ${rescue.ref}, but removing its sandbox failed: ${(error as Error).message}`, `run again: gt polecat remove ${name} --force`);
  }
  return {
    polecat: name,
    ...(stopped ? { stopped } : {}),
    ...(rescue ? { rescue } : {}),
    uncommitted: found.uncommitted,
    commits: found.commits,
    base: found.base,
    worktree: found.worktree,
    worktreeRemoved: done.worktreeRemoved,
    branch: found.branch,
    branchDeleted: done.branchDeleted,
    unslung: done.unslung,
  };
}

/**
 * `gt polecat gc [--dry-run]`: removes every sandbox of a polecat that is idle (no live session, nothing
 * hooked) and whose work is merged (nothing uncommitted, no commits beyond the base). Never forces.
 */
export async function gcPolecats(ledger: Ledger, options: { dryRun?: boolean } = {}): Promise<GcResult> {
  overseerOnly(ledger, 'collects polecat sandboxes');
  const commonDir = ledger.repo.paths.commonDir;
  const view = await ledger.view();
  const target = settingsOf(view, { gitDir: ledger.repo.paths.gitDir }).refinery.target;
  const targets: Assessment[] = [];
  const kept: GcResult['kept'] = [];
  const polecats = [...view.agents.values()].filter((a) => a.role === 'polecat').sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const agent of polecats) {
    const hasSandbox = agent.worktree !== undefined || branchTip(commonDir, `polecat/${agent.id}`) !== undefined;
    if (!hasSandbox) continue;
    const host = elsewhere(agent);
    if (host !== undefined) {
      kept.push({ polecat: agent.id, why: `its session ran on ${host}` });
      continue;
    }
    if (sessionLive(agent)) {
      kept.push({ polecat: agent.id, why: `its loop (pid ${agent.session_pid}) is running` });
      continue;
    }
    const hooked = hookedOn(view.beads, agent.id).map((b) => b.id);
    if (hooked.length > 0) {
      kept.push({ polecat: agent.id, why: `its hook holds ${hooked.join(', ')}` });
      continue;
    }
    const found = assess(commonDir, agent, target);
    const lost = whatWouldBeLost(found);
    if (lost !== undefined) {
      kept.push({ polecat: agent.id, why: `it holds ${lost}` });
      continue;
    }
    targets.push(found);
  }
  if (options.dryRun || targets.length === 0) {
    return {
      dryRun: options.dryRun === true,
      removed: targets.map((t) => ({ polecat: t.agent.id, worktree: t.worktree, branch: t.branch })),
      kept,
    };
  }
  await dropAndRecord(ledger, targets, 'sandbox collected (gt polecat gc)');
  return {
    dryRun: false,
    removed: targets.map((t) => ({ polecat: t.agent.id, worktree: t.worktree, branch: t.branch })),
    kept,
  };
}
