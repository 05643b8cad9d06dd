/**
 * Merge-order independence over REAL git repositories, through the library API in-process.
 *
 * A ledger gets a few beads; 2–4 agents then make interleaved random edits on their own branches.
 * The ledger tip and every agent tip are recorded, and for every permutation of the agents the refs
 * are reset to those tips and the agents merged one at a time in that order. All permutations must
 * produce the same ledger tree, and that tree must hold what the merge rules promise: every
 * one-sided change, the latest edit of a stamped field, closed-wins status, lowest priority,
 * per-element label and dependency merges, every comment, and no conflict marker anywhere.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/repo.js';
import { sized } from '../helpers/stress.js';
import { applySteps, scenarioArbOf, seedBeads, type Scenario } from '../helpers/ledger-scenarios.js';
import type { Clock } from '../../src/clock.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openLedger } from '../../src/kinds.js';
import { mergeAgentBranches } from '../../src/ledger/agent-merge.js';
import { LEDGER_REF, agentRef, logicalPath } from '../../src/ledger/layout.js';
import { createBead, updateBead } from '../../src/beads/bead-service.js';
import { type Bead, type BeadStatus, type Dep, type StampedField } from '../../src/beads/bead.js';
import { decodeBead } from '../../src/beads/bead-codec.js';

/** 20 scenarios in `npm test`, 1,000 in `npm run test:stress`; GT_PROPERTY_RUNS sets the count for a longer hunt. */
const NUM_RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(20, 1000);

const AGENTS = ['alice', 'bob', 'carol', 'dave'] as const;
/** The stamped fields the operations can change ("latest edit wins"). */
const STAMPED: readonly StampedField[] = ['title', 'description', 'notes', 'assignee', 'close_reason'];
const STATUS_RANK: Record<BeadStatus, number> = { open: 0, deferred: 1, blocked: 2, hooked: 3, in_progress: 4, closed: 5 };
const CONFLICT_MARKER = /^(<{7}|={7}|>{7})( |$)/m;

// ---------------------------------------------------------------------------------------------
// Running it on a real repository

function opened(r: TestRepo, actor: string, now?: Clock): Ledger {
  return openLedger({ cwd: r.dir, actor, ...(now ? { now } : {}) });
}

/** Every file of a tree-ish by logical path (`beads/<id>.yaml`), read straight from git (not through gt's caches). */
function readFiles(r: TestRepo, treeish: string): Map<string, string> {
  const listing = execFileSync('git', ['ls-tree', '-r', '-z', treeish], { cwd: r.dir, encoding: 'utf8' });
  const entries = listing
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      return { oid: line.slice(0, tab).split(' ')[2]!, path: line.slice(tab + 1) };
    });
  const files = new Map<string, string>();
  if (entries.length === 0) return files;
  const batch = execFileSync('git', ['cat-file', '--batch'], { cwd: r.dir, input: entries.map((e) => e.oid).join('\n') + '\n' });
  let pos = 0;
  for (const entry of entries) {
    const eol = batch.indexOf(0x0a, pos);
    const size = Number(batch.subarray(pos, eol).toString('utf8').split(' ')[2]);
    files.set(logicalPath(entry.path), batch.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    pos = eol + 1 + size + 1;
  }
  return files;
}

function readBeads(r: TestRepo, treeish: string): Map<string, Bead> {
  const beads = new Map<string, Bead>();
  for (const [path, text] of readFiles(r, treeish)) {
    if (path.startsWith('beads/')) {
      const bead = decodeBead(text, path);
      beads.set(bead.id, bead);
    }
  }
  return beads;
}

