/**
 * Polecats, measured as an overseer meets them (real gt, real sessions, real git):
 * - start: from launching `gt sling <bead> --spawn` to the agent's first action (its runtime.command
 *   writes a `date +%s%N` stamp first thing): a new sandbox, an idle polecat's sandbox, and an idle
 *   polecat whose loop still waits for work;
 * - overhead: a convoy of beads slung with `--spawn <polecats>` to agents that only commit `Closes:`
 *   and run `gt done` (and again without the trailer); the wall time the polecats' slots spend outside
 *   the agents' own work, per agent session: a mean, since slot time is not attributable to one bead;
 *   the per-bead parts (gt done, the loop's hand-off) are given as distributions;
 * - reaction: a polecat's processes (its loop and its agent session) are SIGKILLed at a random moment
 *   of the witness's cycle; the time until its new session's first action, with the witness running
 *   in the background (`gt witness --interval`, 1 s and the default 5 s).
 * Stamps are CLOCK_REALTIME nanoseconds written by the agents; the bench compares them with its own
 * wall clock (same machine, same clock).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CHILD_ENV, GT_MAIN } from './measure.js';
import { git, initRepo } from './git-tools.js';
import { entityPath, storedPath } from '../ledger/layout.js';

export const POLECAT_TARGETS = { startP50Ms: 500, overheadP50Ms: 300, reactionP50Ms: 2000 };

export interface Distribution {
  samplesMs: number[];
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface StartResult {
  fresh: Distribution;
  reused: Distribution;
  waiting: Distribution;
}

export interface PolecatBenchResult {
  start: StartResult;
  /** With the `Closes:` trailer (the target's row), then without. */
  overhead: OverheadResult[];
  /** One per witness interval; the target applies to the first. */
  reaction: (Distribution & { intervalS: number; driver: string })[];
  load: [number, number];
}

