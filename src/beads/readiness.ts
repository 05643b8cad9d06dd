import type { Bead } from './bead.js';
import { EntityTable } from '../ledger/entity-table.js';
import type { Derivation } from '../ledger/derived.js';
import { asciiJson } from '../ledger/ascii-json.js';
import { depsOfJson, sortKeyOfJson } from './bead-json.js';

/** Why a bead cannot be worked on now. */
export interface Blocker {
  /** The bead in the way (absent for the bead's own status). */
  id?: string;
  reason: 'blocked-by' | 'parent-blocked' | 'parent-deferred' | 'status-blocked' | 'missing-dependency';
  /** Status of the bead in the way. */
  status?: string;
}

/** A bead's status; a table answers without parsing the bead (closed beads are mostly never parsed). */
export function statusOf(beads: ReadonlyMap<string, Bead>, id: string): string | undefined {
  return beads instanceof EntityTable ? beads.statusOf(id) : beads.get(id)?.status;
}

/** The beads whose status passes `keep`, parsing only those. */
export function beadsWithStatus(beads: ReadonlyMap<string, Bead>, keep: (status: string) => boolean): Bead[] {
  return beads instanceof EntityTable ? (beads as EntityTable<Bead>).withStatus(keep) : [...beads.values()].filter((b) => keep(b.status));
}

const notClosed = (status: string): boolean => status !== 'closed';

function parentOf(bead: Bead): string | undefined {
  return bead.deps.find((d) => d.type === 'parent-child')?.id;
}

/**
 * The blockers of every bead that is not closed (or only of `of`, and of their parents on the way). A
 * bead is blocked by each `blocks` dependency that is not closed, and by a parent that is itself blocked
 * or deferred, through any depth of parents.
 */
export function computeBlockers(beads: ReadonlyMap<string, Bead>, of?: readonly Bead[]): Map<string, Blocker[]> {
  const memo = new Map<string, Blocker[]>();
  const openParent = (bead: Bead): Bead | undefined => {
    const parentId = parentOf(bead);
    return parentId && notClosed(statusOf(beads, parentId) ?? 'closed') ? beads.get(parentId) : undefined;
  };
  const blockersOf = (bead: Bead): Blocker[] => {
    // The chain of parents not known yet, walked with a loop (a chain of thousands of beads cannot
    // overflow the stack), stopping at a deferred parent, as its blockers do not matter here, or at a
    // bead already on the chain: a parent cycle on a hand-edited ledger must not hang us.
    const chain: Bead[] = [];
    const onChain = new Set<string>();
    for (let b: Bead | undefined = bead; b && !memo.has(b.id) && !onChain.has(b.id); ) {
      chain.push(b);
      onChain.add(b.id);
      const parent = openParent(b);
      b = parent && parent.status !== 'deferred' ? parent : undefined;
    }
    // From the top down, each bead's parent is settled before the bead.
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i]!;
      const found: Blocker[] = [];
      if (b.status === 'blocked') found.push({ reason: 'status-blocked' });
      for (const dep of b.deps) {
        if (dep.type !== 'blocks') continue;
        const status = statusOf(beads, dep.id);
        if (status === undefined) found.push({ id: dep.id, reason: 'missing-dependency' });
        else if (status !== 'closed') found.push({ id: dep.id, reason: 'blocked-by', status });
      }
      const parent = openParent(b);
      if (parent) {
        if (parent.status === 'deferred') found.push({ id: parent.id, reason: 'parent-deferred', status: parent.status });
        else if ((memo.get(parent.id) ?? []).length > 0) found.push({ id: parent.id, reason: 'parent-blocked', status: parent.status });
      }
      memo.set(b.id, found);
    }
    return memo.get(bead.id)!;
  };
  for (const bead of of ?? beadsWithStatus(beads, notClosed)) if (notClosed(bead.status)) blockersOf(bead);
  return memo;
}

/** Highest priority (lowest number) first, then oldest. */
export function compareByPriorityThenAge(a: Bead, b: Bead): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * One line per bead that is not closed, `<priority><created_at>NUL<id>\t<status>\t<blockers as JSON>`:
 * the lines sort as compareByPriorityThenAge does (priority is one digit; NUL ends the time, so a
 * shorter time sorts first), so the text is kept sorted and read in order.
 */
function readinessLine(bead: Bead, blockers: readonly Blocker[]): string {
  return `${bead.priority}${bead.created_at}\u0000${bead.id}\t${bead.status}\t${asciiJson(blockers)}\n`;
}

function linesFor(beads: ReadonlyMap<string, Bead>, of?: readonly Bead[]): string[] {
  const blockers = computeBlockers(beads, of);
  const lines: string[] = [];
  for (const bead of of ?? beadsWithStatus(beads, notClosed)) if (notClosed(bead.status)) lines.push(readinessLine(bead, blockers.get(bead.id) ?? []));
  return lines.sort();
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.slice(0, -1).split('\n').map((l) => `${l}\n`);
}

function idOfLine(line: string): string {
  return line.slice(line.indexOf('\u0000') + 1, line.indexOf('\t'));
}

/**
 * The readiness of every bead, kept per ledger tree (ledger/derived.ts) and carried from one tree to
 * the next: a change to some beads redoes them, the beads they block, and the children of all of those
 * down the parent chain, nothing else. So `ready` and `blocked` on a ledger that moved read an answer
 * instead of working one out from every bead.
 */
