/**
 * Three-way, field-level merge of one bead. A field one side saw the other's value of and then changed
 * takes that side's value (ledger/merge/causal.ts), whatever the base says. Every other field is
 * settled by a rule chosen so that merging any number of agent branches gives the same bead in whatever
 * order they are merged: commutative and associative given the base (latest stamp, status precedence,
 * lowest priority, per-element set merge, union, maximum).
 */
import {
  BEAD_KEY_ORDER,
  CAUSAL_FIELDS,
  STAMPED_FIELDS,
  normalizeBead,
  type Bead,
  type BeadStatus,
  type StampedField,
} from './bead.js';
import { canonicalJson, mergeSets, unionById } from '../ledger/merge/set-merge.js';
import { causalWinner, mergedCausal } from '../ledger/merge/causal.js';

/** A value the merge had to drop because both sides changed the field differently. */
export interface MergeNote {
  beadId: string;
  field: string;
  kept: unknown;
  superseded: unknown;
}

export interface BeadMergeResult {
  bead: Bead;
  notes: MergeNote[];
}

/**
 * When two sides move a bead to different statuses, the one further along the lifecycle wins: a
 * closure is never undone by a concurrent status change ("closed wins").
 */
const STATUS_RANK: Record<BeadStatus, number> = {
  open: 0,
  deferred: 1,
  blocked: 2,
  hooked: 3,
  in_progress: 4,
  closed: 5,
};

/** Same bead = same id, created_at and created_by. Different ones sharing an id are an id collision. */
export function isSameBead(a: Bead, b: Bead): boolean {
  return a.id === b.id && a.created_at === b.created_at && a.created_by === b.created_by;
}

/**
 * base undefined = the bead was added on both sides (same identity); then any field whose values
 * differ counts as changed on both sides. Returns `ours` itself when the merge changes nothing in it.
 */
export function mergeBead(base: Bead | undefined, ours: Bead, theirs: Bead): BeadMergeResult {
  const notes: MergeNote[] = [];
  const note = (field: string, kept: unknown, superseded: unknown): void => {
    notes.push({ beadId: ours.id, field, kept, superseded });
  };
  /** The side whose value a field takes because it saw the other's and changed it, if one did. */
  const causal = (field: (typeof CAUSAL_FIELDS)[number]): Bead | undefined => {
    const winner = causalWinner(ours, theirs, field);
    return winner === 'ours' ? ours : winner === 'theirs' ? theirs : undefined;
  };

  const statusSide = causal('status');
  const status: ScalarMerge<BeadStatus> = statusSide
    ? { value: statusSide.status }
    : mergeScalar(base?.status, ours.status, theirs.status, (a, b) => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a));
  if (status.superseded !== undefined) note('status', status.value, status.superseded.value);

  const prioritySide = causal('priority');
  const priority: ScalarMerge<number> = prioritySide ? { value: prioritySide.priority } : mergeScalar(base?.priority, ours.priority, theirs.priority, Math.min);
  if (priority.superseded !== undefined) note('priority', priority.value, priority.superseded.value);

  const updatedAt = maxIso(ours.updated_at, theirs.updated_at);
  const labelsSide = causal('labels');
  const depsSide = causal('deps');

  const merged: Bead = {
    id: ours.id,
    title: ours.title,
    type: ours.type,
    status: status.value,
    priority: priority.value,
    labels: labelsSide ? labelsSide.labels : mergeSets(base?.labels, ours.labels, theirs.labels, (l) => l),
    deps: depsSide ? depsSide.deps : mergeSets(base?.deps, ours.deps, theirs.deps, (d) => `${d.type}\u0000${d.id}`),
    comments: unionById(ours.comments, theirs.comments, (a, b) => {
      const [kept, superseded] = canonicalJson(b) > canonicalJson(a) ? [b, a] : [a, b];
      note(`comments[${a.id}]`, kept, superseded);
      return kept;
    }),
    created_at: ours.created_at,
    created_by: ours.created_by,
    updated_at: updatedAt,
    // The closure goes with the status it belongs to.
    closed_at: statusSide ? statusSide.closed_at : mergeClosedAt(status.value, ours, theirs, updatedAt),
  };

  const edited: Partial<Record<StampedField, string>> = {};
  for (const f of STAMPED_FIELDS) {
    const side = causal(f);
    const r = side ? { ...stampedOf(side, f), superseded: undefined } : mergeStamped(f, base, ours, theirs);
    setField(merged, f, r.value);
    if (r.rawStamp !== undefined) edited[f] = r.rawStamp;
    if (r.superseded !== undefined) note(f, r.value, r.superseded.value);
  }
  if (Object.keys(edited).length > 0) merged.edited = edited;
  Object.assign(merged, mergedCausal(ours, theirs, CAUSAL_FIELDS));

  const bead = normalizeBead(inKeyOrder(merged));
  return { bead: canonicalJson(bead) === canonicalJson(ours) ? ours : bead, notes };
}

