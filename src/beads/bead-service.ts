import { randomBytes } from 'node:crypto';
import type { Transaction } from '../ledger/ledger.js';
import type { LedgerProblem } from '../ledger/view.js';
import { RuleError, LedgerFileError } from '../errors.js';
import { normalizeBead, STAMPED_FIELDS, type Bead, type BeadStatus, type Comment, type Dep, type DepType, type StampedField } from './bead.js';
import { generateId, resolveId, type IdsTaken } from './ids.js';
import { dependencyProblem } from './graph.js';
import { changedFields } from './bead-diff.js';
import { entityPath } from '../ledger/layout.js';
import { beadKind, putBead } from './bead-kind.js';
import { parseDepType, parseLabel, parsePriority, parseStatus, parseTitle, parseType } from './bead-input.js';

/** Resolves a user-typed id to a bead; a bead whose file is broken is reported with its path and line. */
export function lookupBead(beads: ReadonlyMap<string, Bead>, broken: ReadonlyMap<string, LedgerProblem>, query: string): Bead {
  // A whole id is looked up by itself (one shard); only a prefix needs every id.
  const whole = query.trim().toLowerCase();
  const id = beads.has(whole) || broken.has(whole) ? whole : resolveId(query, [...beads.keys(), ...broken.keys()]);
  const bead = beads.get(id);
  if (bead) return bead;
  const problem = broken.get(id)!;
  throw new LedgerFileError(problem.path, problem.line, problem.problem);
}

export function findBead(tx: Transaction, query: string): Bead {
  return lookupBead(tx.beads, tx.view.broken.beads, query);
}

/** Ids a new bead cannot take: every bead's and every unreadable bead file's, asked one id at a time. */
function takenIds(tx: Transaction): IdsTaken {
  const beads = tx.beads.idSet();
  return { size: beads.size, has: (id) => beads.has(id) || tx.view.broken.beads.has(id) };
}

export interface CreateBeadInput {
  title: string;
  type?: string;
  priority?: string | number;
  status?: string;
  assignee?: string;
  labels?: string[];
  description?: string;
  acceptance?: string;
  notes?: string;
  /** Parsed dependency specs; ids may be prefixes. */
  deps?: { type: DepType; id: string }[];
  parent?: string;
  externalRef?: string;
}

