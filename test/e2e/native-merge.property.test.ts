/**
 * Native git merges of ledger branches, through gt's merge driver (registered by gt init), against
 * gt merge: random divergent histories (the overseer on the ledger, an agent on its branch) merged
 * both ways with `git merge` must give byte-for-byte the tree gt merge gives, with no conflict.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, makeRepo, makeTempDir, type TestRepo } from '../helpers/repo.js';
import { sized } from '../helpers/stress.js';
import { applySteps, scenarioArbOf, seedBeads, type Scenario } from '../helpers/ledger-scenarios.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openLedger } from '../../src/kinds.js';
import { mergeAgentBranches } from '../../src/ledger/agent-merge.js';
import { LEDGER_REF, agentRef } from '../../src/ledger/layout.js';

const NUM_RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(8, 100);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
}

/** `git merge` of `theirs` into a detached checkout of `ours`: the merged tree (the test fails on a conflict). */
function nativeMerge(r: TestRepo, ours: string, theirs: string): string {
  const wt = join(makeTempDir('gt-native-merge-'), 'wt');
  git(r.dir, 'worktree', 'add', '-q', '--detach', wt, ours);
  try {
    const merged = spawnSync('git', ['merge', '--no-edit', '-q', theirs], { cwd: wt, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    expect(merged.status, `git merge failed:\n${merged.stdout}${merged.stderr}`).toBe(0);
    expect(git(wt, 'status', '--porcelain')).toBe('');
    return git(wt, 'rev-parse', 'HEAD^{tree}').trim();
  } finally {
    git(r.dir, 'worktree', 'remove', '--force', wt);
  }
}

const stats = { runs: 0, writes: 0, skipped: 0, diverged: 0 };

async function runScenario(s: Scenario): Promise<void> {
  const r = makeRepo();
  const ledgers: Ledger[] = [];
  try {
    // gt init: the ledger, its .gitattributes and the driver in the repository's config.
    r.gtOk('init', '--prefix', 'gt');
    const overseer = openLedger({ cwd: r.dir, actor: 'overseer' });
    const alice = openLedger({ cwd: r.dir, actor: 'alice' });
    ledgers.push(overseer, alice);
    const baseIds = await seedBeads(overseer, s);
    // Writer 0 is the overseer on the ledger, writer 1 an agent on its own branch. The agent writes
    // first: each agent write starts from the ledger tip, so writes after the overseer's would not diverge.
    const steps = s.steps.filter((step) => step.agent < 2).sort((a, b) => b.agent - a.agent);
    await applySteps([overseer, alice], { ...s, steps }, baseIds, stats);
    const ledgerTip = overseer.requireLedgerTip();
    const aliceTip = overseer.repo.refs.resolve(agentRef('alice'));
    if (!aliceTip) return;
    if (git(r.dir, 'merge-base', ledgerTip, aliceTip).trim() !== ledgerTip) stats.diverged++;

    await mergeAgentBranches(overseer, ['alice']);
    const byGt = git(r.dir, 'rev-parse', `${LEDGER_REF}^{tree}`).trim();
    for (const l of ledgers.splice(0)) l.close();
    const intoLedger = nativeMerge(r, ledgerTip, aliceTip);
    const intoAgent = nativeMerge(r, aliceTip, ledgerTip);
    expect(intoLedger).toBe(byGt);
    expect(intoAgent).toBe(byGt);
    stats.runs++;
  } finally {
    for (const l of ledgers) l.close();
    r.cleanup();
  }
}

describe('native git merges of ledger branches', () => {
  it(`git merge, both ways, gives the tree gt merge gives, with no conflict (${NUM_RUNS} scenarios)`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArbOf(2), runScenario), { numRuns: NUM_RUNS });
    console.log(`native merge property: ${stats.runs} scenarios (${stats.diverged} diverged), ${stats.writes} writes (${stats.skipped} skipped)`);
  });
});