export interface OverheadResult {
  /** The agents' commits named their bead (`Closes:`). */
  trailer: boolean;
  beads: number;
  /** Beads an agent session reported on (the others were closed without one: see `unreported`). */
  sessions: number;
  polecats: number;
  wallMs: number;
  /** The agents' own work (write, git add, git commit), summed over beads. */
  agentMs: number;
  /**
   * The agent's whole run, `gt done` included: the issue's agent "does nothing but commit and gt done",
   * so its time is both, and what is left of the slots' wall time is gt's orchestration (the headline).
   */
  agentWithDoneMs: number;
  /** (polecats × wall − agent time) / sessions. */
  perBeadMs: number;
  perBeadWithDoneMs: number;
  /** Per polecat, from the end of one agent run (`gt done` returned) to the first action of its next: the loop's hand-off. */
  handoff: Distribution;
  /** `gt done` alone (close, merge the agent branch, observer pass), per bead. */
  done: Distribution;
  /** Beads no agent reported on: closed without a session of their own (see measureOverhead). */
  unreported: number;
  /** Runs whose `gt done` failed, by its first error line (bead and polecat names masked), e.g. nothing hooked: an observer pass had closed the bead from its commit already. */
  doneFailures: Record<string, number>;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(samples: readonly number[]): Distribution {
  return { samplesMs: samples.map((v) => Math.round(v * 10) / 10), p50Ms: percentile(samples, 50), p95Ms: percentile(samples, 95), maxMs: Math.max(...samples) };
}

export function gt(args: string[], cwd: string, env: NodeJS.ProcessEnv = CHILD_ENV): string {
  const out = spawnSync(process.execPath, [GT_MAIN, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} failed in ${cwd}:\n${out.stderr}`);
  return out.stdout;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The wall clock in ms, as precise as performance.now() (agents' stamps are epoch nanoseconds). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const readStampMs = (file: string): number => Number(readFileSync(file, 'utf8').trim()) / 1e6;

/** Polls until `probe` returns a value (a safety limit, not a measure: this is setup or a wait between samples). */
export async function poll<T>(what: string, probe: () => T | undefined, limitMs = 120_000, intervalMs = 2): Promise<T> {
  const started = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() - started > limitMs) throw new Error(`gave up after ${limitMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Agent scripts. Each takes the stamp directory as $1; a stamp is written to a temporary name and
 * renamed, so the bench never reads half of one.
 */
const STAMP = `stamp() { date +%s%N > "$1.tmp.$$" && mv "$1.tmp.$$" "$1"; }`;
/** The agent's work: a line appended and committed, the commit naming its bead with `Closes:` or not. */
const commit = (trailer: boolean): string =>
  ['cd "$GT_WORKTREE"', 'echo "$GT_BEAD" >> bench-work.txt', 'git add bench-work.txt', `git commit -q -m "$GT_BEAD"${trailer ? ' -m "Closes: $GT_BEAD"' : ''}`].join('\n');
const COMMIT = commit(true);

/** Stamps its start, commits `Closes:`, runs `gt done`, stamps the end. */
const START_AGENT = `#!/bin/sh
${STAMP}
stamp "$1/$GT_BEAD.start"
set -eu
${COMMIT}
gt done > /dev/null
stamp "$1/$GT_BEAD.done"
`;

/**
 * Times its own work (t0..t1) and gt done (t1..t2): one line per run in $1/<bead>.times, with gt done's
 * exit status (another polecat's gt done may have closed the bead from its `Closes:` commit first).
 */
const overheadAgent = (trailer: boolean): string => `#!/bin/sh
t0=$(date +%s%N)
set -eu
${commit(trailer)}
t1=$(date +%s%N)
status=0
gt done > /dev/null 2> "$1/$GT_BEAD.err" || status=$?
t2=$(date +%s%N)
echo "$GT_AGENT $t0 $t1 $t2 $status" >> "$1/$GT_BEAD.times"
`;

/** Stamps its start (with its pid and process group), then waits to be killed. */
const SLEEPER_AGENT = `#!/bin/sh
${STAMP}
stamp "$1/$GT_BEAD.$$.start"
exec sleep 3600
`;

interface Bed {
  repo: string;
  stamps: string;
}

function makeBed(workDir: string, name: string, agent: string, settings: Record<string, string>): Bed {
  const repo = join(workDir, `polecats-${name}`);
  initRepo(repo);
  git(['commit', '-q', '--allow-empty', '-m', 'initial'], repo);
  gt(['init', '--prefix', 'pc'], repo);
  const stamps = join(workDir, `polecats-${name}-stamps`);
  mkdirSync(stamps, { recursive: true });
  const script = join(workDir, `polecats-${name}-agent.sh`);
  writeFileSync(script, agent);
  gt(['config', 'set', 'runtime.command', `sh ${shellQuote(script)} ${shellQuote(stamps)}`], repo);
  for (const [key, value] of Object.entries(settings)) gt(['config', 'set', key, value], repo);
  return { repo, stamps };
}

interface PolecatRow {
  name: string;
  state: string;
  pid?: number;
  /** The agent session its loop runs now. */
  agent_pid?: number;
}
const polecats = (repo: string): PolecatRow[] => JSON.parse(gt(['polecat', 'list', '--json'], repo)) as PolecatRow[];

/** Every process gt started for the bench's polecats, whatever the test left running. */
function killAll(repo: string, extra: readonly number[]): void {
  let rows: PolecatRow[] = [];
  try {
    rows = polecats(repo);
  } catch {
    // The repository may be half made: kill what we know of.
  }
  const pids = [...extra, ...rows.flatMap((r) => [r.pid, r.agent_pid].filter((p): p is number => p !== undefined))];
  for (const pid of pids) for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** The process group of a process (sessions and loops are started detached: one group each). */
function pgidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function createBeads(repo: string, count: number, title: string): string[] {
  return Array.from({ length: count }, (_, i) => (JSON.parse(gt(['create', `${title} ${i + 1}`, '--json'], repo)) as { id: string }).id);
}

/**
 * (a) N spawns per case, one at a time, each after the previous polecat finished:
 *  - fresh: a new name, so a new sandbox (git worktree) and a new loop;
 *  - reused: an idle polecat whose loop has exited (polecats.idle_exit passed): its sandbox, a new loop;
 *  - waiting: an idle polecat whose loop still waits for work: the sling only hooks the bead.
 */
async function measureStart(workDir: string, spawns: number, log: (line: string) => void): Promise<StartResult> {
  const names = Array.from({ length: spawns + 1 }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const bed = makeBed(workDir, 'start', START_AGENT, { 'polecats.names': names.join(','), 'polecats.max': String(spawns + 2), 'polecats.idle_exit': '500ms' });
  const beads = createBeads(bed.repo, 3 * (spawns + 1), 'Start');
  const pids: number[] = [];
  let next = 0;
  /** One spawn; then waits for its agent to finish and its loop to exit (`loopGone`) or to be idle again. */
  const one = async (extra: string[], loopGone: boolean): Promise<number> => {
    const bead = beads[next++]!;
    const t0 = nowMs();
    const child = spawn(process.execPath, [GT_MAIN, 'sling', bead, '--spawn', '--json', ...extra], { cwd: bed.repo, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const startFile = join(bed.stamps, `${bead}.start`);
    const started = await poll(`${bead}'s agent to start`, () => (existsSync(startFile) ? readStampMs(startFile) : undefined), 60_000, 1);
    const code = await exited;
    if (code !== 0) throw new Error(`gt sling ${bead} --spawn failed:\n${err}`);
    const spawned = JSON.parse(out) as { polecat: string; pid: number | null };
    if (spawned.pid !== null) pids.push(spawned.pid);
    await poll(`${bead}'s agent to finish`, () => (existsSync(join(bed.stamps, `${bead}.done`)) ? true : undefined), 120_000, 20);
    // The next spawn must find every polecat idle: no agent session running, and no loop either when asked.
    const settled = (p: PolecatRow): boolean => p.state === 'idle' && p.agent_pid === undefined && (!loopGone || p.pid === undefined);
    await poll('every polecat idle', () => (polecats(bed.repo).every(settled) ? true : undefined), 120_000, 200);
    return started - t0;
  };
  /** A warm-up spawn (not counted), then `spawns` timed ones. */
  const series = async (extra: (i: number) => string[], loopGone: boolean): Promise<Distribution> => {
    const samples: number[] = [];
    for (let i = 0; i <= spawns; i++) {
      const ms = await one(extra(i), loopGone);
      if (i > 0) samples.push(ms);
    }
    return distribution(samples);
  };
  try {
    const fresh = await series((i) => ['--name', names[i]!], true);
    const reused = await series(() => [], true);
    gt(['config', 'set', 'polecats.idle_exit', '10m'], bed.repo);
    const waiting = await series(() => [], false);
    const result = { fresh, reused, waiting };
    log(`  sling → agent started, p50: new sandbox ${fresh.p50Ms.toFixed(0)} ms, idle sandbox ${reused.p50Ms.toFixed(0)} ms, waiting loop ${waiting.p50Ms.toFixed(0)} ms (${spawns} spawns each)`);
    return result;
  } finally {
    killAll(bed.repo, pids);
  }
}

/**
 * (b) A convoy of `beads` slung with --spawn `count`; the loops take the rest as the observer feeds them.
 * `trailer`: the agents' commits say `Closes: <bead>` (as the brief's agent does), or not (gt done alone
 * closes the bead).
 */
async function measureOverhead(workDir: string, beads: number, count: number, trailer: boolean, log: (line: string) => void): Promise<OverheadResult> {
  const name = trailer ? 'overhead' : 'overhead-plain';
  const bed = makeBed(workDir, name, overheadAgent(trailer), { 'polecats.max': String(count) });
  const tasks = join(workDir, `polecats-${name}-tasks.json`);
  writeFileSync(tasks, JSON.stringify(Array.from({ length: beads }, (_, i) => `Overhead ${i + 1}`)));
  const pids: number[] = [];
  try {
    const t0 = nowMs();
    const out = gt(['convoy', 'sling', 'Overhead', '--file', tasks, '--spawn', String(count), '--json'], bed.repo);
    const batch = JSON.parse(out) as { convoy: { id: string }; beads: { id: string }[] };
    const convoyId = batch.convoy.id;
    for (const p of polecats(bed.repo)) if (p.pid !== undefined) pids.push(p.pid);
    const ids = batch.beads.map((b) => b.id);
    if (ids.length !== beads) throw new Error(`convoy sling made ${ids.length} beads, expected ${beads}`);
    const timesOf = (id: string): string | undefined => {
      const file = join(bed.stamps, `${id}.times`);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    };
    // Done when every agent reported, or the convoy landed (a bead closed by another polecat's gt done
    // after the observer fed it, a race in gt, leaves no report: counted below, not waited for).
    const landed = (): boolean => /\nstatus: closed\n/.test(`\n${spawnSync('git', ['cat-file', '-p', `gt/ledger:${storedPath(entityPath('convoys', convoyId))}`], { cwd: bed.repo, encoding: 'utf8' }).stdout}`);
    let polls = 0;
    await poll('every bead of the convoy done', () => (ids.every((id) => timesOf(id) !== undefined) || (++polls % 40 === 0 && landed()) ? true : undefined), 5 * 60_000, 50);
    if (!ids.every((id) => timesOf(id) !== undefined)) await sleep(2000); // the last reports of a landed convoy
    const reported = ids.filter((id) => timesOf(id) !== undefined);
    const runs = reported.map((id) => {
      // A bead done twice (a session restarted after its gt done) counts its first completion; the rest is overhead.
      const [agent, a, b, c, status] = timesOf(id)!.trim().split('\n')[0]!.split(' ');
      const why = status === '0' ? undefined : (readFileSync(join(bed.stamps, `${id}.err`), 'utf8').split('\n')[0] ?? '').replaceAll(agent!, '<polecat>').replace(/pc-\w+/g, '<bead>');
      return { agent: agent!, t0: Number(a) / 1e6, t1: Number(b) / 1e6, t2: Number(c) / 1e6, doneFailed: status !== '0', why };
    });
    const wallMs = Math.max(...runs.map((r) => r.t2)) - t0;
    const agentMs = runs.reduce((s, r) => s + (r.t1 - r.t0), 0);
    const agentWithDoneMs = runs.reduce((s, r) => s + (r.t2 - r.t0), 0);
    const handoff: number[] = [];
    const byAgent = new Map<string, typeof runs>();
    for (const r of runs) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
    for (const list of byAgent.values()) {
      list.sort((x, y) => x.t0 - y.t0);
      for (let i = 1; i < list.length; i++) handoff.push(list[i]!.t0 - list[i - 1]!.t2);
    }
    const sessions = runs.length;
    const result: OverheadResult = {
      trailer,
      beads,
      sessions,
      polecats: count,
      wallMs,
      agentMs,
      agentWithDoneMs,
      perBeadMs: (count * wallMs - agentMs) / sessions,
      perBeadWithDoneMs: (count * wallMs - agentWithDoneMs) / sessions,
      handoff: distribution(handoff.length > 0 ? handoff : [0]),
      done: distribution(runs.map((r) => r.t2 - r.t1)),
      doneFailures: Object.fromEntries([...new Set(runs.flatMap((r) => (r.why !== undefined ? [r.why] : [])))].map((why) => [why, runs.filter((r) => r.why === why).length])),
      unreported: ids.length - reported.length,
    };
    log(
      `  orchestration overhead${trailer ? '' : ' (no Closes: trailer)'}: ${result.perBeadWithDoneMs.toFixed(0)} ms per bead (${result.perBeadMs.toFixed(0)} with gt done; wall ${(wallMs / 1000).toFixed(1)} s, ${byAgent.size} polecats; hand-off p50 ${result.handoff.p50Ms.toFixed(0)} ms, gt done p50 ${result.done.p50Ms.toFixed(0)} ms)`,
    );
    return result;
  } finally {
    killAll(bed.repo, pids);
  }
}

/** (c) SIGKILL a polecat's processes `kills` times; each time, how long until its new session's first action. */
async function measureReaction(workDir: string, kills: number, intervalS: number, log: (line: string) => void): Promise<PolecatBenchResult['reaction'][number]> {
  const bed = makeBed(workDir, `reaction-${intervalS}`, SLEEPER_AGENT, { 'witness.max_restarts': String(kills + 5) });
  const [bead] = createBeads(bed.repo, 1, 'Killed');
  const starts = (): string[] => readdirSync(bed.stamps).filter((f) => f.startsWith(`${bead}.`) && f.endsWith('.start'));
  const pids: number[] = [];
  let witness: ChildProcess | undefined;
  try {
    const spawned = JSON.parse(gt(['sling', bead!, '--spawn', '--json'], bed.repo)) as { polecat: string; pid: number };
    pids.push(spawned.pid);
    await poll('the first session', () => (starts().length === 1 ? true : undefined), 60_000, 10);
    witness = spawn(process.execPath, [GT_MAIN, 'witness', '--interval', String(intervalS), '--json'], { cwd: bed.repo, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
    witness.stdout!.on('data', (chunk: Buffer) => {
      if (process.env.BENCH_DEBUG) process.stderr.write(`    ${new Date().toISOString()} witness: ${chunk.toString()}`);
      for (const line of chunk.toString().split('\n')) {
        const pid = /"pid":(\d+)/.exec(line)?.[1];
        if (pid) pids.push(Number(pid));
      }
    });
    const samples: number[] = [];
    for (let i = 0; i <= kills; i++) {
      // A crash comes at any moment of the witness's cycle, not just after the pass that restarted the
      // last session: wait part of an interval first (untimed), spread evenly over the cycle (golden-ratio
      // steps), or every sample would land in the same phase.
      await sleep(((i * 0.618034) % 1) * intervalS * 1000);
      const seen = new Set(starts());
      // The polecat's processes: its loop and the agent session it runs (each leads a group), and the agent as it stamped itself.
      const row = polecats(bed.repo).find((p) => p.name === spawned.polecat)!;
      const agentPids = [...seen].map((f) => Number(f.split('.').at(-2))).filter((pid) => pgidOf(pid) !== undefined);
      const groups = new Set([row.pid, row.agent_pid, ...agentPids].filter((p): p is number => p !== undefined).map((p) => pgidOf(p) ?? p));
      const t0 = nowMs();
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      const file = await poll(`session ${i + 1} to be restarted`, () => starts().find((f) => !seen.has(f)), 120_000, 2);
      if (process.env.BENCH_DEBUG) log(`    killed groups ${[...groups].join(', ')} at ${new Date(t0).toISOString()}; ${file} stamped ${new Date(readStampMs(join(bed.stamps, file))).toISOString()}`);
      if (i > 0) samples.push(readStampMs(join(bed.stamps, file)) - t0); // the first is a warm-up
      pids.push(Number(file.split('.').at(-2)));
    }
    const result = { ...distribution(samples), intervalS, driver: `gt witness --interval ${intervalS}` };
    log(`  witness reaction to a killed session: p50 ${result.p50Ms.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms over ${kills} kills (${result.driver})`);
    return result;
  } finally {
    if (witness) {
      witness.kill('SIGTERM');
      await new Promise((resolve) => (witness!.exitCode !== null ? resolve(null) : witness!.once('exit', resolve)));
    }
    killAll(bed.repo, pids);
  }
}

export interface PolecatBenchOptions {
  spawns: number;
  beads: number;
  polecats: number;
  kills: number;
  /** `gt witness --interval` for the reaction, one series each. */
  witnessIntervalsS: number[];
}

export async function runPolecatBench(workDir: string, opts: PolecatBenchOptions, log: (line: string) => void): Promise<PolecatBenchResult> {
  log(`polecats: ${opts.spawns} spawns (new and reused sandbox), ${opts.beads} beads on ${opts.polecats} polecats, ${opts.kills} kills ...`);
  const loadBefore = loadavg()[0]!;
  const start = await measureStart(workDir, opts.spawns, log);
  const overhead = [await measureOverhead(workDir, opts.beads, opts.polecats, true, log), await measureOverhead(workDir, opts.beads, opts.polecats, false, log)];
  const reaction = [];
  for (const interval of opts.witnessIntervalsS) reaction.push(await measureReaction(workDir, opts.kills, interval, log));
  return { start, overhead, reaction, load: [loadBefore, loadavg()[0]!] };
}

/** The table, and the targets it missed. */
export function formatPolecatBench(r: PolecatBenchResult): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = ['== Polecats ==', `${'measurement'.padEnd(84)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'max'.padStart(10)}  ${'target'.padEnd(18)}result`, '-'.repeat(130)];
  const row = (name: string, d: { p50Ms: number; p95Ms?: number; maxMs?: number }, target?: number): void => {
    const pass = target === undefined ? undefined : d.p50Ms <= target;
    const ms = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(0)} ms`);
    lines.push(`${name.padEnd(84)}${ms(d.p50Ms).padStart(10)}${ms(d.p95Ms).padStart(10)}${ms(d.maxMs).padStart(10)}  ${(target === undefined ? '(info)' : `p50 <= ${target} ms`).padEnd(18)}${pass === undefined ? 'info' : pass ? 'pass' : 'FAIL'}`);
    if (pass === false) failures.push(`${name}: p50 ${d.p50Ms.toFixed(0)} ms (<= ${target} ms)`);
  };
  row(`sling --spawn → agent's first action, new sandbox (${r.start.fresh.samplesMs.length}x)`, r.start.fresh, POLECAT_TARGETS.startP50Ms);
  row(`sling --spawn → agent's first action, idle polecat, loop exited (${r.start.reused.samplesMs.length}x)`, r.start.reused, POLECAT_TARGETS.startP50Ms);
  row(`sling --spawn → agent's first action, idle polecat, loop waiting (${r.start.waiting.samplesMs.length}x)`, r.start.waiting, POLECAT_TARGETS.startP50Ms);
  for (const o of r.overhead) {
    const how = o.trailer ? 'commit with Closes:, gt done' : 'commit without Closes:, gt done';
    // The target is checked on the brief's agent (with the trailer); the other run is for comparison.
    row(`orchestration overhead per bead (${how}): mean of (${o.polecats} x wall - agent time, gt done included) / ${o.sessions}`, { p50Ms: o.perBeadWithDoneMs }, o.trailer ? POLECAT_TARGETS.overheadP50Ms : undefined);
    row(`  the same counting gt done as overhead too`, { p50Ms: o.perBeadMs });
    row(`  per bead: gt done (close, merge, observer pass), ${o.done.samplesMs.length}x`, o.done);
    row(`  per bead: hand-off (gt done returned → next agent's first action), ${o.handoff.samplesMs.length}x`, o.handoff);
    lines.push(`  wall ${(o.wallMs / 1000).toFixed(1)} s for ${o.beads} beads on ${o.polecats} polecats; agents' own work ${(o.agentMs / 1000).toFixed(1)} s in all (${(o.agentMs / o.sessions).toFixed(0)} ms per session: write, git add, git commit)`);
    if (o.unreported > 0) lines.push(`  ${o.unreported} of ${o.beads} beads were closed with no session of their own: a gt done closed a bead the observer had just fed to it`);
    for (const [why, n] of Object.entries(o.doneFailures)) lines.push(`  ${n} of ${o.sessions} gt done failed: ${why}`);
  }
  r.reaction.forEach((x, i) => row(`witness reaction: SIGKILL loop + session → new session's first action (${x.samplesMs.length}x, ${x.driver})`, x, i === 0 ? POLECAT_TARGETS.reactionP50Ms : undefined));
  lines.push(`load average (1 min) at start / end: ${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}${Math.max(...r.load) > 1.5 ? '  (other work was running: wall times are inflated)' : ''}`);
  return { text: lines.join('\n'), failures };
}