interface ScalarMerge<T> {
  value: T;
  /** Set only when both sides changed the field to different values: the losing value, boxed so a
   *  losing value that is itself `undefined` stays distinguishable from "nothing lost". */
  superseded?: { value: T } | undefined;
}

/**
 * Three-way merge of one value: a side that kept the base value yields to the other; when both
 * changed it (or there is no base and they differ), `pick` settles it and must be commutative.
 * `base` undefined means "no base", so T itself must not admit undefined.
 */
function mergeScalar<T>(
  base: T | undefined,
  ours: T,
  theirs: T,
  pick: (a: T, b: T) => T,
  equal: (a: T, b: T) => boolean = Object.is,
): ScalarMerge<T> {
  if (equal(ours, theirs)) return { value: ours };
  if (base !== undefined) {
    if (equal(theirs, base)) return { value: ours };
    if (equal(ours, base)) return { value: theirs };
  }
  const value = pick(ours, theirs);
  return { value, superseded: { value: value === ours ? theirs : ours } };
}

interface Stamped<F extends StampedField> {
  value: Bead[F];
  /** When the value was last set: `edited[f]`, or the creation time for a never-edited field. */
  stamp: string;
  /** `edited[f]` itself, which is what the merged bead keeps (a never-edited field stays unstamped). */
  rawStamp: string | undefined;
}

function stampedOf<F extends StampedField>(bead: Bead, f: F): Stamped<F> {
  const rawStamp = bead.edited?.[f];
  return { value: bead[f], stamp: rawStamp ?? bead.created_at, rawStamp };
}

/**
 * Latest edit wins. A side changed the field when its value or its stamp moved since the base, so
 * re-setting the base value after a concurrent edit still counts as the newer edit. Equal stamps
 * fall back to comparing the values' JSON, which keeps the outcome independent of side order.
 */
function mergeStamped<F extends StampedField>(
  f: F,
  base: Bead | undefined,
  ours: Bead,
  theirs: Bead,
): Stamped<F> & { superseded?: Stamped<F> | undefined } {
  const o = stampedOf(ours, f);
  const t = stampedOf(theirs, f);
  if (base !== undefined && APPENDABLE_FIELDS.has(f) && o.stamp === t.stamp) {
    // Both sides only appended lines since the last time the field was set: keep both appends.
    const union = mergeAppendedLines(base[f] as string | undefined, o.value as string | undefined, t.value as string | undefined);
    if (union !== undefined) return { value: union as Bead[F], stamp: o.stamp, rawStamp: o.rawStamp ?? t.rawStamp };
  }
  const r = mergeScalar(
    base === undefined ? undefined : stampedOf(base, f),
    o,
    t,
    (a, b) => (compareStamped(b, a) > 0 ? b : a),
    (a, b) => a.stamp === b.stamp && a.value === b.value,
  );
  // A stamp equal to created_at may be spelled out or not; prefer the explicit spelling so that the
  // result does not depend on which side is ours.
  const other = r.value === o ? t : o;
  const rawStamp = r.value.rawStamp ?? (other.stamp === r.value.stamp ? other.rawStamp : undefined);
  const lostValue = r.superseded !== undefined && r.superseded.value.value !== r.value.value;
  return { ...r.value, rawStamp, superseded: lostValue ? r.superseded?.value : undefined };
}

/**
 * Text fields that take appends (`update --append-notes`). An append does not move the field's edit
 * stamp, so two sides with the same stamp whose texts both hold every line of the base, in order, only
 * added lines, and the merge keeps both sides' lines; a side that set the field anew moved the stamp,
 * and the latest edit wins.
 */
const APPENDABLE_FIELDS: ReadonlySet<StampedField> = new Set<StampedField>(['notes']);

function linesOf(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : text.split('\n');
}

/**
 * The lines `side` adds around the base's lines: entry i holds those before base line i (the last entry,
 * those after the last base line). Undefined when `side` lost or changed a base line.
 */
function insertionsOf(base: string[], side: string[]): string[][] | undefined {
  const gaps: string[][] = Array.from({ length: base.length + 1 }, () => []);
  let matched = 0;
  for (const line of side) {
    if (matched < base.length && line === base[matched]) matched++;
    else gaps[matched]!.push(line);
  }
  return matched === base.length ? gaps : undefined;
}

