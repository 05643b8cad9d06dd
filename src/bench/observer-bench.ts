/**
 * Convoys and the observer, measured as a user meets them:
 * - observer latency: from the `git commit` whose message closes a bead (`Closes: <id>`) in an agent's
 *   worktree to the next bead of the convoy being hooked on that agent, over 50 closures, once with
 *   `gt watch` running (no hooks) and once with the git hooks alone (no watcher);
 * - `gt convoy sling` of 100 tasks, and `gt convoy status` of a 1,000-bead convoy (whole processes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV, GT_MAIN, median, statsOf, timeGt, type Stats } from './measure.js';
import { git, initRepo } from './git-tools.js';
import { entityPath, storedPath } from '../ledger/layout.js';

export const LATENCY_CLOSURES = 50;

export interface LatencyResult {
  mode: 'watch' | 'hooks';
  closures: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface ObserverBenchResult {
  latency: LatencyResult[];
  sling100: Stats;
  status1000: Stats;
}

const AGENT_ENV: NodeJS.ProcessEnv = { ...CHILD_ENV };
delete AGENT_ENV.GT_AGENT;

function gt(args: string[], cwd: string, env: NodeJS.ProcessEnv = CHILD_ENV): string {
  const out = spawnSync(process.execPath, [GT_MAIN, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} failed in ${cwd}:\n${out.stderr}`);
  return out.stdout;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function hookedOnLedger(repo: string, bead: string): boolean {
  const out = spawnSync('git', ['cat-file', '-p', `gt/ledger:${storedPath(entityPath('beads', bead))}`], { cwd: repo, env: CHILD_ENV, encoding: 'utf8' });
  return out.status === 0 && out.stdout.includes('\nstatus: hooked\n');
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function measureLatency(workDir: string, mode: 'watch' | 'hooks', log: (line: string) => void): Promise<LatencyResult> {
  const repo = join(workDir, `latency-${mode}`);
  initRepo(repo);
  git(['commit', '-q', '--allow-empty', '-m', 'initial'], repo);
  gt(['init', '--prefix', 'lat'], repo);
  const tasks = Array.from({ length: LATENCY_CLOSURES + 1 }, (_, i) => `Task ${i + 1}`);
  const tasksFile = join(workDir, `latency-${mode}-tasks.json`);
  writeFileSync(tasksFile, JSON.stringify(tasks));
  const batch = JSON.parse(gt(['convoy', 'sling', 'Latency', '--file', tasksFile, '--to', 'ann', '--json'], repo)) as { beads: { id: string }[]; hooked: { bead: string }[] };
  // All beads have the same priority: the observer feeds them in id order.
  const order = [batch.hooked[0]!.bead, ...batch.beads.map((b) => b.id).filter((id) => id !== batch.hooked[0]!.bead).sort()];
  const worktree = join(workDir, `latency-${mode}-ann`);
  git(['worktree', 'add', '-q', '-b', 'ann/work', worktree], repo);
  gt(['agents', 'bind', 'ann'], worktree, AGENT_ENV);

  let watcher: ChildProcess | undefined;
  if (mode === 'hooks') {
    gt(['hooks', 'install'], repo);
  } else {
    watcher = spawn(process.execPath, [GT_MAIN, 'watch', '--debounce', '0.02'], { cwd: repo, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
    watcher.stdout!.on('data', (chunk: Buffer) => process.env.BENCH_DEBUG && process.stderr.write(chunk));
    let started = false;
    watcher.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('watching')) started = true;
    });
    for (let i = 0; !started; i++) {
      if (i > 200) throw new Error('gt watch did not start');
      await sleep(25);
    }
    await sleep(300);
  }

  const latencies: number[] = [];
  try {
    for (let i = 0; i < LATENCY_CLOSURES; i++) {
      const current = order[i]!;
      const next = order[i + 1]!;
      writeFileSync(join(worktree, 'work.txt'), `step ${i}\n`);
      spawnSync('git', ['add', 'work.txt'], { cwd: worktree, env: AGENT_ENV });
      const t0 = performance.now();
      const commit = spawnSync('git', ['commit', '-q', '-m', `Work on ${current}\n\nCloses: ${current}`], { cwd: worktree, env: AGENT_ENV, encoding: 'utf8' });
      if (commit.status !== 0) throw new Error(`git commit failed: ${commit.stderr}`);
      for (let polls = 0; !hookedOnLedger(repo, next); polls++) {
        if (performance.now() - t0 > 20_000) throw new Error(`${next} was not hooked within 20 s of closing ${current} (${mode})`);
        await sleep(2);
      }
      latencies.push(performance.now() - t0);
    }
  } finally {
    if (watcher) {
      watcher.kill('SIGTERM');
      await new Promise((resolve) => watcher!.once('exit', resolve));
    }
  }
  const result = { mode, closures: latencies.length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: Math.max(...latencies) };
  log(`  observer latency with ${mode === 'watch' ? 'gt watch' : 'hooks only'}: p50 ${result.p50Ms.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms over ${result.closures} closures`);
  return result;
}

async function measureSling(workDir: string, runs: number): Promise<Stats> {
  const repo = join(workDir, 'sling');
  initRepo(repo);
  gt(['init', '--prefix', 'sl'], repo);
  const file = join(workDir, 'sling-100.json');
  writeFileSync(file, JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ title: `Task ${i + 1}`, description: `Step ${i + 1} of the batch.` }))));
  await timeGt(['convoy', 'sling', 'Warm-up', '--file', file, '--to', 'agent-0'], repo);
  const samples = [];
  for (let i = 1; i <= runs; i++) samples.push(await timeGt(['convoy', 'sling', `Batch ${i}`, '--file', file, '--to', `agent-${i}`], repo));
  return statsOf(samples);
}

async function measureStatus(workDir: string, runs: number): Promise<Stats> {
  const repo = join(workDir, 'status');
  initRepo(repo);
  gt(['init', '--prefix', 'st'], repo);
  const file = join(workDir, 'status-1000.json');
  writeFileSync(file, JSON.stringify(Array.from({ length: 1000 }, (_, i) => `Task ${i + 1}`)));
  const convoy = (JSON.parse(gt(['convoy', 'sling', 'Big batch', '--file', file, '--to', 'ann', '--json'], repo)) as { convoy: { id: string } }).convoy.id;
  await timeGt(['convoy', 'status', convoy, '--json'], repo);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await timeGt(['convoy', 'status', convoy, '--json'], repo));
  return statsOf(samples);
}

export async function runObserverBench(workDir: string, runs: number, log: (line: string) => void): Promise<ObserverBenchResult> {
  log(`convoys and the observer: ${LATENCY_CLOSURES} closures per mode, sling of 100 tasks, status of a 1,000-bead convoy ...`);
  const latency = [await measureLatency(workDir, 'watch', log), await measureLatency(workDir, 'hooks', log)];
  const sling100 = await measureSling(workDir, runs);
  const status1000 = await measureStatus(workDir, runs);
  return { latency, sling100, status1000 };
}

export const OBSERVER_TARGETS = { p50Ms: 300, p95Ms: 1000, sling100Ms: 1000, status1000Ms: 200 };

/** The table, and the targets it missed. */
export function formatObserverBench(r: ObserverBenchResult): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = ['== Convoys and the observer ==', `${'measurement'.padEnd(68)}${'p50 / median'.padStart(14)}${'p95 / max'.padStart(12)}  ${'target'.padEnd(24)}result`, '-'.repeat(130)];
  for (const l of r.latency) {
    const pass = l.p50Ms <= OBSERVER_TARGETS.p50Ms && l.p95Ms <= OBSERVER_TARGETS.p95Ms;
    const name = `observer latency, ${l.mode === 'watch' ? 'gt watch' : 'git hooks only'} (commit → next bead hooked, ${l.closures}x)`;
    lines.push(`${name.padEnd(68)}${`${l.p50Ms.toFixed(0)} ms`.padStart(14)}${`${l.p95Ms.toFixed(0)} ms`.padStart(12)}  ${'p50 <= 300, p95 <= 1000'.padEnd(24)}${pass ? 'pass' : 'FAIL'}`);
    if (!pass) failures.push(`observer latency (${l.mode}): p50 ${l.p50Ms.toFixed(0)} ms, p95 ${l.p95Ms.toFixed(0)} ms`);
  }
  const rows: [string, Stats, number][] = [
    ['gt convoy sling of 100 tasks', r.sling100, OBSERVER_TARGETS.sling100Ms],
    ['gt convoy status of a 1,000-bead convoy --json', r.status1000, OBSERVER_TARGETS.status1000Ms],
  ];
  for (const [name, stats, target] of rows) {
    const pass = stats.medianMs <= target;
    lines.push(`${name.padEnd(68)}${`${stats.medianMs.toFixed(0)} ms`.padStart(14)}${`${stats.maxMs.toFixed(0)} ms`.padStart(12)}  ${`<= ${target} ms`.padEnd(24)}${pass ? 'pass' : 'FAIL'}`);
    if (!pass) failures.push(`${name} ${stats.medianMs.toFixed(0)} ms (<= ${target} ms)`);
  }
  lines.push(`upstream polls every 5 s; medians of ${r.sling100.samplesMs.length} whole-process runs; latency includes the git commit itself (${median(r.latency.map((l) => l.p50Ms)).toFixed(0)} ms p50 across modes)`);
  return { text: lines.join('\n'), failures };
}
