/**
 * `gt sync [<remote>]`: the ledger of every clone made one through a git remote. Fetch the remote's
 * ledger and agent branches; merge this clone's agent branches, the remote's ledger and the remote's
 * agent branches into gt/ledger with the field-level merge; push the ledger back only if the remote
 * still has what was fetched, else start again (another clone pushed in between), until both sides
 * hold the same ledger.
 */
import type { Ledger } from '../ledger/ledger.js';
import { AGENT_REF_PREFIX, LEDGER_BRANCH, LEDGER_REF } from '../ledger/layout.js';
import { mergeAgentBranches, mergeLedgerCommit } from '../ledger/agent-merge.js';
import type { MergeNote } from '../ledger/entity-kind.js';
import { fetchBranches, pushIfUnchanged, remoteBranches, remoteNames, RemoteError, setUpstream, trackingRef, upstreamRemote } from '../git/remote.js';
import { GtError, RepositoryError, UsageError } from '../errors.js';
import { hasNativeGit } from '../git/native-reader.js';
import { plural } from '../ledger/wording.js';

const MAX_ATTEMPTS = 6;

export interface SyncOptions {
  remote?: string;
  dryRun?: boolean;
  /** One line per step, for a terminal. */
  progress?: (line: string) => void;
}

export interface SyncReport {
  remote: string;
  /** The ledger here before and after, and on the remote before. */
  ledger: { before: string | null; after: string | null; remoteBefore: string | null };
  /** What was merged into the ledger here (or would be, with --dry-run). */
  merged: { from: string; outcome: 'merged' | 'fast-forward'; changed: string[] }[];
  notes: MergeNote[];
  /** The ledger was pushed to the remote (or would be). */
  pushed: boolean;
  /** Rounds of fetch, merge and push: more than one when another clone pushed in between. */
  attempts: number;
  dryRun: boolean;
  /** The ledger was created here from the remote's (this clone had none). */
  adopted: boolean;
}

/** The remote `gt sync` talks to: the one named, else the ledger's upstream, else origin. */
export function syncRemote(cwd: string, named: string | undefined): string {
  const remotes = remoteNames(cwd);
  const remote = named ?? upstreamRemote(cwd, LEDGER_BRANCH) ?? (remotes.includes('origin') ? 'origin' : undefined);
  if (remote === undefined) {
    throw new UsageError(remotes.length === 0 ? 'this repository has no git remote to sync with' : `which remote? gt/ledger follows none and there is no origin (remotes: ${remotes.join(', ')})`, remotes.length === 0 ? 'add one: git remote add origin <url>' : `name it: gt sync <remote>`);
  }
  if (!remotes.includes(remote)) throw new UsageError(`no git remote named '${remote}' (remotes: ${remotes.join(', ') || 'none'})`, 'add it with git remote add, or name another');
  return remote;
}

