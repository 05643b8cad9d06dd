/**
 * `gt diff <a>..<b>`: what a ledger change means, entity by entity, for a reviewer. The two commits'
 * trees are compared directly (tree-diff.ts: only subtrees and files whose ids differ are read), so
 * the history in between, however long or rewritten, costs nothing and cannot mislead.
 */
import type { Ledger } from '../ledger/ledger.js';
import { changedFiles } from '../ledger/tree-diff.js';
import { holdsLedger } from '../ledger/check.js';
import { CONFIG_PATH, dirOf, idFromPath } from '../ledger/layout.js';
import { BEAD_KEY_ORDER, type Bead } from '../beads/bead.js';
import type { Convoy } from '../convoys/convoy.js';
import type { Molecule } from '../molecules/molecule.js';
import type { AgentRecord } from '../agents/agent.js';
import type { Mail } from '../mail/mail.js';
import type { MergeRequest } from '../mrs/mr.js';
import { RepositoryError } from '../errors.js';

/** One field's change: short values as they are, long texts as a summary (`appended 2 lines`). */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
  /** For long texts and sets, what changed in words; before/after are then left out. */
  summary?: string;
}

export interface CommentAdded {
  id: string;
  author: string;
  at: string;
  /** The comment's first line, shortened. */
  text: string;
}

export type EntityChangeKind = 'created' | 'deleted' | 'changed';

export interface BeadChange {
  id: string;
  title: string;
  change: EntityChangeKind | 'closed' | 'reopened';
  status: string;
  /** For a new bead: its type, priority, assignee, labels, deps; otherwise what changed. */
  fields: FieldChange[];
  comments: CommentAdded[];
  close_reason?: string;
}

export interface ConvoyChange {
  id: string;
  title: string;
  change: EntityChangeKind | 'landed' | 'closed' | 'reopened';
  tracked: number;
  /** A convoy created within the change (and, for `landed`, landed in it too). */
  created?: true;
  fields: FieldChange[];
}

export interface MoleculeChange {
  id: string;
  title: string;
  change: EntityChangeKind | 'advanced' | 'completed';
  bead?: string;
  /** Steps that became done or skipped, in the molecule's order. */
  steps_done: string[];
  steps_skipped: string[];
  /** done/total after the change (before it for a deleted molecule). */
  progress: { done: number; total: number };
}

export interface AgentChange {
  id: string;
  change: EntityChangeKind;
  role?: string;
  fields: FieldChange[];
}

export interface MailChange {
  id: string;
  change: EntityChangeKind | 'read';
  from: string;
  to: string;
  subject: string;
}

export interface MrChange {
  id: string;
  change: EntityChangeKind;
  bead: string;
  branch: string;
  status: string;
  fields: FieldChange[];
}

/** A file that is not an entity read on both sides: gt.yaml, .gitattributes, stray or unreadable files. */
export interface OtherChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  /** Why it could not be read, on the side that has it. */
  problem?: string;
}

export interface LedgerDiff {
  from: string;
  to: string;
  beads: BeadChange[];
  convoys: ConvoyChange[];
  molecules: MoleculeChange[];
  agents: AgentChange[];
  mail: MailChange[];
  mrs: MrChange[];
  other: OtherChange[];
  counts: Record<string, number>;
}

/** Texts longer than this, or of more than one line, are summarised rather than shown. */
const SHORT_TEXT = 60;

function isShort(v: unknown): boolean {
  return typeof v !== 'string' || (v.length <= SHORT_TEXT && !v.includes('\n'));
}

function lineCount(s: string): number {
  return s === '' ? 0 : s.replace(/\n$/, '').split('\n').length;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** A long text's change in words: set, removed, appended, or rewritten, with line counts. */
export function summariseText(before: string | undefined, after: string | undefined): string {
  if (before === undefined) return `set (${plural(lineCount(after!), 'line')}, ${plural(after!.length, 'char')})`;
  if (after === undefined) return `removed (was ${plural(lineCount(before), 'line')})`;
  if (after.startsWith(before)) return `appended ${plural(lineCount(after.slice(before.length).replace(/^\n/, '')), 'line')}`;
  return `rewritten (${lineCount(before)} → ${plural(lineCount(after), 'line')}, ${before.length} → ${plural(after.length, 'char')})`;
}

/** The first line of a text, shortened for a list. */
export function firstLine(text: string, max = SHORT_TEXT): string {
  const line = text.split('\n')[0]!;
  return line.length > max || text.includes('\n') ? `${line.slice(0, max).trimEnd()}…` : line;
}

function setSummary(before: readonly string[], after: readonly string[]): string | undefined {
  const added = after.filter((x) => !before.includes(x));
  const removed = before.filter((x) => !after.includes(x));
  if (added.length === 0 && removed.length === 0) return undefined;
  return [...added.map((x) => `+${x}`), ...removed.map((x) => `-${x}`)].join(' ');
}

/**
 * The fields of `keys` that differ between two versions: scalars and short texts as before → after,
 * lists as additions and removals, long texts summarised.
 */
function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>, keys: readonly string[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of keys) {
    const [b, a] = [before[field], after[field]];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (Array.isArray(b) || Array.isArray(a)) {
      const text = (x: unknown) => ((x as unknown[] | undefined) ?? []).map((v) => (typeof v === 'string' ? v : Object.values(v as object).join(':')));
      const summary = setSummary(text(b), text(a));
      if (summary !== undefined) out.push({ field, summary });
      continue;
    }
    if (isShort(b) && isShort(a)) out.push({ field, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) });
    else out.push({ field, summary: summariseText(b as string | undefined, a as string | undefined) });
  }
  return out;
}