function setRef(ledger: Ledger, ref: string, next: string): void {
  const current = ledger.repo.refs.resolve(ref);
  if (current !== next) ledger.updateRef(ref, current, next, 'test: reset for the next merge order', new Date());
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

interface Recorded {
  ledgerTip: string;
  agentTips: Map<string, string>;
}

/** Resets the refs to the recorded tips and merges the agents in `order`; returns the ledger tree id. */
async function mergeInOrder(r: TestRepo, recorded: Recorded, order: readonly string[]): Promise<string> {
  const overseer = opened(r, 'overseer');
  try {
    setRef(overseer, LEDGER_REF, recorded.ledgerTip);
    for (const [name, tip] of recorded.agentTips) setRef(overseer, agentRef(name), tip);
    for (const name of order) {
      const [report] = await mergeAgentBranches(overseer, [name]);
      expect(report?.outcome).toBe('merged');
    }
  } finally {
    overseer.close();
  }
  return r.git('rev-parse', `${LEDGER_REF}^{tree}`).trim();
}

/** Merges in every order; asserts one tree for all of them and returns it. */
async function mergeAllOrders(r: TestRepo, recorded: Recorded): Promise<{ tree: string; orders: number }> {
  // A branch still at the ledger tip has nothing to merge (a first write that changed nothing
  // creates the agent's branch at the ledger tip); it takes no part in the orders.
  const orders = permutations([...recorded.agentTips].filter(([, tip]) => tip !== recorded.ledgerTip).map(([name]) => name));
  const trees = new Map<string, string[]>();
  for (const order of orders) {
    const tree = await mergeInOrder(r, recorded, order);
    trees.set(tree, [...(trees.get(tree) ?? []), order.join(',')]);
  }
  if (trees.size > 1) {
    const [[t1, o1], [t2, o2]] = [...trees].slice(0, 2) as [[string, string[]], [string, string[]]];
    expect.fail(`merge orders disagree: ${o1[0]} gives tree ${t1}, ${o2[0]} gives ${t2}\n${r.git('diff', t1, t2)}`);
  }
  return { tree: [...trees.keys()][0]!, orders: orders.length };
}

// ---------------------------------------------------------------------------------------------
// What the merged ledger must hold

interface StampedVersion {
  value: unknown;
  stamp: string;
}

function stampedOf(bead: Bead, f: StampedField): StampedVersion {
  return { value: bead[f], stamp: bead.edited?.[f] ?? bead.created_at };
}

const json = (v: unknown): string => JSON.stringify(v) ?? '';

/** Later stamp wins; equal stamps fall to the greater JSON of the value ('' for unset). */
function later(a: StampedVersion, b: StampedVersion): StampedVersion {
  if (a.stamp !== b.stamp) return b.stamp > a.stamp ? b : a;
  return json(b.value) > json(a.value) ? b : a;
}

const depKey = (d: Dep): string => `${d.type}\u0000${d.id}`;

/** Base elements, plus those any agent added, minus those any agent removed (relative to the base). */
function expectedSet<T>(base: readonly T[], versions: readonly (readonly T[])[], key: (t: T) => string): string[] {
  const inBase = new Set(base.map(key));
  const out = new Set(inBase);
  for (const v of versions) {
    const here = new Set(v.map(key));
    for (const k of here) if (!inBase.has(k)) out.add(k);
    for (const k of inBase) if (!here.has(k)) out.delete(k);
  }
  return [...out].sort();
}

function checkMerged(r: TestRepo, tree: string, recorded: Recorded): void {
  const files = readFiles(r, tree);
  for (const [path, text] of files) {
    expect(CONFLICT_MARKER.test(text), `conflict marker in ${path}:\n${text}`).toBe(false);
    expect(path === 'gt.yaml' || path === '.gitattributes' || /^beads\/[^/]+\.yaml$/.test(path), `unexpected file ${path}`).toBe(true);
  }
  expect(files.get('gt.yaml')).toBe(readFiles(r, recorded.ledgerTip).get('gt.yaml'));

  const base = readBeads(r, recorded.ledgerTip);
  const merged = readBeads(r, tree);
  const agents = [...recorded.agentTips].map(([name, tip]) => ({ name, beads: readBeads(r, tip) }));

  // Beads an agent created exist on that branch alone: they arrive exactly as written.
  const expectedIds = new Set(base.keys());
  for (const agent of agents) {
    for (const [id, bead] of agent.beads) {
      if (base.has(id)) continue;
      expectedIds.add(id);
      expect(merged.get(id), `${agent.name}'s new bead ${id}`).toEqual(bead);
    }
  }
  expect([...merged.keys()].sort()).toEqual([...expectedIds].sort());

  for (const [id, b] of base) {
    const m = merged.get(id)!;
    const versions = agents.map((a) => ({ name: a.name, bead: a.beads.get(id)! }));
    const where = (field: string): string =>
      `${id}.${field}: base ${json((b as unknown as Record<string, unknown>)[field])}, agents ${versions
        .map((v) => `${v.name}=${json((v.bead as unknown as Record<string, unknown>)[field])}@${v.bead.edited?.[field as StampedField] ?? '-'}`)
        .join(' ')}`;

    // Stamped fields. An agent changed one when its value or its edit stamp moved since the base
    // (re-setting the base value is an edit too). Exactly one changer: its value is present; several:
    // the latest edit wins; none: the base value stays.
    for (const f of STAMPED) {
      const baseVersion = stampedOf(b, f);
      const changed = versions
        .map((v) => stampedOf(v.bead, f))
        .filter((s) => s.stamp !== baseVersion.stamp || s.value !== baseVersion.value);
      const expected = changed.length === 0 ? baseVersion.value : changed.reduce(later).value;
      expect(m[f], where(f)).toEqual(expected);
    }

    // Status: one-sided change present; among several, the one furthest along ("closed wins").
    const statuses = versions.map((v) => v.bead.status).filter((s) => s !== b.status);
    const status = statuses.length === 0 ? b.status : statuses.reduce((x, y) => (STATUS_RANK[y] > STATUS_RANK[x] ? y : x));
    expect(m.status, where('status')).toBe(status);

    // Priority: one-sided change present; among several, the most urgent (lowest).
    const priorities = versions.map((v) => v.bead.priority).filter((p) => p !== b.priority);
    expect(m.priority, where('priority')).toBe(priorities.length === 0 ? b.priority : Math.min(...priorities));

    // Labels and dependencies: an element added by one agent (and so removed by none) is present;
    // one removed by an agent is gone.
    expect(m.labels, where('labels')).toEqual(expectedSet(b.labels, versions.map((v) => v.bead.labels), (l) => l));
    expect(m.deps.map(depKey).sort(), where('deps')).toEqual(expectedSet(b.deps, versions.map((v) => v.bead.deps), depKey));

    // Comments: every comment any agent added is there, unchanged.
    const comments = new Map(b.comments.map((c) => [c.id, c]));
    for (const v of versions) for (const c of v.bead.comments) comments.set(c.id, c);
    expect(new Map(m.comments.map((c) => [c.id, c])), where('comments')).toEqual(comments);

    expect(m.updated_at).toBe([b.updated_at, ...versions.map((v) => v.bead.updated_at)].reduce((x, y) => (y > x ? y : x)));
    if (m.status === 'closed') {
      const closing = versions.filter((v) => v.bead.status === 'closed').map((v) => v.bead.closed_at!);
      const closedAt = closing.length === 0 ? b.closed_at : closing.reduce((x, y) => (y > x ? y : x));
      expect(m.closed_at, where('closed_at')).toBe(closedAt);
    } else {
      expect(m.closed_at, where('closed_at')).toBeUndefined();
    }
    expect(m.created_at).toBe(b.created_at);
    expect(m.created_by).toBe(b.created_by);
  }
}

// ---------------------------------------------------------------------------------------------

const stats = { runs: 0, orders: 0, writes: 0, skipped: 0 };

async function runScenario(s: Scenario): Promise<void> {
  const r = makeRepo();
  const ledgers: Ledger[] = [];
  try {
    // 1. The ledger and its beads, in one overseer commit.
    const overseer = opened(r, 'overseer');
    ledgers.push(overseer);
    await overseer.init('gt');
    const baseIds = await seedBeads(overseer, s);

    // 2. The agents' interleaved operations, each on its own branch.
    const names = AGENTS.slice(0, s.agentCount);
    const agentLedgers = names.map((name) => {
      const l = opened(r, name);
      ledgers.push(l);
      return l;
    });
    await applySteps(agentLedgers, s, baseIds, stats);

    // 3. Record the tips. An agent whose operations all were refused or changed nothing has no branch,
    // or one at the ledger tip (a first write that changes nothing still creates the branch there).
    const recorded: Recorded = {
      ledgerTip: overseer.requireLedgerTip(),
      agentTips: new Map(names.flatMap((n) => {
        const tip = overseer.repo.refs.resolve(agentRef(n));
        return tip ? [[n, tip] as [string, string]] : [];
      })),
    };
    for (const l of ledgers.splice(0)) l.close();

    // 4. Every order gives one tree, and that tree keeps every change the rules promise.
    const { tree, orders } = await mergeAllOrders(r, recorded);
    checkMerged(r, tree, recorded);
    stats.runs++;
    stats.orders += orders;
  } finally {
    for (const l of ledgers) l.close();
    r.cleanup();
  }
}

describe('gt merge over real repositories', () => {
  it(`gives a byte-identical ledger in every merge order and keeps every change (${NUM_RUNS} scenarios)`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArbOf(4), runScenario), { numRuns: NUM_RUNS });
    console.log(
      `merge-order property: ${stats.runs} passing scenarios, ${stats.orders} merge orders, ` +
        `${stats.writes} agent operations applied (${stats.skipped} refused/skipped)`,
    );
  });

  it('three agents editing the same field: the latest edit wins in every merge order', async () => {
    const r = makeRepo();
    // Each write one second after the last, on an injected clock: "latest" needs no waiting.
    let time = Date.parse('2026-01-01T00:00:00Z');
    const clock: Clock = () => time;
    const pause = (): void => void (time += 1000);
    try {
      const overseer = opened(r, 'overseer', clock);
      let id: string;
      try {
        await overseer.init('gt');
        id = (await overseer.write((tx) => ({ result: createBead(tx, { title: 'original', description: 'base text' }).id, message: 'create' })))
          .result;
      } finally {
        overseer.close();
      }

      // Edits in time order; the latest title edit is bob's, neither first nor last by name, and the
      // latest description edit is alice's, which unsets it.
      const edits: [string, Parameters<typeof updateBead>[2]][] = [
        ['alice', { title: 'from alice' }],
        ['carol', { title: 'from carol' }],
        ['bob', { title: 'from bob' }],
        ['carol', { description: 'carol text' }],
        ['bob', { description: 'bob text' }],
        ['alice', { description: '' }],
      ];
      for (const [agent, input] of edits) {
        pause();
        const l = opened(r, agent, clock);
        try {
          await l.write((tx) => ({ result: updateBead(tx, id, input), message: `update ${id}` }));
        } finally {
          l.close();
        }
      }

      const recorded: Recorded = {
        ledgerTip: r.git('rev-parse', LEDGER_REF).trim(),
        agentTips: new Map(['alice', 'bob', 'carol'].map((n) => [n, r.git('rev-parse', agentRef(n)).trim()])),
      };
      const bobStamp = readBeads(r, recorded.agentTips.get('bob')!).get(id)!.edited?.title;

      for (const order of permutations(['alice', 'bob', 'carol'])) {
        const tree = await mergeInOrder(r, recorded, order);
        const bead = readBeads(r, tree).get(id)!;
        expect(bead.title, order.join(',')).toBe('from bob');
        expect(bead.description, order.join(',')).toBeUndefined();
        expect(bead.edited?.title).toBe(bobStamp);
      }
      const { tree } = await mergeAllOrders(r, recorded);
      checkMerged(r, tree, recorded);
    } finally {
      r.cleanup();
    }
  });
});