/**
 * Every bead with only what readiness reads (status, dependencies, priority, creation time), taken from
 * the JSON texts without parsing them: working out a whole ledger's readiness then never holds every
 * bead parsed. Undefined if a text is not as expected (the caller parses).
 */
function lightBeads(table: EntityTable<Bead>): Map<string, Bead> | undefined {
  const light = new Map<string, Bead>();
  for (const row of table.textsWithStatus(() => true)) {
    if (row.status === 'closed') {
      light.set(row.id, { id: row.id, status: 'closed', deps: [], priority: 0, created_at: '' } as unknown as Bead);
      continue;
    }
    const deps = depsOfJson(row.text);
    const key = sortKeyOfJson(row.text);
    if (!deps || !key) return undefined;
    light.set(row.id, { id: row.id, status: row.status, deps, ...key } as unknown as Bead);
  }
  return light;
}

export const READINESS: Derivation = {
  name: 'readiness-1',
  full: (table) => {
    const beads = table as unknown as EntityTable<Bead>;
    return linesFor(lightBeads(beads) ?? beads).join('');
  },
  update: (previous, changed, table) => {
    const beads = table as unknown as EntityTable<Bead>;
    const affected = new Set(changed);
    for (const id of changed) for (const r of beads.referrers(id) ?? []) if (r.type === 'blocks') affected.add(r.source);
    // A child's readiness follows its parent's, at any depth.
    const queue = [...affected];
    for (let at = 0; at < queue.length; at++) {
      for (const r of beads.referrers(queue[at]!) ?? []) {
        if (r.type === 'parent-child' && !affected.has(r.source)) {
          affected.add(r.source);
          queue.push(r.source);
        }
      }
    }
    const redone = linesFor(beads, [...affected].flatMap((id) => beads.get(id) ?? []));
    const kept = splitLines(previous).filter((line) => !affected.has(idOfLine(line)));
    // Both lists are sorted: merge them.
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < kept.length || j < redone.length) out.push(j >= redone.length || (i < kept.length && kept[i]! < redone[j]!) ? kept[i++]! : redone[j++]!);
    return out.join('');
  },
};

/**
 * The beads not closed, most urgent and oldest first, with their status and blockers (as JSON): from
 * the kept readiness when the table has one, else undefined.
 */
export function readiness(beads: ReadonlyMap<string, Bead>): { id: string; status: string; blockers: string }[] | undefined {
  const text = beads instanceof EntityTable ? beads.derived(READINESS) : undefined;
  if (text === undefined) return undefined;
  return splitLines(text).map((line) => {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    return { id: line.slice(line.indexOf('\u0000') + 1, a), status: line.slice(a + 1, b), blockers: line.slice(b + 1, -1) };
  });
}

/** The ids of the beads that can be started now, in order; undefined when the table keeps no readiness (the caller works it out). */
export function readyIds(beads: ReadonlyMap<string, Bead>): string[] | undefined {
  return readiness(beads)?.filter((r) => r.status === 'open' && r.blockers === '[]').map((r) => r.id);
}

/** Whether a kept readiness line is of a bead `blocked` lists: not deferred, something in its way. */
function isBlocked(r: { status: string; blockers: string }): boolean {
  return r.status !== 'deferred' && r.blockers !== '[]';
}

/** The ids of the beads that cannot proceed, in order; undefined when the table keeps no readiness. */
export function blockedIds(beads: ReadonlyMap<string, Bead>): string[] | undefined {
  return readiness(beads)?.filter(isBlocked).map((r) => r.id);
}

/** Beads that can be started now: open and not blocked, most urgent and oldest first. */
export function readyBeads(beads: ReadonlyMap<string, Bead>): Bead[] {
  const ids = readyIds(beads);
  if (ids) return ids.map((id) => beads.get(id)!);
  const blockers = computeBlockers(beads);
  return beadsWithStatus(beads, (status) => status === 'open')
    .filter((b) => (blockers.get(b.id)?.length ?? 0) === 0)
    .sort(compareByPriorityThenAge);
}

/** Beads that are not closed and cannot proceed, each with what stands in the way. */
export function blockedBeads(beads: ReadonlyMap<string, Bead>): { bead: Bead; blockers: Blocker[] }[] {
  const kept = readiness(beads);
  if (kept) {
    return kept
      .filter(isBlocked)
      .map((r) => ({ bead: beads.get(r.id)!, blockers: JSON.parse(r.blockers) as Blocker[] }));
  }
  const blockers = computeBlockers(beads);
  return beadsWithStatus(beads, (status) => status !== 'closed' && status !== 'deferred')
    .filter((b) => (blockers.get(b.id)?.length ?? 0) > 0)
    .sort(compareByPriorityThenAge)
    .map((bead) => ({ bead, blockers: blockers.get(bead.id)! }));
}

export function describeBlocker(blocker: Blocker): string {
  switch (blocker.reason) {
    case 'blocked-by':
      return `blocked by ${blocker.id} (${blocker.status})`;
    case 'parent-blocked':
      return `parent ${blocker.id} is blocked`;
    case 'parent-deferred':
      return `parent ${blocker.id} is deferred`;
    case 'status-blocked':
      return 'status is blocked';
    case 'missing-dependency':
      return `depends on ${blocker.id}, which does not exist`;
  }
}
