/**
 * Convoy operations on a transaction: create, add, remove, close, land. Landing is state-based (every
 * tracked bead closed) and only ever turns an open convoy closed, so running it again, from any
 * process, never lands twice: the write lock serialises the check and the landing.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from '../ledger/ledger.js';
import type { LedgerView } from '../ledger/view.js';
import type { Bead } from '../beads/bead.js';
import { findBead } from '../beads/bead-service.js';
import { computeBlockers, statusOf } from '../beads/readiness.js';
import { isOnHook } from '../agents/hook.js';
import { generateId, resolveId } from '../beads/ids.js';
import { parseTitle } from '../beads/bead-input.js';
import { RuleError } from '../errors.js';
import { checkAgentName } from '../ledger/names.js';
import { LANDED_REASON, convoyKind, type Convoy } from './convoy.js';
import { sendMail } from '../mail/mail-service.js';
import type { MergeRequest } from '../mrs/mr.js';
import { latestRequest } from '../mrs/mr-service.js';
import { plural } from '../ledger/wording.js';

/** The tables a convoy query needs: a view or a transaction. */
export interface ConvoyTables {
  readonly beads: ReadonlyMap<string, Bead>;
  readonly convoys: ReadonlyMap<string, Convoy>;
}

export interface TrackedBead {
  id: string;
  title?: string;
  status: string;
  assignee?: string;
  priority?: number;
  /** The bead is not on the ledger (removed, or not merged yet). */
  missing?: boolean;
  /** The bead's newest merge request: its id and status. */
  request?: { id: string; status: string; waiting?: string };
}

export interface ConvoyProgress {
  convoy: Convoy;
  tracked: TrackedBead[];
  closed: number;
  total: number;
}

export const OBSERVER_ADDRESS = 'observer';

export function parseAddress(raw: string): string {
  const address = raw.trim().replace(/\/$/, '');
  return checkAgentName(address, 'address');
}

export function lookupConvoy(convoys: ReadonlyMap<string, Convoy>, query: string): Convoy {
  return convoys.get(resolveId(query, convoys.keys(), 'convoy'))!;
}

export function progressOf(tables: ConvoyTables & { readonly mrs?: ReadonlyMap<string, MergeRequest> }, convoy: Convoy): ConvoyProgress {
  const tracked = (convoy.tracks ?? []).map((id): TrackedBead => {
    const bead = tables.beads.get(id);
    if (!bead) return { id, status: 'missing', missing: true };
    const mr = tables.mrs ? latestRequest(tables.mrs, id) : undefined;
    const request = mr ? { id: mr.id, status: mr.status, ...(mr.waiting ? { waiting: mr.waiting } : {}) } : undefined;
    return { id, title: bead.title, status: bead.status, priority: bead.priority, ...(bead.assignee ? { assignee: bead.assignee } : {}), ...(request ? { request } : {}) };
  });
  const closed = tracked.filter((t) => t.status === 'closed').length;
  return { convoy, tracked, closed, total: tracked.length };
}

