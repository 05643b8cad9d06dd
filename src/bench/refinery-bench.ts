/**
 * The refinery, measured with real gt and real git (no sessions: each request is an agent's sandbox,
 * a worktree on polecat/<name> with one commit of a file of its own, submitted with `gt done`):
 * - latency: from launching `gt done` to the refinery reporting the request merged (its `--json`
 *   action line, written once the target moved and the bead closed), one request at a time, with
 *   `gt refinery run` running in the background (its loop, polling the queue every `--interval`);
 * - throughput: N requests queued, then one `gt refinery run --once` until the queue is empty;
 *   merges per minute, batched (refinery.batch_max 8, the default) and one by one (batch_max 1), with
 *   a trivial test command and with one that takes a second (where batching pays).
 * The target (main) is checked out, clean, in the repository's own worktree, as in a developer's
 * clone: each move updates it, as receive.denyCurrentBranch=updateInstead would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CHILD_ENV, GT_MAIN } from './measure.js';
import { git, initRepo } from './git-tools.js';
import { distribution, gt, nowMs, poll, type Distribution } from './polecat-bench.js';

export interface RefineryBenchOptions {
  /** Requests timed one at a time (after one warm-up). */
  latencyRequests: number;
  /** `gt refinery run --interval` for the latency, seconds. */
  intervalsS: number[];
  /** Requests queued for the throughput. */
  queued: number;
}

export interface ThroughputResult {
  batchMax: number;
  testCommand: string;
  requests: number;
  wallMs: number;
  mergesPerMinute: number;
  /** How many times the target moved (one per merged batch). */
  targetMoves: number;
}

export interface LatencyResult extends Distribution {
  driver: string;
  /** `gt done` alone (submitting the request), part of the latency. */
  done: Distribution;
}

export interface RefineryBenchResult {
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  load: [number, number];
}

interface Bed {
  repo: string;
  /** Next agent number. */
  next: number;
}

function makeBed(workDir: string, name: string, settings: Record<string, string>): Bed {
  const repo = join(workDir, `refinery-${name}`);
  initRepo(repo);
  writeFileSync(join(repo, 'README'), 'bench\n');
  git(['add', 'README'], repo);
  git(['commit', '-q', '-m', 'initial'], repo);
  gt(['init', '--prefix', 'rf'], repo);
  gt(['config', 'set', 'refinery.target', 'main'], repo);
  for (const [key, value] of Object.entries(settings)) gt(['config', 'set', key, value], repo);
  return { repo, next: 0 };
}

/** An agent with a bead on its hook and one commit in its sandbox, ready for `gt done`; returns how to run it. */
function prepareRequest(bed: Bed): { agent: string; sandbox: string; bead: string } {
  const agent = `a${String(bed.next++).padStart(3, '0')}`;
  const sandbox = `${bed.repo}-${agent}`;
  git(['worktree', 'add', '-q', '-b', `polecat/${agent}`, sandbox, 'main'], bed.repo);
  const bead = (JSON.parse(gt(['create', `Work of ${agent}`, '--json'], bed.repo)) as { id: string }).id;
  gt(['sling', bead, agent, '--create-agent', '--no-convoy'], bed.repo);
  writeFileSync(join(sandbox, `${agent}.txt`), `${agent}\n`);
  git(['add', `${agent}.txt`], sandbox);
  git(['commit', '-q', '-m', `${agent}: its work`], sandbox);
  return { agent, sandbox, bead };
}

const done = (request: { agent: string; sandbox: string }): string => gt(['done'], request.sandbox, { ...CHILD_ENV, GT_AGENT: request.agent });

interface Action {
  kind: string;
  mr?: string;
  line: string;
}

