/**
 * What each side of a merge has already seen, field by field, so that a merge never re-applies state
 * that one side saw and then changed again, whatever happened to the history in between (a squash
 * merge, a rebase, a force-pushed replay). The merge base cannot say this after such rewrites; the
 * files themselves can, because they travel with the content.
 *
 * Every entity file of a kind that opts in carries, after its fields:
 *
 *   seen:                      # version vector: per writer, the latest of its writes this file reflects
 *     overseer.k3j9x0q2: 1767225600000
 *     polecat-1.k3j9x0q2: 1767225601000
 *   writes:                    # per field, the write (dot) that set its current value
 *     close_reason: polecat-1.k3j9x0q2@1767225601000
 *     status: polecat-1.k3j9x0q2@1767225601000
 *
 * A writer is `<actor>.<replica>`: the replica is a random id kept machine-local in `.git/gt/replica`
 * (replica.ts), shared by worktrees, never copied by `git clone`, so two clones never share a writer.
 * A counter is a hybrid logical clock: max(seen[writer] + 1, now in ms). The +1 keeps a writer's writes
 * to one entity ordered; the clock keeps a counter from being reused after a branch was reset to a
 * state whose `seen` is older (a reused dot would claim two different writes are one).
 *
 * A field without a `writes` entry holds the value it was created with (the creation write is seen by
 * every file of the entity), which keeps the common file short. A file written before this format has
 * no `seen`: it is merged by the old rules alone. Its first write stamps the fields it does not change
 * with `legacy`, a dot nobody covers, because they may hold changes made without dots.
 *
 * Merge of one field: theirs' dots all covered by our `seen` while ours are not all covered by theirs
 * means we saw their value and replaced it: ours. The mirror: theirs. Anything else (concurrent
 * writes, the same dots, a side without `seen`) is left to the kind's existing rule (three-way with the
 * base, precedence, stamps, set merge), and the merged field keeps both sides' dots (less any dot one
 * side saw and replaced), so a later merge knows the result reflects both. The merged `seen` is the pointwise maximum. Union and
 * maximum are commutative, associative and idempotent, and a dominated side adds nothing that the
 * dominating one lacks, so merge results stay independent of merge order and grouping.
 *
 * Why a dot set per field rather than one dot: after a concurrent merge, a single dot (say the larger)
 * would make the merged value look like one side's write, and a later merge with that side would
 * take "same write" for equal values when they are not.
 */
import { Checker, type KeyPath } from '../validate.js';
import { canonicalJson } from './set-merge.js';

/** Per writer, the latest of its writes a file reflects. */
export type Seen = Record<string, number>;
/** Per field, the dots of the write(s) that set its value: `writer@counter`, space-separated, sorted. */
export type Writes = Record<string, string>;

/** The causal bookkeeping of an entity value (absent on files written before it existed). */
export interface Causal {
  seen?: Seen;
  writes?: Writes;
}

/** The dot of a field that may hold a value written without dots. Never covered by any `seen`. */
export const LEGACY_DOT = 'legacy';

/** `<actor>.<replica>`: an agent name (or overseer, observer, refinery) and a replica id. */
export const WRITER_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}\.[a-z0-9]{4,16}$/;
const WRITER_HINT = "a writer is '<actor>.<replica>', e.g. overseer.k3j9x0q2";

/** The keys a kind adds to its files, in file order, after `edited`. */
export const CAUSAL_KEYS = ['seen', 'writes'] as const;

function parseDot(dot: string): { writer: string; counter: number } | undefined {
  const at = dot.lastIndexOf('@');
  if (at < 0) return undefined;
  const writer = dot.slice(0, at);
  const digits = dot.slice(at + 1);
  if (!WRITER_PATTERN.test(writer) || !/^[1-9]\d{0,15}$/.test(digits)) return undefined;
  const counter = Number(digits);
  return Number.isSafeInteger(counter) ? { writer, counter } : undefined;
}

function dotsIn(text: string): string[] {
  return text.split(' ');
}

