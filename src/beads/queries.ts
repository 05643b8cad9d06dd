import type { LedgerView } from '../ledger/view.js';
import { BEAD_STATUSES, type Bead } from './bead.js';
import { blockedBeads, blockedIds, compareByPriorityThenAge, computeBlockers, readiness, readyBeads, readyIds } from './readiness.js';
import { UsageError } from '../errors.js';
import { sortKeyOfJson } from './bead-json.js';

export const SORT_KEYS = ['priority', 'created', 'updated', 'id', 'title', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface BeadFilter {
  statuses?: string[];
  types?: string[];
  priorities?: number[];
  assignee?: string;
  /** Every label listed must be present. */
  labels?: string[];
  /** Case-insensitive substring of id, title, description or notes. */
  text?: string;
  /** Include closed beads (hidden by default unless a status filter asks for them). */
  all?: boolean;
  sort?: string;
  reverse?: boolean;
  limit?: number;
}

export function parseSortKey(raw: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(raw)) throw new UsageError(`cannot sort by '${raw}'`, `sort by one of: ${SORT_KEYS.join(', ')}`);
  return raw as SortKey;
}

const STATUS_ORDER = new Map<string, number>(BEAD_STATUSES.map((s, i) => [s, i]));

function comparator(key: SortKey): (a: Bead, b: Bead) => number {
  const byString = (f: (b: Bead) => string) => (a: Bead, b: Bead) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : a.id < b.id ? -1 : 1);
  switch (key) {
    case 'priority':
      return compareByPriorityThenAge;
    case 'created':
      return byString((b) => b.created_at);
    case 'updated':
      return byString((b) => b.updated_at);
    case 'id':
      return byString((b) => b.id);
    case 'title':
      return byString((b) => b.title.toLowerCase());
    case 'status':
      return (a, b) => (STATUS_ORDER.get(a.status)! - STATUS_ORDER.get(b.status)!) || compareByPriorityThenAge(a, b);
  }
}

export function listBeads(view: LedgerView, filter: BeadFilter): Bead[] {
  const statuses = filter.statuses && filter.statuses.length > 0 ? new Set(filter.statuses) : undefined;
  const types = filter.types && filter.types.length > 0 ? new Set(filter.types) : undefined;
  const priorities = filter.priorities && filter.priorities.length > 0 ? new Set(filter.priorities) : undefined;
  const text = filter.text?.toLowerCase();
  const wanted = (status: string): boolean => (statuses ? statuses.has(status) : filter.all === true || status !== 'closed');
  const result = view.beads.withStatus(wanted).filter((b) => {
    if (types && !types.has(b.type)) return false;
    if (priorities && !priorities.has(b.priority)) return false;
    if (filter.assignee !== undefined && (b.assignee ?? '') !== filter.assignee) return false;
    if (filter.labels && !filter.labels.every((l) => b.labels.includes(l))) return false;
    if (text && ![b.id, b.title, b.description ?? '', b.notes ?? ''].some((s) => s.toLowerCase().includes(text))) return false;
    return true;
  });
  result.sort(comparator(parseSortKey(filter.sort ?? 'priority')));
  if (filter.reverse) result.reverse();
  return filter.limit !== undefined && filter.limit >= 0 ? result.slice(0, filter.limit) : result;
}

/**
 * The matching beads' ids and JSON texts, in order, without parsing a single bead: `list --json` for a
 * program prints the texts, `list` parses each for its line and drops it. Only for filters on status
 * (and the default sort, reverse and limit); undefined when the filter needs the beads' fields, and the
 * caller lists them the ordinary way.
 */
