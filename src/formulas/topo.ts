/**
 * A stable topological order: every step after the steps it needs, and otherwise the order the steps
 * were declared in (Kahn's algorithm taking the earliest-declared ready step each time, with a heap:
 * O(n log n + edges)). When steps are left over, they are on a cycle, which is named.
 */

export interface TopoNode {
  id: string;
  needs: readonly string[];
}

export type TopoResult<T> = { ok: true; order: T[] } | { ok: false; cycle: string[] };

class MinHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= value) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = value;
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        if (l < a.length && a[l]! < mv) {
          m = l;
          mv = a[l]!;
        }
        if (r < a.length && a[r]! < mv) m = r;
        if (m === i) break;
        a[i] = a[m]!;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Needs naming unknown ids are ignored here (they are reported before). */
export function stableTopoSort<T extends TopoNode>(nodes: readonly T[]): TopoResult<T> {
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const waiting = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const seen = new Set<number>();
    for (const need of n.needs) {
      const j = index.get(need);
      if (j === undefined || seen.has(j)) continue;
      seen.add(j);
      waiting[i]!++;
      dependents[j]!.push(i);
    }
  });
  const heap = new MinHeap();
  waiting.forEach((w, i) => {
    if (w === 0) heap.push(i);
  });
  const order: T[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(nodes[i]!);
    for (const d of dependents[i]!) {
      if (--waiting[d]! === 0) heap.push(d);
    }
  }
  if (order.length === nodes.length) return { ok: true, order };
  return { ok: false, cycle: findCycle(nodes, index, waiting) };
}

/** Walks needs among the steps left over until one repeats: that loop is a cycle. */
function findCycle(nodes: readonly TopoNode[], index: Map<string, number>, waiting: number[]): string[] {
  const start = waiting.findIndex((w) => w > 0);
  const path: number[] = [];
  const at = new Map<number, number>();
  let i = start;
  while (!at.has(i)) {
    at.set(i, path.length);
    path.push(i);
    const next = nodes[i]!.needs.map((n) => index.get(n)).find((j) => j !== undefined && waiting[j]! > 0);
    if (next === undefined) break;
    i = next;
  }
  const cycle = path.slice(at.get(i) ?? 0).map((j) => nodes[j]!.id);
  // Read in the direction of the work: a → b means b needs a.
  cycle.reverse();
  return [...cycle, cycle[0]!];
}
