/**
 * Molecules, measured as a worker meets them (whole processes):
 * - `gt mol pour` of a 1,000-step formula: finding, parsing and cooking the formula, binding its
 *   variables, writing a ~200 KB molecule file in one commit;
 * - `gt mol step done --continue` on that molecule: reading it, finishing the current step and claiming
 *   the next, one commit.
 * The formula is generated in the work directory: a chain with fan-outs and joins, every step with a
 * description that uses the variables.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CHILD_ENV, GT_MAIN, statsOf, timeGt, type Stats } from './measure.js';
import { git, initRepo } from './git-tools.js';
import { entityPath, storedPath } from '../ledger/layout.js';

export const MOLECULE_STEPS = 1000;
export const MOLECULE_TARGETS = { pourMs: 1000, stepDoneMs: 200 };

export interface MoleculeBenchResult {
  steps: number;
  fileBytes: number;
  pour: Stats;
  stepDone: Stats;
}

function gt(args: string[], cwd: string): string {
  const out = spawnSync(process.execPath, [GT_MAIN, ...args], { cwd, env: CHILD_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} failed in ${cwd}:\n${out.stderr}`);
  return out.stdout;
}

/** A workflow formula of `n` steps: mostly a chain, every 10th step fanning out to two and joining back. */
export function bigFormula(n: number): string {
  const out = [
    'formula = "bench-big"',
    'type = "workflow"',
    'version = 1',
    `description = "A ${n}-step workflow for the benchmark"`,
    '',
    '[vars.feature]',
    'description = "What is being built"',
    'required = true',
    '',
    '[vars.team]',
    'default = "core"',
  ];
  for (let i = 1; i <= n; i++) {
    const needs: string[] = [];
    if (i > 1) needs.push(`step-${i - 1}`);
    // Every 10th step also waits for the one 5 back: joins across the chain.
    if (i % 10 === 0 && i > 5) needs.push(`step-${i - 5}`);
    out.push(
      '',
      '[[steps]]',
      `id = "step-${i}"`,
      `title = "Step ${i} of {{feature}}"`,
      `description = "Carry out part ${i} of {{feature}} for the {{team}} team, check it against the design, and note anything surprising."`,
    );
    if (needs.length > 0) out.push(`needs = [${needs.map((x) => `"${x}"`).join(', ')}]`);
  }
  return `${out.join('\n')}\n`;
}

export async function runMoleculeBench(workDir: string, runs: number, log: (line: string) => void): Promise<MoleculeBenchResult> {
  log(`molecules: pour of a ${MOLECULE_STEPS.toLocaleString('en-US')}-step formula, step done --continue on it ...`);
  const repo = join(workDir, 'molecules');
  initRepo(repo);
  git(['commit', '-q', '--allow-empty', '-m', 'initial'], repo);
  gt(['init', '--prefix', 'mb'], repo);
  mkdirSync(join(repo, '.gt', 'formulas'), { recursive: true });
  writeFileSync(join(repo, '.gt', 'formulas', 'bench-big.formula.toml'), bigFormula(MOLECULE_STEPS));

  // Pours into a repository of their own, so the step-done timing sees one molecule, as a worker would.
  const pourRepo = join(workDir, 'molecules-pour');
  initRepo(pourRepo);
  git(['commit', '-q', '--allow-empty', '-m', 'initial'], pourRepo);
  gt(['init', '--prefix', 'mp'], pourRepo);
  mkdirSync(join(pourRepo, '.gt', 'formulas'), { recursive: true });
  writeFileSync(join(pourRepo, '.gt', 'formulas', 'bench-big.formula.toml'), bigFormula(MOLECULE_STEPS));
  await timeGt(['mol', 'pour', 'bench-big', '--var', 'feature=Warm-up'], pourRepo);
  const pours = [];
  for (let i = 1; i <= runs; i++) pours.push(await timeGt(['mol', 'pour', 'bench-big', '--var', `feature=Feature ${i}`], pourRepo));

  const poured = JSON.parse(gt(['mol', 'pour', 'bench-big', '--var', 'feature=Benchmark', '--json'], repo)) as { id: string };
  const fileBytes = Buffer.byteLength(git(['cat-file', '-p', `gt/ledger:${storedPath(entityPath('molecules', poured.id))}`], repo));
  await timeGt(['mol', 'step', 'done', '--continue'], repo);
  const dones = [];
  for (let i = 0; i < runs; i++) dones.push(await timeGt(['mol', 'step', 'done', '--continue'], repo));
  const result = { steps: MOLECULE_STEPS, fileBytes, pour: statsOf(pours), stepDone: statsOf(dones) };
  log(`  pour ${result.pour.medianMs.toFixed(0)} ms, step done --continue ${result.stepDone.medianMs.toFixed(0)} ms (molecule file ${(fileBytes / 1024).toFixed(0)} KB)`);
  return result;
}

/** The table, and the targets it missed. */
export function formatMoleculeBench(r: MoleculeBenchResult): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = ['== Molecules ==', `${'measurement'.padEnd(68)}${'median'.padStart(14)}${'max'.padStart(12)}  ${'target'.padEnd(24)}result`, '-'.repeat(130)];
  const steps = r.steps.toLocaleString('en-US');
  const rows: [string, Stats, number][] = [
    [`gt mol pour of a ${steps}-step formula (cook + pour, one commit)`, r.pour, MOLECULE_TARGETS.pourMs],
    [`gt mol step done --continue on a ${steps}-step molecule`, r.stepDone, MOLECULE_TARGETS.stepDoneMs],
  ];
  for (const [name, stats, target] of rows) {
    const pass = stats.medianMs <= target;
    lines.push(`${name.padEnd(68)}${`${stats.medianMs.toFixed(0)} ms`.padStart(14)}${`${stats.maxMs.toFixed(0)} ms`.padStart(12)}  ${`<= ${target} ms`.padEnd(24)}${pass ? 'pass' : 'FAIL'}`);
    if (!pass) failures.push(`${name} ${stats.medianMs.toFixed(0)} ms (<= ${target} ms)`);
  }
  lines.push(`medians of ${r.pour.samplesMs.length} whole-process runs after one warm-up; the molecule file is ${(r.fileBytes / 1024).toFixed(0)} KB of YAML`);
  return { text: lines.join('\n'), failures };
}