function optionalText(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function createBead(tx: Transaction, input: CreateBeadInput): Bead {
  const title = parseTitle(input.title);
  const deps: Dep[] = (input.deps ?? []).map((d) => ({ type: d.type, id: findBead(tx, d.id).id }));
  if (input.parent !== undefined) deps.push({ type: 'parent-child', id: findBead(tx, input.parent).id });
  if (deps.filter((d) => d.type === 'parent-child').length > 1) throw new RuleError('a bead can have only one parent');
  const status = input.status === undefined ? 'open' : parseStatus(input.status);
  const bead: Bead = normalizeBead({
    id: generateId(tx.config.prefix, takenIds(tx)),
    title,
    type: input.type === undefined ? 'task' : parseType(input.type, tx.config),
    status,
    priority: input.priority === undefined ? 2 : parsePriority(input.priority),
    assignee: optionalText(input.assignee),
    labels: (input.labels ?? []).map(parseLabel),
    description: optionalText(input.description),
    acceptance: optionalText(input.acceptance),
    notes: optionalText(input.notes),
    deps,
    external_ref: optionalText(input.externalRef),
    comments: [],
    created_at: tx.now,
    created_by: tx.actor.name,
    updated_at: tx.now,
    closed_at: status === 'closed' ? tx.now : undefined,
  });
  putBead(tx, stripUndefined(bead));
  return bead;
}

/** Drops keys whose value is undefined, so that a bead compares equal to what is read back. */
function stripUndefined(bead: Bead): Bead {
  return Object.fromEntries(Object.entries(bead).filter(([, v]) => v !== undefined)) as unknown as Bead;
}

export interface UpdateBeadInput {
  title?: string;
  type?: string;
  status?: string;
  priority?: string | number;
  /** Empty string unassigns. */
  assignee?: string;
  description?: string;
  acceptance?: string;
  notes?: string;
  appendNotes?: string;
  externalRef?: string;
  addLabels?: string[];
  removeLabels?: string[];
  /** Take the bead: only if it is open and unassigned (or already the actor's). */
  claim?: boolean;
}

/** Applies a change to a bead, keeping the bookkeeping right: edit stamps, updated_at, closed_at. */
function applyChange(tx: Transaction, before: Bead, after: Bead, appendedTo: readonly StampedField[] = []): { bead: Bead; changed: string[] } {
  let next = normalizeBead(after);
  if (next.status === 'closed' && before.status !== 'closed') next.closed_at = tx.now;
  if (next.status !== 'closed') delete next.closed_at;
  const changed = changedFields(before, next);
  if (changed.length === 0) return { bead: before, changed };
  const edited = { ...(before.edited ?? {}) };
  for (const field of STAMPED_FIELDS) {
    // Lines appended to a field leave its stamp alone: a merge then tells appends (kept on both
    // sides) from a new value set (latest wins). See mergeAppendedLines.
    if (before[field] !== next[field] && !appendedTo.includes(field)) edited[field as StampedField] = tx.now;
  }
  next = stripUndefined({ ...next, updated_at: tx.now, edited: Object.keys(edited).length > 0 ? edited : undefined });
  putBead(tx, next);
  return { bead: next, changed };
}

function checkClaimable(bead: Bead, actor: string, where = ''): void {
  const mine = bead.assignee === actor;
  if ((bead.status === 'open' && (bead.assignee === undefined || mine)) || (bead.status === 'in_progress' && mine)) return;
  throw new RuleError(
    `${bead.id} cannot be claimed: it is ${bead.status}${bead.assignee ? `, assigned to ${bead.assignee}` : ''}${where}`,
    'only open beads that are unassigned (or already yours) can be claimed',
  );
}

/**
 * Claims a bead for the actor. Besides the actor's own view, every local agent branch is checked, so
 * two agents on this machine can never both claim the same bead, merged or not.
 */
export async function claimBead(tx: Transaction, query: string, input: UpdateBeadInput = {}): Promise<{ bead: Bead; changed: string[] }> {
  const bead = findBead(tx, query);
  checkClaimable(bead, tx.actor.name);
  for (const { agent, value } of await tx.pendingElsewhere(entityPath(beadKind.dir, bead.id))) {
    checkClaimable(value as Bead, tx.actor.name, ` on gt/agents/${agent}, not merged yet`);
  }
  return updateBead(tx, bead.id, { ...input, claim: true });
}

export function updateBead(tx: Transaction, query: string, input: UpdateBeadInput): { bead: Bead; changed: string[] } {
  const before = findBead(tx, query);
  const next: Bead = { ...before };
  if (input.claim) {
    checkClaimable(before, tx.actor.name);
    next.assignee = tx.actor.name;
    next.status = 'in_progress';
  }
  if (input.title !== undefined) next.title = parseTitle(input.title);
  if (input.type !== undefined) next.type = parseType(input.type, tx.config);
  if (input.status !== undefined) next.status = parseStatus(input.status);
  if (input.priority !== undefined) next.priority = parsePriority(input.priority);
  if (input.assignee !== undefined) next.assignee = optionalText(input.assignee);
  if (input.description !== undefined) next.description = optionalText(input.description);
  if (input.acceptance !== undefined) next.acceptance = optionalText(input.acceptance);
  if (input.notes !== undefined) next.notes = optionalText(input.notes);
  if (input.appendNotes !== undefined && input.appendNotes.trim() !== '') {
    next.notes = next.notes ? `${next.notes}\n${input.appendNotes}` : input.appendNotes;
  }
  if (input.externalRef !== undefined) next.external_ref = optionalText(input.externalRef);
  if (input.addLabels) next.labels = [...next.labels, ...input.addLabels.map(parseLabel)];
  if (input.removeLabels) {
    const remove = new Set(input.removeLabels.map(parseLabel));
    next.labels = next.labels.filter((l) => !remove.has(l));
  }
  if (next.status !== 'closed' && before.status === 'closed' && input.status !== undefined) next.close_reason = undefined;
  const appendedOnly = input.notes === undefined && input.appendNotes !== undefined;
  return applyChange(tx, before, next, appendedOnly ? ['notes'] : []);
}

function openChildren(tx: Transaction, id: string): Bead[] {
  return tx.beads.withStatus((status) => status !== 'closed').filter((b) => b.deps.some((d) => d.type === 'parent-child' && d.id === id));
}

export function closeBead(tx: Transaction, query: string, options: { reason?: string; force?: boolean }): { bead: Bead; changed: string[] } {
  const before = findBead(tx, query);
  if (before.status === 'closed') return { bead: before, changed: [] };
  // Only an epic's open children hold it open; not scanning for children of other beads keeps close cheap.
  const children = before.type === 'epic' ? openChildren(tx, before.id) : [];
  if (children.length > 0 && !options.force) {
    throw new RuleError(
      `${before.id} has ${children.length} open child bead${children.length === 1 ? '' : 's'}: ${children.map((c) => c.id).join(', ')}`,
      'close them first, or close anyway with --force',
    );
  }
  const reason = optionalText(options.reason);
  return applyChange(tx, before, { ...before, status: 'closed', ...(reason ? { close_reason: reason } : {}) });
}

/** Reopens a closed bead; a reason is kept as a comment ("Reopened: …"), as the close reason was dropped. */
export function reopenBead(tx: Transaction, query: string, options: { reason?: string } = {}): { bead: Bead; changed: string[] } {
  const before = findBead(tx, query);
  if (before.status !== 'closed') throw new RuleError(`${before.id} is not closed (it is ${before.status})`, 'only closed beads can be reopened');
  const reason = optionalText(options.reason);
  const comments = reason ? [...before.comments, { id: `c-${randomBytes(8).toString('hex')}`, author: tx.actor.name, at: tx.now, text: `Reopened: ${reason}` }] : before.comments;
  return applyChange(tx, before, { ...before, status: 'open', close_reason: undefined, comments });
}

export function addDependency(tx: Transaction, query: string, targetQuery: string, rawType = 'blocks'): { bead: Bead; changed: string[] } {
  const type = parseDepType(rawType);
  const bead = findBead(tx, query);
  const target = findBead(tx, targetQuery);
  if (bead.deps.some((d) => d.type === type && d.id === target.id)) return { bead, changed: [] };
  if (type === 'parent-child') {
    const parent = bead.deps.find((d) => d.type === 'parent-child');
    if (parent) throw new RuleError(`${bead.id} already has parent ${parent.id}`, `remove it first: gt dep remove ${bead.id} ${parent.id}`);
  }
  const problem = dependencyProblem(tx.beads, bead.id, target.id, type);
  if (problem !== undefined) {
    throw new RuleError(problem, bead.id === target.id ? 'name another bead' : 'remove one of the dependencies in the cycle first');
  }
  return applyChange(tx, bead, { ...bead, deps: [...bead.deps, { type, id: target.id }] });
}

export function removeDependency(tx: Transaction, query: string, targetQuery: string, rawType?: string): { bead: Bead; changed: string[] } {
  const type = rawType === undefined ? undefined : parseDepType(rawType);
  const bead = findBead(tx, query);
  const targetId = resolveId(targetQuery, new Set([...bead.deps.map((d) => d.id), ...tx.beads.keys()]));
  const deps = bead.deps.filter((d) => !(d.id === targetId && (type === undefined || d.type === type)));
  if (deps.length === bead.deps.length) {
    throw new RuleError(`${bead.id} has no ${type ? `${type} ` : ''}dependency on ${targetId}`, `see its dependencies with gt show ${bead.id}`);
  }
  return applyChange(tx, bead, { ...bead, deps });
}

export function addComment(tx: Transaction, query: string, text: string): { bead: Bead; comment: Comment } {
  const bead = findBead(tx, query);
  if (text.trim() === '') throw new RuleError('the comment is empty', 'write the text as the last argument, or use --file');
  const comment: Comment = { id: `c-${randomBytes(8).toString('hex')}`, author: tx.actor.name, at: tx.now, text };
  const { bead: updated } = applyChange(tx, bead, { ...bead, comments: [...bead.comments, comment] });
  return { bead: updated, comment };
}

export function setStatus(tx: Transaction, query: string, status: BeadStatus): { bead: Bead; changed: string[] } {
  const bead = findBead(tx, query);
  return applyChange(tx, bead, { ...bead, status });
}
