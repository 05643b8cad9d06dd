/**
 * The town at a glance: one model of everything the overseer watches, built from a ledger view and
 * what this machine knows (polecat processes and activity, which loops run here). `gt status` prints
 * it, `gt dashboard` serves it; neither computes anything of its own.
 */
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import { OVERSEER } from '../ledger/layout.js';
import { progressOf, strandedConvoys, type TrackedBead } from '../convoys/convoy-service.js';
import { hookedOn } from '../agents/hook.js';
import type { AgentRole } from '../agents/agent.js';
import { inboxOf } from '../mail/mail-service.js';
import { MR_STATUSES, type MrStatus } from '../mrs/mr.js';
import { queueOrder, REFINERY_ADDRESS } from '../work/merge-queue.js';
import { polecatList, type PolecatState } from '../polecats/list.js';
import { WITNESS_ADDRESS } from '../polecats/stuck.js';
import { settingsOf } from '../settings/settings-service.js';
import { loopStatus, type LoopName, type LoopStatus } from '../observer/running.js';

/** As upstream colours polecats: complete and active green, stale yellow, stuck red, waiting grey. */
export type Activity = 'active' | 'complete' | 'stale' | 'stuck' | 'waiting';
export type AgentTownState = PolecatState;

export interface TownConvoy {
  id: string;
  title: string;
  closed: number;
  total: number;
  /** Ready beads nobody works on (gt convoy stranded). */
  stranded: boolean;
  created_at: string;
  tracked: TrackedBead[];
}

export interface TownAgent {
  name: string;
  role: AgentRole;
  state: AgentTownState;
  activity: Activity;
  /** Unfinished work on its hook, most urgent first; `bead` and `title` are the first. */
  hooked: string[];
  bead?: string;
  title?: string;
  last_activity?: string;
  pid?: number;
  restarts?: number;
}

export interface TownMergeRequest {
  id: string;
  bead: string;
  agent: string;
  status: MrStatus;
  branch: string;
  target: string;
  waiting?: string;
  conflict_bead?: string;
}

export interface TownMail {
  id: string;
  from: string;
  subject: string;
  created_at: string;
  escalation: boolean;
}

export type NeedKind = 'escalation' | 'stuck' | 'dead' | 'merge' | 'stranded';

/** Something the overseer should look at, most pressing first, with the command that looks at it. */
export interface Need {
  kind: NeedKind;
  id: string;
  text: string;
  hint: string;
}

export interface TownEvent {
  at: string;
  agent: string;
  text: string;
}

export interface TownCommit {
  commit: string;
  at: string;
  author: string;
  subject: string;
}

export interface Town {
  /** The ledger commit it was read from. */
  head: string;
  now: string;
  convoys: TownConvoy[];
  agents: TownAgent[];
  merge_queue: { counts: Record<MrStatus, number>; requests: TownMergeRequest[] };
  mail: { unread: number; escalations: number; messages: TownMail[] };
  loops: Record<LoopName, LoopStatus>;
  needs: Need[];
  /** Agent record events, newest first. */
  events: TownEvent[];
  /** The newest ledger commits, newest first. */
  commits: TownCommit[];
}

/** What this machine knows besides the ledger. */
export interface TownContext {
  commonDir: string;
  now: number;
  stallAfterMs: number;
  loops: Record<LoopName, LoopStatus>;
  commits?: TownCommit[];
}

const EVENTS_SHOWN = 30;
const MAIL_SHOWN = 10;

function activityOf(state: PolecatState, finishedSomething: boolean): Activity {
  switch (state) {
    case 'working':
      return 'active';
    case 'stalled':
      return 'stale';
    case 'stuck':
    case 'dead':
      return 'stuck';
    case 'queued':
      return 'waiting';
    case 'idle':
      return finishedSomething ? 'complete' : 'waiting';
  }
}

/** Escalations come from gt's own loops: the witness (stuck polecats) and the refinery (merges that keep failing). */
function isEscalation(from: string): boolean {
  return from === WITNESS_ADDRESS || from === REFINERY_ADDRESS;
}