type Fields = Record<string, unknown>;

/** Fields a reader does not review: bookkeeping that changes with every edit, and what a status change already says. */
const BEAD_QUIET = new Set(['id', 'updated_at', 'edited', 'seen', 'writes', 'comments', 'created_at', 'created_by', 'closed_at']);
const BEAD_REVIEWED = BEAD_KEY_ORDER.filter((k) => !BEAD_QUIET.has(k));
/** What a new bead is introduced with, besides its title. */
const BEAD_CREATED = ['type', 'priority', 'assignee', 'labels', 'deps'];

function beadChange(before: Bead | undefined, after: Bead | undefined): BeadChange {
  const bead = (after ?? before)!;
  if (!before || !after) {
    const fields = after ? fieldChanges({}, after as unknown as Fields, BEAD_CREATED) : [];
    return { id: bead.id, title: bead.title, change: after ? 'created' : 'deleted', status: bead.status, fields, comments: after ? commentsAdded(undefined, after) : [] };
  }
  const wasClosed = before.status === 'closed';
  const isClosed = after.status === 'closed';
  const change = !wasClosed && isClosed ? 'closed' : wasClosed && !isClosed ? 'reopened' : 'changed';
  // A closing or a reopening says what happened to the status and the reason itself.
  const quiet = change === 'changed' ? [] : ['status', 'close_reason'];
  const fields = fieldChanges(before as unknown as Fields, after as unknown as Fields, BEAD_REVIEWED.filter((k) => !quiet.includes(k)));
  return {
    id: bead.id,
    title: after.title,
    change,
    status: after.status,
    fields,
    comments: commentsAdded(before, after),
    ...(change === 'closed' && after.close_reason !== undefined ? { close_reason: firstLine(after.close_reason) } : {}),
  };
}

function commentsAdded(before: Bead | undefined, after: Bead): CommentAdded[] {
  const known = new Set((before?.comments ?? []).map((c) => c.id));
  return after.comments.filter((c) => !known.has(c.id)).map((c) => ({ id: c.id, author: c.author, at: c.at, text: firstLine(c.text) }));
}

const CONVOY_REVIEWED = ['title', 'description', 'owner', 'notify', 'feed', 'tracks', 'close_reason'];

function convoyChange(before: Convoy | undefined, after: Convoy | undefined): ConvoyChange {
  const convoy = (after ?? before)!;
  const tracked = (convoy.tracks ?? []).length;
  // A convoy made and landed within one change is a landing, the thing to review.
  if (!before && after?.landed_at !== undefined) return { id: convoy.id, title: convoy.title, change: 'landed', tracked, created: true, fields: [] };
  if (!before || !after) return { id: convoy.id, title: convoy.title, change: after ? 'created' : 'deleted', tracked, fields: [] };
  const change = before.status === 'open' && after.status === 'closed' ? (after.landed_at !== undefined && after.landed_at !== before.landed_at ? 'landed' : 'closed') : before.status === 'closed' && after.status === 'open' ? 'reopened' : 'changed';
  // A landing, closing or reopening says itself what happened to the reason.
  const reviewed = change === 'changed' ? CONVOY_REVIEWED : CONVOY_REVIEWED.filter((k) => k !== 'close_reason');
  return { id: convoy.id, title: after.title, change, tracked, fields: fieldChanges(before as unknown as Fields, after as unknown as Fields, reviewed) };
}

function moleculeChange(before: Molecule | undefined, after: Molecule | undefined): MoleculeChange {
  const molecule = (after ?? before)!;
  const progress = { done: molecule.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length, total: molecule.steps.length };
  const bead = molecule.bead !== undefined ? { bead: molecule.bead } : {};
  if (!before || !after) return { id: molecule.id, title: molecule.title, change: after ? 'created' : 'deleted', ...bead, steps_done: [], steps_skipped: [], progress };
  const was = new Map(before.steps.map((s) => [s.id, s.status]));
  const became = (status: string) => after.steps.filter((s) => s.status === status && was.get(s.id) !== status).map((s) => s.id);
  const [done, skipped] = [became('done'), became('skipped')];
  const change = before.status !== 'done' && after.status === 'done' ? 'completed' : done.length + skipped.length > 0 ? 'advanced' : 'changed';
  return { id: molecule.id, title: after.title, change, ...bead, steps_done: done, steps_skipped: skipped, progress };
}

/** An agent's record changes on every sling and session: only what a reviewer cares about. */
const AGENT_REVIEWED = ['role', 'state', 'description', 'worktree'];