/**
 * Splits added lines into runs: each starts at a line not smaller than every line before it and holds
 * the smaller lines after it, so run leaders never decrease. Interleaving two sides' runs by leader
 * keeps that true, so cutting the result into runs again gives back the same runs.
 */
function runsOf(lines: string[]): string[][] {
  const runs: string[][] = [];
  let max: string | undefined;
  for (const line of lines) {
    if (max === undefined || line >= max) {
      runs.push([line]);
      max = line;
    } else {
      runs[runs.length - 1]!.push(line);
    }
  }
  return runs;
}

function compareRuns(a: string[], b: string[]): number {
  if (a[0]! !== b[0]!) return a[0]! < b[0]! ? -1 : 1;
  const [ja, jb] = [a.join('\n'), b.join('\n')];
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/**
 * Both sides' added lines at one place: their runs interleaved by leader (then content), each side's in
 * its own order, a run at the head of both sides kept once. When each side's runs are in that order
 * (always, unless a side repeats its greatest line), this is the sorted union of the runs, whatever the
 * side order or grouping: merging several sides gives the same text in every merge order.
 */
function unionOfRuns(ours: string[], theirs: string[]): string[] {
  if (theirs.length === 0) return ours;
  if (ours.length === 0) return theirs;
  const [o, t] = [runsOf(ours), runsOf(theirs)];
  const out: string[][] = [];
  let [i, j] = [0, 0];
  while (i < o.length && j < t.length) {
    const order = compareRuns(o[i]!, t[j]!);
    if (order === 0) {
      out.push(o[i++]!);
      j++;
    } else {
      out.push(order < 0 ? o[i++]! : t[j++]!);
    }
  }
  return [...out, ...o.slice(i), ...t.slice(j)].flat();
}

/**
 * Three-way merge of a text both sides only added lines to: every line of either side is kept, each
 * side's lines in their order, both sides' lines at one place interleaved deterministically (see
 * unionOfRuns); what both sides added alike is kept once, so merging a side twice adds nothing. Base B,
 * ours B+x, theirs B+y gives B+x+y or B+y+x, the same either way round. Undefined when a side removed
 * or changed a line of the base, or the sides agree.
 */
export function mergeAppendedLines(base: string | undefined, ours: string | undefined, theirs: string | undefined): string | undefined {
  if (ours === theirs) return undefined;
  const baseLines = linesOf(base);
  const o = insertionsOf(baseLines, linesOf(ours));
  const t = insertionsOf(baseLines, linesOf(theirs));
  if (!o || !t) return undefined;
  const merged: string[] = [];
  for (let i = 0; i <= baseLines.length; i++) {
    merged.push(...unionOfRuns(o[i]!, t[i]!));
    if (i < baseLines.length) merged.push(baseLines[i]!);
  }
  return merged.length === 0 ? undefined : merged.join('\n');
}

function compareStamped<F extends StampedField>(a: Stamped<F>, b: Stamped<F>): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  const ja = canonicalJson(a.value);
  const jb = canonicalJson(b.value);
  return ja === jb ? 0 : ja < jb ? -1 : 1;
}

/**
 * A closed bead was closed when the latest of the closing sides closed it; a side that is not closed
 * says nothing about when the merged closure happened. The fallbacks only matter for beads whose
 * closed_at is missing, which the ledger's validation should not let through.
 */
function mergeClosedAt(status: BeadStatus, ours: Bead, theirs: Bead, updatedAt: string): string | undefined {
  if (status !== 'closed') return undefined;
  const defined = (s: string | undefined): s is string => s !== undefined;
  const fromClosing = [ours, theirs].filter((b) => b.status === 'closed').map((b) => b.closed_at).filter(defined);
  const candidates = fromClosing.length > 0 ? fromClosing : [ours.closed_at, theirs.closed_at].filter(defined);
  return candidates.length > 0 ? candidates.reduce(maxIso) : updatedAt;
}

function maxIso(a: string, b: string): string {
  return b > a ? b : a;
}

function setField<F extends StampedField>(bead: Bead, f: F, value: Bead[F]): void {
  bead[f] = value;
}

/** Canonical key order, and no keys holding `undefined` (an unset optional field is absent). */
function inKeyOrder(bead: Bead): Bead {
  const out: Partial<Record<keyof Bead, unknown>> = {};
  for (const k of BEAD_KEY_ORDER) if (bead[k] !== undefined) out[k] = bead[k];
  return out as Bead;
}