export function townOf(view: LedgerView, context: TownContext): Town {
  const stranded = new Set(strandedConvoys(view).map((s) => s.id));
  const convoys = [...view.convoys.values()]
    .filter((c) => c.status === 'open')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1))
    .map((c): TownConvoy => {
      const p = progressOf(view, c);
      return { id: c.id, title: c.title, closed: p.closed, total: p.total, stranded: stranded.has(c.id), created_at: c.created_at, tracked: p.tracked };
    });

  const finished = new Set([...view.beads.values()].filter((b) => b.status === 'closed' && b.assignee).map((b) => b.assignee!));
  const polecats = new Map(polecatList(view, context).map((p) => [p.name, p]));
  const agents = [...view.agents.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((a): TownAgent => {
      const hooked = hookedOn(view.beads, a.id);
      const p = polecats.get(a.id);
      // Agents gt does not run (crew, mayor): working while something is on their hook.
      const state: PolecatState = p?.state ?? (hooked.length > 0 ? 'working' : a.state === 'stuck' ? 'stuck' : 'idle');
      return {
        name: a.id,
        role: a.role,
        state,
        activity: activityOf(state, finished.has(a.id)),
        hooked: hooked.map((b) => b.id),
        ...(hooked[0] ? { bead: hooked[0].id, title: hooked[0].title } : {}),
        ...(p?.last_activity ?? a.last_activity ? { last_activity: p?.last_activity ?? a.last_activity } : {}),
        ...(p?.pid !== undefined ? { pid: p.pid } : {}),
        ...(p?.restarts !== undefined ? { restarts: p.restarts } : {}),
      };
    });

  const counts = Object.fromEntries(MR_STATUSES.map((s) => [s, 0])) as Record<MrStatus, number>;
  for (const mr of view.mrs.values()) counts[mr.status]++;
  const waiting = [...view.mrs.values()]
    .filter((m) => m.status === 'merging' || m.status === 'conflict' || m.status === 'failed')
    .sort((a, b) => (a.updated_at > b.updated_at ? -1 : a.updated_at < b.updated_at ? 1 : a.id < b.id ? -1 : 1));
  const requests = [...queueOrder(view), ...waiting].map(
    (m): TownMergeRequest => ({
      id: m.id,
      bead: m.bead,
      agent: m.agent,
      status: m.status,
      branch: m.branch,
      target: m.target,
      ...(m.waiting ? { waiting: m.waiting } : {}),
      ...(m.conflict_bead ? { conflict_bead: m.conflict_bead } : {}),
    }),
  );

  const unread = inboxOf(view, OVERSEER, { unreadOnly: true }).filter((m) => m.kind !== 'nudge');
  const messages = unread.map((m): TownMail => ({ id: m.id, from: m.from, subject: m.subject, created_at: m.created_at, escalation: isEscalation(m.from) }));

  const needs: Need[] = [
    ...messages.filter((m) => m.escalation).map((m): Need => ({ kind: 'escalation', id: m.id, text: m.subject, hint: `gt mail read ${m.id}` })),
    ...agents.filter((a) => a.state === 'stuck').map((a): Need => ({ kind: 'stuck', id: a.name, text: `${a.name} is stuck${a.bead ? ` on ${a.bead}` : ''}`, hint: `gt peek ${a.name}` })),
    ...agents
      .filter((a) => a.state === 'dead')
      .map((a): Need => ({ kind: 'dead', id: a.name, text: `${a.name}'s session is gone with ${a.bead} on its hook`, hint: context.loops.witness.running ? 'the witness restarts it' : 'gt witness --once restarts it (or run gt watch)' })),
    ...waiting
      .filter((m) => m.status === 'conflict' || m.status === 'failed')
      .map((m): Need => ({ kind: 'merge', id: m.id, text: `merge request ${m.id} (${m.bead} by ${m.agent}) ${m.status === 'conflict' ? 'conflicts' : 'failed its tests'}`, hint: `gt mq show ${m.id}` })),
    ...convoys.filter((c) => c.stranded).map((c): Need => ({ kind: 'stranded', id: c.id, text: `convoy ${c.id} "${c.title}" has ready beads nobody works on`, hint: `gt convoy stranded` })),
  ];

  const events = [...view.agents.values()]
    .flatMap((a) =>
      (a.events ?? []).map((line): TownEvent => {
        const space = line.indexOf(' ');
        return { at: line.slice(0, space), agent: a.id, text: line.slice(space + 1) };
      }),
    )
    .sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : a.agent < b.agent ? -1 : 1))
    .slice(0, EVENTS_SHOWN);

  return {
    head: view.head,
    now: new Date(context.now).toISOString(),
    convoys,
    agents,
    merge_queue: { counts, requests },
    mail: { unread: unread.length, escalations: messages.filter((m) => m.escalation).length, messages: messages.slice(0, MAIL_SHOWN) },
    loops: context.loops,
    needs,
    events,
    commits: context.commits ?? [],
  };
}

/** The newest ledger commits (first parents from the tip), newest first, stopping at `since`. */
export async function ledgerCommits(ledger: Ledger, limit: number, since?: string): Promise<TownCommit[]> {
  const out: TownCommit[] = [];
  let oid = ledger.ledgerTip();
  while (oid && oid !== since && out.length < limit) {
    const c = await ledger.repo.readCommit(oid);
    out.push({ commit: oid, at: new Date(c.author.timestamp * 1000).toISOString(), author: c.author.name, subject: c.message.split('\n')[0] ?? '' });
    oid = c.parents[0] ?? null;
  }
  return out;
}

/** The town as this machine sees it now, from the overseer's ledger view. */
export async function readTown(ledger: Ledger, options: { commits?: number } = {}): Promise<{ town: Town; view: LedgerView }> {
  const view = await ledger.view();
  const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
  const town = townOf(view, {
    commonDir: ledger.repo.paths.commonDir,
    now: ledger.now(),
    stallAfterMs: settings.witness.stallAfterMs,
    loops: loopStatus(ledger.repo.stateDir),
    commits: await ledgerCommits(ledger, options.commits ?? 10),
  });
  return { town, view };
}