function agentChange(before: AgentRecord | undefined, after: AgentRecord | undefined): AgentChange {
  const agent = (after ?? before)!;
  if (!before || !after) return { id: agent.id, change: after ? 'created' : 'deleted', role: agent.role, fields: [] };
  return { id: agent.id, change: 'changed', fields: fieldChanges(before as unknown as Fields, after as unknown as Fields, AGENT_REVIEWED) };
}

function mailChange(before: Mail | undefined, after: Mail | undefined): MailChange {
  const mail = (after ?? before)!;
  const change = !before ? 'created' : !after ? 'deleted' : before.status !== 'read' && after.status === 'read' ? 'read' : 'changed';
  return { id: mail.id, change, from: mail.from, to: mail.to, subject: firstLine(mail.subject) };
}

const MR_REVIEWED = ['status', 'waiting', 'attempts', 'merge_commit', 'conflict_files', 'conflict_bead', 'superseded_by'];

function mrChange(before: MergeRequest | undefined, after: MergeRequest | undefined): MrChange {
  const mr = (after ?? before)!;
  const fields = before && after ? fieldChanges(before as unknown as Fields, after as unknown as Fields, MR_REVIEWED) : [];
  return { id: mr.id, change: !before ? 'created' : !after ? 'deleted' : 'changed', bead: mr.bead, branch: mr.branch, status: mr.status, fields };
}

/** Changes a reviewer would not see at all (an agent's activity stamps alone) are dropped. */
function meaningful(change: { change: string; fields?: FieldChange[]; comments?: CommentAdded[] }): boolean {
  return change.change !== 'changed' || (change.fields?.length ?? 0) > 0 || (change.comments?.length ?? 0) > 0;
}

/** What changed on the ledger from commit `from` to commit `to`. */
export async function diffLedger(ledger: Ledger, from: string, to: string): Promise<LedgerDiff> {
  for (const commit of [from, to]) {
    if (!(await holdsLedger(ledger, commit))) throw new RepositoryError(`commit ${commit.slice(0, 12)} holds no ledger (no ${CONFIG_PATH} at the root of its tree)`, 'name commits of gt/ledger or of a branch made from it');
  }
  const files = await changedFiles(ledger.cache, from, to);
  const entityFiles = new Set(files.filter((f) => ledger.kinds.has(dirOf(f.path)) && idFromPath(f.path) !== undefined));
  // Each side's changed files, parsed in one batch per side (the index keeps them for next time).
  const decodedBefore = await ledger.cache.decodeAll([...entityFiles].filter((f) => f.before !== null).map((f): [string, string] => [f.path, f.before!]));
  const decodedAfter = await ledger.cache.decodeAll([...entityFiles].filter((f) => f.after !== null).map((f): [string, string] => [f.path, f.after!]));
  const diff: LedgerDiff = { from, to, beads: [], convoys: [], molecules: [], agents: [], mail: [], mrs: [], other: [], counts: {} };
  const builders: Record<string, (b: never, a: never) => { change: string }> = {
    beads: beadChange,
    convoys: convoyChange,
    molecules: moleculeChange,
    agents: agentChange,
    mail: mailChange,
    mrs: mrChange,
  };
  for (const file of files) {
    const change = file.before === null ? 'added' : file.after === null ? 'removed' : 'modified';
    const dir = dirOf(file.path);
    const build = builders[dir];
    if (!build || !entityFiles.has(file)) {
      diff.other.push({ path: file.path, change });
      continue;
    }
    const b = file.before === null ? { value: undefined } : decodedBefore.get(file.path)!;
    const a = file.after === null ? { value: undefined } : decodedAfter.get(file.path)!;
    if (!('value' in b) || !('value' in a)) {
      const broken = 'value' in a ? b : a;
      diff.other.push({ path: file.path, change, problem: 'problem' in broken ? `${broken.line !== undefined ? `line ${broken.line}: ` : ''}${broken.problem}` : 'unreadable' });
      continue;
    }
    const entry = build(b.value as never, a.value as never);
    if (meaningful(entry)) (diff[dir as keyof LedgerDiff] as unknown[]).push(entry);
  }
  diff.counts = countsOf(diff);
  return diff;
}

function countsOf(diff: LedgerDiff): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (key: string, n = 1) => {
    if (n > 0) counts[key] = (counts[key] ?? 0) + n;
  };
  for (const b of diff.beads) {
    add(b.change === 'created' ? 'beads_created' : b.change === 'closed' ? 'beads_closed' : b.change === 'reopened' ? 'beads_reopened' : b.change === 'deleted' ? 'beads_deleted' : 'beads_changed');
    add('comments_added', b.comments.length);
  }
  for (const c of diff.convoys) add(`convoys_${c.change}`);
  for (const m of diff.molecules) {
    add(`molecules_${m.change}`);
    add('steps_done', m.steps_done.length + m.steps_skipped.length);
  }
  for (const a of diff.agents) add(`agents_${a.change}`);
  for (const m of diff.mail) add(m.change === 'created' ? 'mail_sent' : `mail_${m.change}`);
  for (const m of diff.mrs) add(`mrs_${m.change}`);
  add('other_files', diff.other.length);
  return counts;
}
