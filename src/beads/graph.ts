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