/** A field's dots on one side; `[]` for a field unchanged since creation, undefined for a file without `seen`. */
function dotsOf(side: Causal, field: string): string[] | undefined {
  if (!side.seen) return undefined;
  const text = side.writes?.[field];
  return text === undefined ? [] : dotsIn(text);
}

function covered(dots: readonly string[], seen: Seen): boolean {
  return dots.every((dot) => {
    const parsed = parseDot(dot);
    return parsed !== undefined && (seen[parsed.writer] ?? 0) >= parsed.counter;
  });
}

/** Which side's value a field takes because that side saw the other's and changed it; undefined: the kind's own rule decides. */
export function causalWinner(ours: Causal, theirs: Causal, field: string): 'ours' | 'theirs' | undefined {
  const [o, t] = [dotsOf(ours, field), dotsOf(theirs, field)];
  if (o === undefined || t === undefined || o.join(' ') === t.join(' ')) return undefined;
  const theirsSeen = covered(t, ours.seen!);
  const oursSeen = covered(o, theirs.seen!);
  if (theirsSeen && !oursSeen) return 'ours';
  if (oursSeen && !theirsSeen) return 'theirs';
  return undefined;
}

/** A value without its write bookkeeping: what it says, as opposed to how it came to say it. */
export function withoutCausal<T extends Causal>(value: T): Omit<T, 'seen' | 'writes'> {
  const { seen: _seen, writes: _writes, ...rest } = value;
  return rest;
}

function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The bookkeeping of a merged entity: `seen` the pointwise maximum, each of `fields` with the dots of
 * the side it was taken from by causalWinner, or both sides' dots when the kind's own rule settled it.
 * Empty when neither side has any.
 */
export function mergedCausal(ours: Causal, theirs: Causal, fields: readonly string[]): Causal {
  if (!ours.seen && !theirs.seen) return {};
  const seen: Seen = { ...(ours.seen ?? {}) };
  for (const [writer, counter] of Object.entries(theirs.seen ?? {})) seen[writer] = Math.max(seen[writer] ?? 0, counter);
  const writes: [string, string][] = [];
  for (const field of fields) {
    const winner = causalWinner(ours, theirs, field);
    const side = (s: Causal): string[] => dotsOf(s, field) ?? [LEGACY_DOT];
    const [o, t] = [side(ours), side(theirs)];
    // Concurrent: a dot both keep, or one side keeps and the other has not seen; one the other saw and replaced is gone.
    const unseenBy = (dots: string[], other: Causal, otherDots: string[]) => dots.filter((d) => otherDots.includes(d) || !other.seen || !covered([d], other.seen));
    const kept = [...unseenBy(o, theirs, t), ...unseenBy(t, ours, o)];
    // Each side replacing all of the other's (files edited by hand): keep both rather than claim the creation value.
    const concurrent = kept.length > 0 ? kept : [...o, ...t];
    const dots = winner === 'ours' ? o : winner === 'theirs' ? t : [...new Set(concurrent)].sort();
    if (dots.length > 0) writes.push([field, dots.join(' ')]);
  }
  return { seen: sortedRecord(Object.entries(seen)), ...(writes.length > 0 ? { writes: sortedRecord(writes) } : {}) };
}

/**
 * `after` with the bookkeeping of one write by `writer` at `nowMs`: a new dot for every one of
 * `fields` that differs from `before`, and `seen` moved on. `before` undefined: a creation (no
 * per-field dots). The bookkeeping is taken from `before`, never from `after`, so a caller that built
 * `after` from scratch cannot lose or forge it. Nothing changes when no field does.
 */
