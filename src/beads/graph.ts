import { ORDERING_DEP_TYPES, type Bead, type DepType } from './bead.js';

/**
 * The cycle that adding "`from` depends on `to`" would close, as a list of ids from `from` back to
 * itself, or null. Only ordering dependencies (blocks, parent-child) can form a cycle that matters.
 */
export function findCycle(beads: ReadonlyMap<string, Bead>, from: string, to: string, type: DepType): string[] | null {
  if (!ORDERING_DEP_TYPES.includes(type)) return null;
  if (from === to) return [from, from];
  // Search from `to` along ordering dependencies for a way back to `from`.
  const previous = new Map<string, string>([[to, from]]);
  const queue = [to];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    if (id === from) {
      const path = [from];
      for (let step = previous.get(from); step !== undefined && step !== from; step = previous.get(step)) path.push(step);
      // path is from ← … ← to ← from reversed; present it in dependency order.
      return [from, ...path.slice(1).reverse(), from];
    }
    for (const dep of beads.get(id)?.deps ?? []) {
      if (!ORDERING_DEP_TYPES.includes(dep.type) || previous.has(dep.id)) continue;
      previous.set(dep.id, id);
      queue.push(dep.id);
    }
  }
  return null;
}

/** "`from` depends on itself": refused for every dependency type. */
export function selfDependencyProblem(from: string, to: string): string | undefined {
  return from === to ? `${from} cannot depend on itself (a dependency cycle of one bead)` : undefined;
}

/**
 * What is wrong with adding "`from` depends on `to`" to the beads as they are, or undefined: the one
 * check `gt dep add` and an import both make.
 */
export function dependencyProblem(beads: ReadonlyMap<string, Bead>, from: string, to: string, type: DepType): string | undefined {
  const self = selfDependencyProblem(from, to);
  if (self !== undefined) return self;
  const cycle = findCycle(beads, from, to, type);
  return cycle ? cycleProblem(cycle) : undefined;
}

export function cycleProblem(cycle: readonly string[]): string {
  return `that dependency would create a cycle: ${cycle.join(' → ')}`;
}

/**
 * A cycle of ordering dependencies that goes through one of `starts`, in dependency order
 * (`[a, b, a]`: a depends on b, b on a), or null. One depth-first walk, so checking a whole import at
 * once costs as much as reading the graph once.
 */
export function findCycleFrom(beads: Pick<ReadonlyMap<string, Pick<Bead, 'deps'>>, 'get' | 'has'>, starts: Iterable<string>): string[] | null {
  const done = new Set<string>();
  for (const start of starts) {
    if (done.has(start)) continue;
    // Iterative DFS: the path on the stack, with the index of the next dependency to follow.
    const path: string[] = [start];
    const next: number[] = [0];
    const onPath = new Set([start]);
    while (path.length > 0) {
      const id = path[path.length - 1]!;
      const deps = (beads.get(id)?.deps ?? []).filter((d) => ORDERING_DEP_TYPES.includes(d.type));
      const i = next[next.length - 1]!;
      if (i >= deps.length) {
        path.pop();
        next.pop();
        onPath.delete(id);
        done.add(id);
        continue;
      }
      next[next.length - 1] = i + 1;
      const to = deps[i]!.id;
      if (onPath.has(to)) return [...path.slice(path.indexOf(to)), to];
      if (done.has(to) || !beads.has(to)) continue;
      path.push(to);
      next.push(0);
      onPath.add(to);
    }
  }
  return null;
}

export interface DepTreeNode {
  id: string;
  title: string;
  status: string;
  type?: DepType;
  /** Set when the node was already shown higher up (its subtree is not repeated). */
  repeated?: boolean;
  missing?: boolean;
  children: DepTreeNode[];
}

/** What `id` depends on, recursively (each bead's subtree shown once). */
export function dependencyTree(beads: ReadonlyMap<string, Bead>, id: string, maxDepth = 50): DepTreeNode {
  const seen = new Set<string>();
  const build = (nodeId: string, type: DepType | undefined, depth: number): DepTreeNode => {
    const bead = beads.get(nodeId);
    const node: DepTreeNode = {
      id: nodeId,
      title: bead?.title ?? '',
      status: bead?.status ?? 'missing',
      ...(type ? { type } : {}),
      children: [],
    };
    if (!bead) return { ...node, missing: true };
    if (seen.has(nodeId)) return { ...node, repeated: true };
    seen.add(nodeId);
    if (depth < maxDepth) {
      for (const dep of bead.deps) if (dep.type !== 'tracks') node.children.push(build(dep.id, dep.type, depth + 1));
    }
    return node;
  };
  return build(id, undefined, 0);
}