export async function syncLedger(ledger: Ledger, options: SyncOptions = {}): Promise<SyncReport> {
  const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
  const remote = syncRemote(cwd, options.remote);
  const say = options.progress ?? (() => undefined);
  const before = ledger.ledgerTip();
  const report: SyncReport = { remote, ledger: { before, after: before, remoteBefore: null }, merged: [], notes: [], pushed: false, attempts: 0, dryRun: options.dryRun === true, adopted: false };
  const network = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof RemoteError) throw new GtError(`could not ${what} ${remote}: ${error.message}`, 'check the remote (git remote -v) and your access to it, then run gt sync again');
      throw error;
    }
  };

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    report.attempts = attempt;
    say(`fetching ${LEDGER_BRANCH} and agent branches from ${remote}…`);
    const heads = network('list the branches of', () => remoteBranches(cwd, remote, 'gt/'));
    const remoteLedger = heads.get(LEDGER_REF) ?? null;
    const remoteAgents = [...heads.keys()].filter((ref) => ref.startsWith(AGENT_REF_PREFIX));
    if (attempt === 1) report.ledger.remoteBefore = remoteLedger;
    network('fetch from', () => fetchBranches(cwd, remote, [...(remoteLedger ? [LEDGER_REF] : []), ...remoteAgents], 'gt/'));
    const incoming = [
      ...(remoteLedger ? [{ label: `${remote}/${LEDGER_BRANCH}`, tip: remoteLedger }] : []),
      ...remoteAgents.map((ref) => ({ label: `${remote}/${ref.slice('refs/heads/'.length)}`, tip: heads.get(ref)! })),
    ];

    if (ledger.ledgerTip() === null) {
      if (!remoteLedger) throw new RepositoryError(`neither this repository nor ${remote} has a gt ledger`, 'run gt init first, then gt sync to publish it');
      if (options.dryRun) {
        report.merged.push({ from: `${remote}/${LEDGER_BRANCH}`, outcome: 'fast-forward', changed: [] });
        return report;
      }
      ledger.updateRef(LEDGER_REF, null, remoteLedger, `sync: adopt ${remote}/${LEDGER_BRANCH}`, new Date(ledger.now()));
      setUpstream(cwd, LEDGER_BRANCH, remote);
      report.adopted = true;
      say(`adopted ${remote}'s ledger: ${LEDGER_BRANCH} follows ${remote}/${LEDGER_BRANCH}`);
    }

    if (options.dryRun) {
      await describeDryRun(ledger, report, incoming);
      return report;
    }

    // This clone's agents first, then what came from the remote; each merge is field by field.
    for (const r of await mergeAgentBranches(ledger)) {
      if (r.outcome === 'merged') {
        report.merged.push({ from: `gt/agents/${r.agent}`, outcome: 'merged', changed: r.changed });
        report.notes.push(...r.notes);
        say(`merged gt/agents/${r.agent}${r.changed.length > 0 ? ` (${r.changed.join(', ')})` : ''}`);
      }
    }
    for (const { label, tip } of incoming) {
      const outcome = await mergeLedgerCommit(ledger, tip, label).catch((error: unknown) => {
        if (error instanceof RepositoryError && label === `${remote}/${LEDGER_BRANCH}`) {
          throw new RepositoryError(`${remote}'s ${LEDGER_BRANCH} shares no history with this one: they are two different ledgers`, `keep one: move this one aside (git branch -m ${LEDGER_BRANCH} gt/ledger-old) and run gt sync to adopt ${remote}'s`);
        }
        throw error;
      });
      if (outcome.outcome === 'up-to-date') continue;
      report.merged.push({ from: label, outcome: outcome.outcome, changed: outcome.changed });
      report.notes.push(...outcome.notes);
      say(`${outcome.outcome === 'merged' ? 'merged' : 'fast-forwarded to'} ${label}${outcome.changed.length > 0 ? ` (${outcome.changed.length <= 5 ? outcome.changed.join(', ') : plural(outcome.changed.length, 'entity', 'entities')})` : ''}`);
    }

    const tip = ledger.requireLedgerTip();
    report.ledger.after = tip;
    if (tip === remoteLedger) {
      if (upstreamRemote(cwd, LEDGER_BRANCH) === undefined) setUpstream(cwd, LEDGER_BRANCH, remote);
      say(`${LEDGER_BRANCH} is the same here and on ${remote}`);
      return report;
    }
    say(`pushing ${LEDGER_BRANCH} to ${remote}…`);
    if (network('push to', () => pushIfUnchanged(cwd, remote, LEDGER_BRANCH, tip, remoteLedger))) {
      report.pushed = true;
      if (upstreamRemote(cwd, LEDGER_BRANCH) === undefined) setUpstream(cwd, LEDGER_BRANCH, remote);
      // The tracking ref follows what the remote now has, as git push does.
      ledger.repo.refs.compareAndSwap({ ref: trackingRef(remote, LEDGER_BRANCH), expected: ledger.repo.refs.resolve(trackingRef(remote, LEDGER_BRANCH)), next: tip, message: 'gt sync: pushed', who: ledger.signature(ledger.actor, new Date(ledger.now())) });
      say(`pushed ${LEDGER_BRANCH} to ${remote}`);
      return report;
    }
    say(`${remote} moved while syncing (another clone pushed): again`);
  }
  throw new GtError(`${remote} kept moving: gave up after ${MAX_ATTEMPTS} rounds of fetch, merge and push`, 'run gt sync again');
}

/** What a sync would do, without writing anything here or there. */
async function describeDryRun(ledger: Ledger, report: SyncReport, incoming: { label: string; tip: string }[]): Promise<void> {
  const tip = ledger.requireLedgerTip();
  for (const [ref, agentTip] of ledger.repo.refs.list(AGENT_REF_PREFIX)) {
    if ((await ledger.mergeBase(agentTip, tip)) !== agentTip) report.merged.push({ from: ref.slice('refs/heads/'.length), outcome: 'merged', changed: [] });
  }
  for (const { label, tip: theirs } of incoming) {
    const base = await ledger.mergeBase(theirs, tip);
    if (base === theirs) continue;
    report.merged.push({ from: label, outcome: base === tip ? 'fast-forward' : 'merged', changed: [] });
  }
  // A push is needed unless the remote's ledger already holds everything here and nothing else merges in.
  const remoteLedger = report.ledger.remoteBefore;
  const remoteHasAll = remoteLedger !== null && (remoteLedger === tip || (await ledger.mergeBase(remoteLedger, tip)) === tip);
  const onlyFastForward = report.merged.every((m) => m.from === `${report.remote}/${LEDGER_BRANCH}` && m.outcome === 'fast-forward');
  report.pushed = !(remoteHasAll && onlyFastForward);
}

/**
 * Before `gt init` makes a new ledger in a repository with a remote: if the remote (the upstream, else
 * origin) has one, fetch it, so init adopts it instead of starting a second, unrelated ledger. Returns
 * why the remote could not be asked, if it could not (init then goes on, offline).
 */
export function fetchRemoteLedgerForInit(ledger: Ledger): string | undefined {
  // Without a git binary there is no remote to ask (gt sync needs git too).
  if (ledger.ledgerTip() !== null || !hasNativeGit()) return undefined;
  const cwd = ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
  const remotes = remoteNames(cwd);
  const remote = upstreamRemote(cwd, LEDGER_BRANCH) ?? (remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined);
  if (remote === undefined || ledger.repo.refs.resolve(trackingRef(remote, LEDGER_BRANCH))) return undefined;
  try {
    if (remoteBranches(cwd, remote, LEDGER_BRANCH).has(LEDGER_REF)) fetchBranches(cwd, remote, [LEDGER_REF], LEDGER_BRANCH);
    return undefined;
  } catch (error) {
    if (error instanceof RemoteError) return `could not ask ${remote} whether it has a ledger (${error.message})`;
    throw error;
  }
}