export function stampWrite<T extends Causal>(before: T | undefined, after: T, fields: readonly string[], writer: string, nowMs: number): T {
  const record = after as unknown as Record<string, unknown>;
  const prior = before as unknown as Record<string, unknown> | undefined;
  const changed = fields.filter((f) => prior !== undefined && canonicalJson(prior[f]) !== canonicalJson(record[f]));
  const { seen: _seen, writes: _writes, ...rest } = after;
  if (before !== undefined && changed.length === 0) {
    return { ...rest, ...(before.seen ? { seen: before.seen } : {}), ...(before.writes ? { writes: before.writes } : {}) } as T;
  }
  const seen: Seen = { ...(before?.seen ?? {}) };
  const counter = Math.max((seen[writer] ?? 0) + 1, Math.floor(nowMs));
  seen[writer] = counter;
  const writes: Writes = { ...(before?.writes ?? {}) };
  // A file from before dots: what it holds may come from writes nobody can name.
  if (before !== undefined && !before.seen) for (const f of fields) writes[f] = LEGACY_DOT;
  for (const f of changed) writes[f] = `${writer}@${counter}`;
  const sortedWrites = sortedRecord(Object.entries(writes));
  return { ...rest, seen: sortedRecord(Object.entries(seen)), ...(Object.keys(sortedWrites).length > 0 ? { writes: sortedWrites } : {}) } as T;
}

/**
 * Checks `seen` and `writes` of a value read from outside, recording problems in `c`; returns them
 * (sorted) when valid. `fields`: the fields a kind tracks. Every dot must be one `seen` covers, so that
 * a file never claims a write it has not seen.
 */
export function checkCausal(c: Checker, seen: unknown, writes: unknown, fields: readonly string[], at: KeyPath = []): Causal {
  const out: Causal = {};
  const before = c.problems.length;
  let seenMap: Seen | undefined;
  const given = (v: unknown): boolean => v !== undefined && !(v === null && c.options.nullIsUnset);
  if (given(seen)) {
    const map = c.map(seen, [...at, 'seen']);
    if (map) {
      seenMap = {};
      for (const [writer, counter] of Object.entries(map)) {
        if (counter === undefined) continue;
        if (!WRITER_PATTERN.test(writer)) c.add([...at, 'seen', writer], `seen: '${writer}' is not a writer (${WRITER_HINT})`);
        else if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) c.add([...at, 'seen', writer], `seen.${writer} must be a whole number of at least 1, got ${JSON.stringify(counter) ?? String(counter)}`);
        else seenMap[writer] = counter;
      }
    }
  }
  if (given(writes)) {
    const map = c.map(writes, [...at, 'writes']);
    if (map) {
      if (!given(seen)) c.add([...at, 'writes'], 'writes without seen: a file that names the writes of its fields must say which writes it has seen');
      const known = new Set(fields);
      const entries: [string, string][] = [];
      for (const [field, text] of Object.entries(map)) {
        if (text === undefined) continue;
        const path = [...at, 'writes', field];
        if (!known.has(field)) {
          c.add(path, `writes: '${field}' is not a field whose writes are tracked (${fields.join(', ')})`);
          continue;
        }
        if (typeof text !== 'string' || text === '') {
          c.add(path, `writes.${field} must be one or more writes like overseer.k3j9x0q2@1767225600000, got ${JSON.stringify(text) ?? String(text)}`);
          continue;
        }
        const dots = dotsIn(text);
        const bad = dots.find((d) => d !== LEGACY_DOT && parseDot(d) === undefined);
        if (bad !== undefined) {
          c.add(path, `writes.${field}: '${bad}' is not a write (writer@counter, e.g. overseer.k3j9x0q2@1767225600000, or ${LEGACY_DOT})`);
          continue;
        }
        if (new Set(dots).size !== dots.length || dots.join(' ') !== [...dots].sort().join(' ')) {
          c.add(path, `writes.${field}: the writes must be sorted and distinct`);
          continue;
        }
        const unseen = seenMap ? dots.find((d) => d !== LEGACY_DOT && !covered([d], seenMap!)) : undefined;
        if (unseen !== undefined) {
          c.add(path, `writes.${field}: ${unseen} is newer than what seen records for its writer`);
          continue;
        }
        entries.push([field, text]);
      }
      if (entries.length > 0) out.writes = sortedRecord(entries);
    }
  }
  if (seenMap && Object.keys(seenMap).length > 0) out.seen = sortedRecord(Object.entries(seenMap));
  return c.problems.length === before ? out : {};
}
