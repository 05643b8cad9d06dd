/**
 * The tree-by-tree merge (src/ledger/merge/shard-merge.ts) gives what the merge of whole snapshots
 * gives, on real repositories: random interleaved edits by the overseer on the ledger and by agents on
 * their branches, then each agent merged in turn, comparing both merges before each real one. And a
 * ledger holding an entity file in a shard not its own is merged from whole snapshots, as before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/repo.js';
import { sized } from '../helpers/stress.js';
import { applySteps, scenarioArbOf, seedBeads, type Scenario } from '../helpers/ledger-scenarios.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openLedger } from '../../src/kinds.js';
import { mergeAgentBranches } from '../../src/ledger/agent-merge.js';
import { mergeSnapshots, type TreeMergeResult } from '../../src/ledger/merge/tree-merge.js';
import { filesAddedOrChanged, mergeCommits } from '../../src/ledger/merge/shard-merge.js';
import { LEDGER_REF, agentRef, entityPath, shardOf, storedPath } from '../../src/ledger/layout.js';
import { createBead } from '../../src/beads/bead-service.js';

/** 15 scenarios in `npm test`, 500 in `npm run test:stress`; GT_PROPERTY_RUNS sets the count. */
const NUM_RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(15, 500);
const AGENTS = ['alice', 'bob', 'carol', 'dave'] as const;

/** A merge result as plain data: new files by blob id or text, in the order they come. */
function plain(result: TreeMergeResult) {
  return {
    changes: [...result.changes].map(([path, v]) => [path, v === null ? null : 'oid' in v ? v.oid : v.text]),
    notes: result.notes,
    renames: result.renames,
  };
}

/** Both merges of `theirs` into the ledger tip, and both lists of what a fast-forward to it brings, agree. */
async function expectSameMerge(ledger: Ledger, theirs: string): Promise<void> {
  const ours = ledger.requireLedgerTip();
  const base = await ledger.mergeBase(theirs, ours);
  const snapshot = (c: string) => ledger.cache.snapshot(c);
  const whole = await mergeSnapshots(ledger.cache, base === null ? null : await snapshot(base), await snapshot(ours), await snapshot(theirs));
  expect(plain(await mergeCommits(ledger.cache, base, ours, theirs))).toEqual(plain(whole));
  const [before, after] = [await snapshot(ours), await snapshot(theirs)];
  expect(await filesAddedOrChanged(ledger.cache, ours, theirs)).toEqual([...after.files].filter(([p, oid]) => before.files.get(p) !== oid).map(([p]) => p));
}

async function runScenario(s: Scenario): Promise<void> {
  const r = makeRepo();
  const ledgers: Ledger[] = [];
  const open = (actor: string) => {
    const l = openLedger({ cwd: r.dir, actor });
    ledgers.push(l);
    return l;
  };
  try {
    const overseer = open('overseer');
    await overseer.init('gt');
    const baseIds = await seedBeads(overseer, s);
    // The first writer is the overseer, on the ledger itself: the agents' bases fall behind its tip.
    const names = AGENTS.slice(0, s.agentCount - 1);
    await applySteps([overseer, ...names.map(open)], s, baseIds, { writes: 0, skipped: 0 });
    for (const name of names) {
      const tip = overseer.repo.refs.resolve(agentRef(name));
      if (!tip) continue;
      await expectSameMerge(overseer, tip);
      await mergeAgentBranches(overseer, [name]);
    }
  } finally {
    for (const l of ledgers) l.close();
    r.cleanup();
  }
}

describe('tree-by-tree merge', () => {
  it(`gives the same changes, notes and renames as merging whole snapshots (${NUM_RUNS} scenarios)`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArbOf(4), runScenario), { numRuns: NUM_RUNS });
  });

  it('merges from whole snapshots when an entity file sits in a shard not its own', async () => {
    const r = makeRepo();
    const overseer = openLedger({ cwd: r.dir, actor: 'overseer' });
    const alice = openLedger({ cwd: r.dir, actor: 'alice' });
    try {
      await overseer.init('gt');
      const create = (ledger: Ledger, title: string) => ledger.write((tx) => ({ result: createBead(tx, { title }).id, message: title }));
      const id = (await create(overseer, 'copied')).result;
      // By hand, two copies: a second one in a shard not its own on the ledger (as a merge outside gt
      // can leave), then on alice's branch the one in its own shard removed. Whole snapshots read the
      // other copy there, the same blob: no change. A tree-by-tree comparison that trusted the layout
      // would see it deleted on alice's side, as the other shard is the same on every side.
      const byHand = async (ref: string, changes: Map<string, { oid: string }>, remove: string[]) => {
        const tip = overseer.repo.refs.resolve(ref)!;
        const tree = await overseer.cache.writeTree((await overseer.cache.commitInfo(tip)).tree, changes, remove);
        const commit = overseer.commitTree(tree, [tip], 'by hand', new Date());
        overseer.updateRef(ref, tip, commit, 'by hand', new Date());
        return commit;
      };
      const placed = storedPath(entityPath('beads', id));
      const oid = (await overseer.snapshot(overseer.requireLedgerTip())).files.get(entityPath('beads', id))!;
      const copied = await byHand(LEDGER_REF, new Map([[`beads/${shardOf(id) === '00' ? '01' : '00'}/${id}.yaml`, { oid }]]), []);
      expect(await overseer.cache.isPlaced(copied)).toBe(false);
      await create(alice, 'other');
      const moved = await byHand(agentRef('alice'), new Map(), [placed]);
      await create(overseer, 'meanwhile');

      await expectSameMerge(overseer, moved);
      await mergeAgentBranches(overseer, ['alice']);
      const beads = (await overseer.viewAt(overseer.requireLedgerTip())).tables.get('beads')!;
      expect(beads.get(id)).toBeDefined();
      expect(beads.size).toBe(3);
    } finally {
      overseer.close();
      alice.close();
      r.cleanup();
    }
  });
});
