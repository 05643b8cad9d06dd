/** "Did you mean" hints: the names nearest to what was typed. */

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length]!;
}

/** The ids nearest to `query` by edit distance, for "did you mean" hints. */
export function closestIds(query: string, ids: Iterable<string>, count = 3): string[] {
  return [...ids]
    .map((id) => ({ id, d: editDistance(query, id.slice(0, Math.max(query.length, 1) + 2)) }))
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
    .slice(0, count)
    .map((x) => x.id);
}