/** `gt refinery run` in the background: each action with the wall time it was read. */
function startRefinery(repo: string, intervalS: number): { child: ChildProcess; actions: (Action & { at: number })[] } {
  const child = spawn(process.execPath, [GT_MAIN, 'refinery', 'run', '--json', '--interval', String(intervalS)], { cwd: repo, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  const actions: (Action & { at: number })[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const at = nowMs();
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') actions.push({ ...(JSON.parse(line) as Action), at });
  });
  return { child, actions };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** (a) One request at a time: `gt done` launched → the refinery's merged action for it. */
async function measureLatency(workDir: string, requests: number, intervalS: number, log: (line: string) => void): Promise<LatencyResult> {
  const bed = makeBed(workDir, `latency-${intervalS}`, { 'refinery.test_command': 'true' });
  const refinery = startRefinery(bed.repo, intervalS);
  try {
    const samples: number[] = [];
    const doneSamples: number[] = [];
    for (let i = 0; i <= requests; i++) {
      const request = prepareRequest(bed);
      const t0 = nowMs();
      const out = done(request);
      const t1 = nowMs();
      const mr = /submitted \S+ for review: (\S+)/.exec(out)?.[1];
      if (!mr) throw new Error(`gt done did not submit a request:\n${out}`);
      const merged = await poll(`${mr} to be merged`, () => refinery.actions.find((a) => a.mr === mr && (a.kind === 'merged' || a.kind === 'failed' || a.kind === 'conflict')), 120_000, 5);
      if (merged.kind !== 'merged') throw new Error(`${mr}: ${merged.line}`);
      // The refinery moves the agent's branch after reporting the merge: let it finish (untimed).
      await poll(`${mr}'s branch to move`, () => refinery.actions.find((a) => a.mr === mr && a.kind === 'branch'), 60_000, 5);
      if (i > 0) {
        // The first is a warm-up.
        samples.push(merged.at - t0);
        doneSamples.push(t1 - t0);
      }
    }
    const driver = `gt refinery run --interval ${intervalS}`;
    const result = { ...distribution(samples), driver, done: distribution(doneSamples) };
    log(`  gt done → merged: p50 ${result.p50Ms.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms over ${requests} requests (${driver}; gt done alone p50 ${result.done.p50Ms.toFixed(0)} ms)`);
    return result;
  } finally {
    await stop(refinery.child);
  }
}

/** (b) `queued` requests waiting, then one `gt refinery run --once` until the queue is empty. */
async function measureThroughput(workDir: string, queued: number, batchMax: number, testCommand: string, log: (line: string) => void): Promise<ThroughputResult> {
  const bed = makeBed(workDir, `throughput-${batchMax}-${testCommand.replace(/\W+/g, '-')}`, { 'refinery.test_command': testCommand, 'refinery.batch_max': String(batchMax) });
  for (let i = 0; i < queued; i++) done(prepareRequest(bed));
  const before = git(['rev-parse', 'main'], bed.repo).trim();
  const t0 = nowMs();
  const actions = JSON.parse(gt(['refinery', 'run', '--once', '--json'], bed.repo)) as Action[];
  const wallMs = nowMs() - t0;
  const merged = actions.filter((a) => a.kind === 'merged').length;
  if (merged !== queued) throw new Error(`the refinery merged ${merged} of ${queued} requests:\n${actions.map((a) => a.line).join('\n')}`);
  const targetMoves = git(['reflog', 'show', '--format=%gs', 'refs/heads/main'], bed.repo)
    .split('\n')
    .filter((l) => l.startsWith('refinery:')).length;
  if (git(['rev-list', '--count', '--first-parent', `${before}..main`], bed.repo).trim() !== String(queued)) throw new Error('main did not gain one merge per request');
  const result = { batchMax, testCommand, requests: queued, wallMs, mergesPerMinute: (queued * 60_000) / wallMs, targetMoves };
  log(`  ${queued} queued, batch_max ${batchMax}, tests '${testCommand}': ${(wallMs / 1000).toFixed(1)} s, ${result.mergesPerMinute.toFixed(0)} merges/min, main moved ${targetMoves} times`);
  return result;
}

export async function runRefineryBench(workDir: string, opts: RefineryBenchOptions, log: (line: string) => void): Promise<RefineryBenchResult> {
  log(`refinery: ${opts.latencyRequests} requests one at a time, ${opts.queued} queued at once (batched and one by one) ...`);
  const loadBefore = loadavg()[0]!;
  const latency = [];
  for (const interval of opts.intervalsS) latency.push(await measureLatency(workDir, opts.latencyRequests, interval, log));
  const throughput = [];
  for (const testCommand of ['true', 'sleep 1']) for (const batchMax of [8, 1]) throughput.push(await measureThroughput(workDir, opts.queued, batchMax, testCommand, log));
  return { latency, throughput, load: [loadBefore, loadavg()[0]!] };
}

/** The table (no targets: the issue asks for the figures). */
export function formatRefineryBench(r: RefineryBenchResult): string {
  const lines = ['== Refinery ==', `${'measurement'.padEnd(84)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'max'.padStart(10)}`, '-'.repeat(114)];
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const row = (name: string, d: Distribution): number => lines.push(`${name.padEnd(84)}${ms(d.p50Ms).padStart(10)}${ms(d.p95Ms).padStart(10)}${ms(d.maxMs).padStart(10)}`);
  for (const l of r.latency) {
    row(`gt done → merged, tests 'true' (${l.samplesMs.length}x, ${l.driver})`, l);
    row('  of which gt done itself (submitting the request)', l.done);
  }
  lines.push('', `${'throughput: requests queued, then gt refinery run --once'.padEnd(64)}${'wall'.padStart(10)}${'merges/min'.padStart(12)}${'main moved'.padStart(12)}`, '-'.repeat(98));
  for (const t of r.throughput) {
    const how = t.batchMax === 1 ? 'one by one (refinery.batch_max 1)' : `batched (refinery.batch_max ${t.batchMax})`;
    lines.push(`${`${t.requests} requests, tests '${t.testCommand}', ${how}`.padEnd(64)}${`${(t.wallMs / 1000).toFixed(1)} s`.padStart(10)}${t.mergesPerMinute.toFixed(0).padStart(12)}${`${t.targetMoves}x`.padStart(12)}`);
  }
  lines.push(`load average (1 min) at start / end: ${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}${Math.max(...r.load) > 1.5 ? '  (other work was running: wall times are inflated)' : ''}`);
  return lines.join('\n');
}