export function listBeadRows(view: LedgerView, filter: BeadFilter): { id: string; text: string }[] | undefined {
  const needsFields =
    (filter.types?.length ?? 0) > 0 ||
    (filter.priorities?.length ?? 0) > 0 ||
    filter.assignee !== undefined ||
    (filter.labels?.length ?? 0) > 0 ||
    filter.text !== undefined ||
    (filter.sort !== undefined && filter.sort !== 'priority');
  if (needsFields) return undefined;
  const statuses = filter.statuses && filter.statuses.length > 0 ? new Set(filter.statuses) : undefined;
  const limit = <T>(rows: T[]): T[] => {
    if (filter.reverse) rows.reverse();
    return filter.limit !== undefined && filter.limit >= 0 ? rows.slice(0, filter.limit) : rows;
  };
  // Beads that are not closed come in this order from the kept readiness: nothing to sort or read.
  const kept = filter.all === true || statuses?.has('closed') ? undefined : readiness(view.beads);
  if (kept) return limit(kept.filter((r) => !statuses || statuses.has(r.status)).map((r) => ({ id: r.id, text: view.beads.textOf(r.id)! })));
  const rows = view.beads.textsWithStatus((status) => (statuses ? statuses.has(status) : filter.all === true || status !== 'closed'));
  const keyed: { key: string; id: string; text: string }[] = [];
  for (const row of rows) {
    const key = sortKeyOfJson(row.text);
    if (!key) return undefined;
    // One string in the order compareByPriorityThenAge gives (priority is one digit; NUL ends the time
    // so that a shorter time sorts first, as comparing the two strings would).
    keyed.push({ key: `${key.priority}${key.created_at}\u0000${row.id}`, id: row.id, text: row.text });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return limit(keyed.map(({ id, text }) => ({ id, text })));
}

/**
 * `ready --json` for a program: the ready beads' JSON texts in order, computed from each bead's
 * status, dependencies and sort keys alone (read from the text), so no bead is parsed.
 */
export function readyBeadTexts(view: LedgerView, limit?: number): string[] {
  const ids = readyIds(view.beads) ?? readyBeads(view.beads).map((b) => b.id);
  return ids.slice(0, limit ?? Infinity).map((id) => view.beads.textOf(id)!);
}

/**
 * `blocked --json` for a program: each blocked bead's JSON text with its `blocked_by` added, from the
 * kept readiness, no bead parsed; undefined when the table keeps none.
 */
export function blockedBeadTexts(view: LedgerView): string[] | undefined {
  const kept = readiness(view.beads);
  if (!kept) return undefined;
  // A bead's text is one JSON object: the field goes in before its closing brace, last, as a spread would put it.
  return kept.filter((r) => r.status !== 'deferred' && r.blockers !== '[]').map((r) => `${view.beads.textOf(r.id)!.slice(0, -1)},"blocked_by":${r.blockers}}`);
}

export interface LedgerStats {
  total: number;
  by_status: Record<string, number>;
  by_type: Record<string, number>;
  by_priority: Record<string, number>;
  ready: number;
  blocked: number;
  broken_files: number;
}

export function ledgerStats(view: LedgerView): LedgerStats {
  const byStatus = Object.fromEntries(BEAD_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  const byType: Record<string, number> = {};
  const byPriority: Record<string, number> = {};
  // Each bead parsed from its text and dropped: counting 50,000 beads does not keep them all parsed.
  for (const { text } of view.beads.textsWithStatus(() => true)) {
    const b = JSON.parse(text) as Bead;
    byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
    byType[b.type] = (byType[b.type] ?? 0) + 1;
    byPriority[`P${b.priority}`] = (byPriority[`P${b.priority}`] ?? 0) + 1;
  }
  const sorted = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    total: view.beads.size,
    by_status: byStatus,
    by_type: sorted(byType),
    by_priority: sorted(byPriority),
    ready: readyIds(view.beads)?.length ?? readyBeads(view.beads).length,
    blocked: blockedIds(view.beads)?.length ?? blockedBeads(view.beads).length,
    broken_files: view.problems.length,
  };
}

/** The beads that `id` blocks or parents (its dependents), for `show`. */
export function dependentsOf(view: LedgerView, id: string): { id: string; type: string; title: string; status: string }[] {
  const out: { id: string; type: string; title: string; status: string }[] = [];
  // From the view's index of references when it has one: the dependents' shards only, not every bead.
  const referrers = view.beads.referrers(id);
  if (referrers) {
    for (const r of referrers) {
      const b = view.beads.get(r.source);
      if (b) out.push({ id: b.id, type: r.type, title: b.title, status: b.status });
    }
    return out;
  }
  for (const b of view.beads.values()) {
    for (const d of b.deps) if (d.id === id) out.push({ id: b.id, type: d.type, title: b.title, status: b.status });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

export { readyBeads, blockedBeads, computeBlockers };