/** Convoys oldest first: the open ones, or all (`all`), or those with one status. */
export function listConvoys(convoys: ReadonlyMap<string, Convoy>, options: { all?: boolean; status?: string } = {}): Convoy[] {
  return [...convoys.values()]
    .filter((c) => (options.status ? c.status === options.status : options.all || c.status === 'open'))
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

/** Complete = tracks at least one bead, and every tracked bead is closed. An empty convoy never lands by itself. */
export function isComplete(tables: ConvoyTables, convoy: Convoy): boolean {
  const tracks = convoy.tracks ?? [];
  return tracks.length > 0 && tracks.every((id) => tables.beads.get(id)?.status === 'closed');
}

/** The open convoys that track a bead. */
export function convoysTracking(tables: ConvoyTables, beadId: string): Convoy[] {
  return [...tables.convoys.values()].filter((c) => c.status === 'open' && (c.tracks ?? []).includes(beadId)).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * The tracked beads a worker could start now: open, unassigned, not blocked, not an epic; most
 * urgent first, then by id (upstream's feeding order).
 */
export function readyTracked(tables: ConvoyTables, convoy: Convoy): Bead[] {
  const candidates = (convoy.tracks ?? [])
    .map((id) => tables.beads.get(id))
    .filter((b): b is Bead => b !== undefined && b.status === 'open' && !b.assignee && b.type !== 'epic');
  // Only the candidates' blockers: a convoy's few beads, not the whole ledger's.
  const blockers = computeBlockers(tables.beads, candidates);
  return candidates.filter((b) => (blockers.get(b.id)?.length ?? 0) === 0).sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
}

export interface StrandedConvoy {
  id: string;
  title: string;
  tracked_count: number;
  ready_count: number;
  ready_beads: string[];
  created_at: string;
}

/** Somebody is working on the convoy: one of its beads is on a hook. */
export function hasWorkInHand(tables: ConvoyTables, convoy: Convoy): boolean {
  return (convoy.tracks ?? []).some((id) => isOnHook(statusOf(tables.beads, id) ?? ''));
}

/** Open convoys with ready beads that nobody is working on (no tracked bead hooked or in progress). */
export function strandedConvoys(view: LedgerView): StrandedConvoy[] {
  const out: StrandedConvoy[] = [];
  for (const convoy of view.convoys.values()) {
    if (convoy.status !== 'open') continue;
    const ready = readyTracked(view, convoy);
    if (ready.length === 0 || hasWorkInHand(view, convoy)) continue;
    out.push({ id: convoy.id, title: convoy.title, tracked_count: (convoy.tracks ?? []).length, ready_count: ready.length, ready_beads: ready.map((b) => b.id), created_at: convoy.created_at });
  }
  return out.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

export interface CreateConvoyInput {
  title: string;
  beads: string[];
  description?: string;
  owner?: string;
  notify?: string[];
  feed?: string[];
}

export function createConvoy(tx: Transaction, input: CreateConvoyInput): Convoy {
  const tracks = [...new Set(input.beads.map((q) => findBead(tx, q).id))];
  const convoy: Convoy = {
    id: generateId(tx.config.prefix, tx.convoys.idSet(), 'cv'),
    title: parseTitle(input.title),
    status: 'open',
    ...(input.description ? { description: input.description } : {}),
    tracks,
    owner: input.owner !== undefined ? parseAddress(input.owner) : tx.actor.name,
    notify: (input.notify ?? []).map(parseAddress),
    feed: (input.feed ?? []).map(parseAddress),
    created_at: tx.now,
    created_by: tx.actor.name,
    updated_at: tx.now,
  };
  return tx.put(convoyKind, convoy);
}

function reopened(convoy: Convoy, now: string): Convoy {
  const { landed_at: _landed, closed_at: _closed, close_reason: _reason, ...rest } = convoy;
  return { ...rest, status: 'open', reopened_at: now, updated_at: now };
}

/** Adds beads to a convoy; a landed or closed convoy is reopened (it has work again). */
export function addToConvoy(tx: Transaction, query: string, beads: string[]): { convoy: Convoy; added: string[]; reopened: boolean } {
  const before = lookupConvoy(tx.convoys, query);
  const ids = beads.map((q) => findBead(tx, q).id);
  const added = ids.filter((id) => !(before.tracks ?? []).includes(id));
  const wasClosed = before.status === 'closed';
  if (added.length === 0) return { convoy: before, added, reopened: false };
  const base = wasClosed ? reopened(before, tx.now) : before;
  const convoy = tx.put(convoyKind, { ...base, tracks: [...(before.tracks ?? []), ...added], updated_at: tx.now });
  return { convoy, added, reopened: wasClosed };
}

export function removeFromConvoy(tx: Transaction, query: string, beads: string[]): { convoy: Convoy; removed: string[] } {
  const before = lookupConvoy(tx.convoys, query);
  const tracks = before.tracks ?? [];
  const removed = beads.map((q) => resolveId(q, tracks, `bead tracked by ${before.id}`));
  const convoy = tx.put(convoyKind, { ...before, tracks: tracks.filter((id) => !removed.includes(id)), updated_at: tx.now });
  return { convoy, removed };
}

export function closeConvoy(tx: Transaction, query: string, options: { force?: boolean; reason?: string }): Convoy {
  const before = lookupConvoy(tx.convoys, query);
  if (before.status === 'closed') return before;
  const progress = progressOf(tx, before);
  if (!options.force && !isComplete(tx, before)) {
    throw new RuleError(
      `${before.id} is not complete: ${progress.closed}/${progress.total} tracked beads closed`,
      'close the remaining beads first, or close the convoy anyway with --force',
    );
  }
  const reason = options.reason?.trim() || (isComplete(tx, before) ? LANDED_REASON : 'Closed by hand');
  return tx.put(convoyKind, { ...before, status: 'closed', closed_at: tx.now, close_reason: reason, updated_at: tx.now });
}

function duration(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/**
 * Text of the landing mail: the beads with their titles, and how long the convoy took; with a refinery,
 * the commits that merged them into the target.
 */
export function landingMail(tables: ConvoyTables & { readonly mrs?: ReadonlyMap<string, MergeRequest> }, convoy: Convoy, landedAt: string): { subject: string; body: string } {
  const merged: string[] = [];
  const beads = (convoy.tracks ?? []).map((id) => {
    const mr = tables.mrs ? latestRequest(tables.mrs, id) : undefined;
    const commit = mr?.status === 'merged' && mr.merge_commit ? mr.merge_commit : undefined;
    if (commit && mr) merged.push(`- ${commit} ${mr.branch} into ${mr.target} (${mr.id}, ${id})`);
    return `- ${id}: ${tables.beads.get(id)?.title ?? '(not on the ledger)'}`;
  });
  return {
    subject: `🚚 Convoy landed: ${convoy.title} (${convoy.id})`,
    body: [
      `Convoy ${convoy.id} has landed: all ${beads.length} tracked beads are closed.`,
      '',
      ...beads,
      ...(merged.length > 0 ? ['', 'Merged commits:', ...merged] : []),
      '',
      `Duration: ${duration(convoy.created_at, landedAt)}`,
    ].join('\n'),
  };
}

/** The line the observer prints (and writes in its commit message, without the icon) for a landing. */
export function landedLine(convoy: Convoy): string {
  return `🚚 landed ${convoy.id} "${convoy.title}" (${plural((convoy.tracks ?? []).length, 'bead')})`;
}

/**
 * Lands a complete open convoy: closes it with `landed_at` and mails its owner and subscribers.
 * Returns undefined (and changes nothing) unless the convoy is open and complete.
 */
export function landIfComplete(tx: Transaction, convoyId: string): Convoy | undefined {
  const before = tx.convoys.get(convoyId);
  if (!before || before.status !== 'open' || !isComplete(tx, before)) return undefined;
  const convoy = tx.put(convoyKind, { ...before, status: 'closed', landed_at: tx.now, closed_at: tx.now, close_reason: LANDED_REASON, updated_at: tx.now });
  const { subject, body } = landingMail(tx, convoy, tx.now);
  const recipients = [...new Set([convoy.owner, ...(convoy.notify ?? [])].filter((a): a is string => a !== undefined && a !== OBSERVER_ADDRESS))];
  // Every clone that sees this convoy complete lands it; the mail of one landing is one message everywhere.
  // A landing is known by what it landed: work added afterwards makes another landing, and another mail.
  const episode = createHash('sha1').update((convoy.tracks ?? []).join('\n')).digest('hex').slice(0, 12);
  for (const to of recipients) sendMail(tx, { to, subject, body, from: OBSERVER_ADDRESS, effect: `landing:${convoy.id}:${episode}:${to}` });
  return convoy;
}

/**
 * Reopens landed convoys that track open work again: a bead added on one clone while another clone
 * landed the convoy comes back, after a merge, to a landed convoy. State-based, so any number of
 * clones doing it agree. A convoy closed by hand (`convoy close --force`) is left closed.
 */
export function reopenLandedWithWork(tx: Transaction): Convoy[] {
  const reopenedNow: Convoy[] = [];
  for (const convoy of [...tx.convoys.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (convoy.status !== 'closed' || convoy.landed_at === undefined || isComplete(tx, convoy)) continue;
    reopenedNow.push(tx.put(convoyKind, reopened(convoy, tx.now)));
  }
  return reopenedNow;
}

/** `gt convoy check`: lands every complete open convoy (or just one). */
export function landComplete(tx: Transaction, query?: string): Convoy[] {
  const candidates = query !== undefined ? [lookupConvoy(tx.convoys, query)] : [...tx.convoys.values()];
  const landed: Convoy[] = [];
  for (const convoy of candidates.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const done = landIfComplete(tx, convoy.id);
    if (done) landed.push(done);
  }
  return landed;
}
