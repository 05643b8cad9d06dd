/**
 * Generic building blocks of the three-way merge: set-like collections merged element by element,
 * and a canonical JSON used wherever a merge needs a deterministic order between arbitrary values.
 */

/**
 * Three-way merge of a set. For every element, a side "changed" it when its presence differs from
 * the base; theirs wins when it changed, ours otherwise. Both sides can only change an element in
 * the same direction (present ↔ absent relative to base), so the rule never conflicts, and folding
 * any number of branches gives the same set in any order: base presence flipped iff a branch flipped it.
 *
 * Without a base (the collection was created independently on both sides) nothing can have been
 * removed, so the result is the union.
 *
 * The result holds ours' surviving elements in ours' order, then theirs' additions in theirs' order;
 * duplicates (by key) are dropped.
 */
export function mergeSets<T>(
  base: readonly T[] | undefined,
  ours: readonly T[],
  theirs: readonly T[],
  key: (t: T) => string,
): T[] {
  const inBase = base === undefined ? undefined : new Set(base.map(key));
  const inOurs = new Set(ours.map(key));
  const inTheirs = new Set(theirs.map(key));
  const present = (k: string): boolean => {
    if (inBase === undefined) return inOurs.has(k) || inTheirs.has(k);
    const theirsChanged = inTheirs.has(k) !== inBase.has(k);
    return theirsChanged ? inTheirs.has(k) : inOurs.has(k);
  };
  const out: T[] = [];
  const emitted = new Set<string>();
  for (const t of [...ours, ...theirs]) {
    const k = key(t);
    if (emitted.has(k) || !present(k)) continue;
    emitted.add(k);
    out.push(t);
  }
  return out;
}

/**
 * Union of two collections of identified records. Records that exist on both sides with different
 * content go through `resolve` (by default: the greater canonical JSON, so the outcome does not depend
 * on which side is "ours"). Order: ours' records, then theirs-only records.
 */
export function unionById<T extends { id: string }>(
  ours: readonly T[],
  theirs: readonly T[],
  resolve: (ours: T, theirs: T) => T = greaterByJson,
): T[] {
  const byId = new Map<string, T>();
  for (const t of ours) if (!byId.has(t.id)) byId.set(t.id, t);
  for (const t of theirs) {
    const mine = byId.get(t.id);
    if (mine === undefined) byId.set(t.id, t);
    else if (canonicalJson(mine) !== canonicalJson(t)) byId.set(t.id, resolve(mine, t));
  }
  return [...byId.values()];
}

/** Of two values, the one whose canonical JSON is greater; ours when they are equal. */
export function greaterByJson<T>(ours: T, theirs: T): T {
  return canonicalJson(theirs) > canonicalJson(ours) ? theirs : ours;
}

/**
 * JSON with object keys sorted, so that two structurally equal values always give the same string
 * whatever order their keys were built in. Properties holding `undefined` are left out (as JSON
 * does), and a bare `undefined` gives '' — below every JSON text, so "unset" loses tie-breaks.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? '';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}
