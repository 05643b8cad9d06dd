/**
 * `gt convoy sling`: the batch sling upstream lacks. N beads and one convoy tracking them are created
 * in one transaction (one commit, all or nothing), then the first ready beads are hooked on the agents.
 */
import type { Transaction } from '../ledger/ledger.js';
import type { Bead } from '../beads/bead.js';
import { createBead } from '../beads/bead-service.js';
import { UsageError } from '../errors.js';
import { createConvoy, readyTracked } from '../convoys/convoy-service.js';
import { slingBead } from './hook-service.js';
import { hookedOn } from '../agents/hook.js';
import type { Convoy } from '../convoys/convoy.js';

export interface TaskInput {
  title: string;
  description?: string;
  priority?: string | number;
  type?: string;
  labels?: string[];
}

/** `"title"` or `"title: description"`. */
export function parseTaskSpec(spec: string): TaskInput {
  const at = spec.indexOf(': ');
  const title = (at < 0 ? spec : spec.slice(0, at)).trim();
  const description = at < 0 ? undefined : spec.slice(at + 2).trim();
  if (title === '') throw new UsageError(`task '${spec}' has no title`, 'write --task "title" or --task "title: description"');
  return { title, ...(description ? { description } : {}) };
}

function taskFromValue(value: unknown, where: string): TaskInput {
  if (typeof value === 'string') return parseTaskSpec(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where}: a task is a string or a mapping with a title`);
  const v = value as Record<string, unknown>;
  const known = new Set(['title', 'description', 'priority', 'type', 'labels']);
  const unknown = Object.keys(v).find((k) => !known.has(k));
  if (unknown) throw new UsageError(`${where}: unknown key '${unknown}'`, 'task keys: title, description, priority, type, labels');
  if (typeof v.title !== 'string' || v.title.trim() === '') throw new UsageError(`${where}: title is missing`);
  if (v.description !== undefined && typeof v.description !== 'string') throw new UsageError(`${where}: description must be text`);
  if (v.type !== undefined && typeof v.type !== 'string') throw new UsageError(`${where}: type must be text`);
  if (v.priority !== undefined && typeof v.priority !== 'string' && typeof v.priority !== 'number') throw new UsageError(`${where}: priority must be 0-4`);
  if (v.labels !== undefined && (!Array.isArray(v.labels) || v.labels.some((l) => typeof l !== 'string'))) throw new UsageError(`${where}: labels must be a list of strings`);
  return {
    title: v.title,
    ...(v.description !== undefined ? { description: v.description as string } : {}),
    ...(v.priority !== undefined ? { priority: v.priority as string | number } : {}),
    ...(v.type !== undefined ? { type: v.type as string } : {}),
    ...(v.labels !== undefined ? { labels: v.labels as string[] } : {}),
  };
}

/** Tasks from `--task` options and from a file's list (or `{tasks: [...]}`), checked before anything is written. */
export function planBatch(specs: readonly string[], fromFile: unknown, fileName: string): TaskInput[] {
  const tasks = specs.map(parseTaskSpec);
  const list = Array.isArray(fromFile) ? fromFile : fromFile && typeof fromFile === 'object' && Array.isArray((fromFile as { tasks?: unknown }).tasks) ? (fromFile as { tasks: unknown[] }).tasks : undefined;
  if (list === undefined) throw new UsageError(`${fileName}: expected a list of tasks`, 'write a YAML or JSON list of titles or {title, description} mappings');
  list.forEach((value, i) => tasks.push(taskFromValue(value, `${fileName} task ${i + 1}`)));
  if (tasks.length === 0) throw new UsageError('no tasks given', 'add --task "title" (repeatable) or --file tasks.yaml');
  return tasks;
}

export interface BatchInput {
  title: string;
  tasks: readonly TaskInput[];
  agents: readonly string[];
  owner?: string;
  notify?: readonly string[];
}

export interface BatchResult {
  convoy: Convoy;
  beads: Bead[];
  hooked: { bead: string; agent: string }[];
  /** Agents named with --to whose hook already held work: left alone, fed later. */
  busy: string[];
}

export function slingBatch(tx: Transaction, input: BatchInput): BatchResult {
  const beads = input.tasks.map((task) =>
    createBead(tx, {
      title: task.title,
      ...(task.description !== undefined ? { description: task.description } : {}),
      ...(task.priority !== undefined ? { priority: task.priority } : {}),
      ...(task.type !== undefined ? { type: task.type } : {}),
      ...(task.labels !== undefined ? { labels: task.labels } : {}),
    }),
  );
  const convoy = createConvoy(tx, {
    title: input.title,
    beads: beads.map((b) => b.id),
    ...(input.owner !== undefined ? { owner: input.owner } : {}),
    notify: [...(input.notify ?? [])],
    feed: [...input.agents],
  });
  const hooked: { bead: string; agent: string }[] = [];
  const busy: string[] = [];
  const ready = readyTracked(tx, convoy);
  for (const agent of input.agents) {
    // A busy agent is not interrupted: as a feed target it gets this convoy's work when it is free.
    if (hookedOn(tx.beads, agent).length > 0) {
      busy.push(agent);
      continue;
    }
    const bead = ready[hooked.length];
    if (!bead) break;
    slingBead(tx, bead.id, agent, { noConvoy: true });
    hooked.push({ bead: bead.id, agent });
  }
  return { convoy: tx.convoys.get(convoy.id)!, beads: beads.map((b) => tx.beads.get(b.id)!), hooked, busy };
}
