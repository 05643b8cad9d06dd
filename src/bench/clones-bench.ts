/**
 * Many clones: `gt sync` between two clones of a bare remote that each made 100 one-bead ledger
 * commits (beside native git moving the same refs), a fresh clone and its first commands, and
 * `gt log <id>` over a ledger of 5,000 commits.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../kinds.js';
import { updateBead } from '../beads/bead-service.js';
import { decodeBead, encodeBead } from '../beads/bead-codec.js';
import { copyRepo, FastImport, git } from './git-tools.js';
import { ledgerFixture, type Fixture } from './ledger-fixture.js';
import { statsOf, timeGt, timeProcess, timeShell, type ProcessSample, type Stats } from './measure.js';
import { Rng } from './prng.js';

/** One-bead ledger commits each clone makes before the timed sync. */
export const SYNC_COMMITS = 100;
/** Ledger commits under the timed `gt log`, and the issue's target for it. */
export const LOG_COMMITS = 5000;
export const LOG_TARGET_MS = 200;
/** The ledger the log fixture grows from (its size matters little: gt log reads one bead's history). */
const LOG_BASE_SIZE = 1000;
const LOG_FIXTURE_VERSION = 1;

export interface SyncBenchRow {
  size: number;
  /** `gt sync` in a clone with SYNC_COMMITS of its own while the remote has SYNC_COMMITS from another. */
  sync: Stats;
  /** `git fetch` of the remote's ledger and `git push` of this clone's, in the same state. */
  native: Stats;
  /** `git clone` of the remote (file:// so that git packs and sends, as over a network). */
  clone: Stats;
  /** In that fresh clone: `gt init` (adopts the remote's ledger), then the first `gt ready`, then `gt list`. */
  init: Stats;
  ready: Stats;
  list: Stats;
}

export interface LogBenchResult {
  commits: number;
  /** Ledger commits that changed the bead whose log is timed. */
  beadCommits: number;
  /** The first `gt log` of the repository: it builds the history index. */
  cold: Stats;
  warm: Stats;
  /** `gt --version` in the same repository: starting node and gt, reading nothing. */
  floor: Stats;
}

export interface ClonesBenchResult {
  sync: SyncBenchRow[];
  log: LogBenchResult;
  /** 1-minute load average at the start and the end: other work on the machine skews wall times. */
  load: [number, number];
}

/** `count` one-bead commits as the overseer, each its own process's worth of work (open, write, close). */
async function oneBeadCommits(cwd: string, ids: readonly string[], tag: string): Promise<void> {
  for (const [n, id] of ids.entries()) {
    const ledger = openLedger({ cwd });
    try {
      await ledger.write((tx) => {
        const { bead, changed } = updateBead(tx, id, { appendNotes: `${tag}: note ${n}` });
        return { result: null, message: `update ${bead.id}: ${changed.join(', ')}` };
      });
    } finally {
      ledger.close();
    }
  }
}

/** Times `run` once to warm up and `runs` times after `prepare`; returns the stats of the timed runs. */
async function series(runs: number, prepare: () => void, run: () => Promise<ProcessSample>): Promise<Stats> {
  const samples: ProcessSample[] = [];
  for (let i = 0; i <= runs; i++) {
    prepare();
    const sample = await run();
    if (i > 0) samples.push(sample);
  }
  return statsOf(samples);
}

async function syncBench(fixture: Fixture, workDir: string, runs: number, log: (line: string) => void): Promise<SyncBenchRow> {
  const size = fixture.meta.size;
  const dir = join(workDir, `clones-${size}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const remote = join(dir, 'remote.git');
  git(['clone', '-q', '--bare', fixture.repo, remote], dir);
  git(['config', 'gc.auto', '0'], remote);
  const clone = (name: string): string => {
    const repo = join(dir, name);
    git(['clone', '-q', remote, repo], dir);
    git(['config', 'gc.auto', '0'], repo);
    return repo;
  };
  const [a, b] = [clone('a'), clone('b')];
  log(`clones, ${size.toLocaleString('en-US')} beads: ${SYNC_COMMITS} one-bead ledger commits in each of two clones (untimed) ...`);
  const rng = new Rng(0xc10e + size);
  const picked = rng.sample(fixture.meta.ids, SYNC_COMMITS * 2);
  for (const [repo, ids, tag] of [[a, picked.slice(0, SYNC_COMMITS), 'a'], [b, picked.slice(SYNC_COMMITS), 'b']] as const) {
    await timeGt(['init'], repo);
    await oneBeadCommits(repo, ids, `clone ${tag}`);
  }
  await timeGt(['sync'], a);
  // What a day of commits leaves after git's own automatic repacking: the copies below link packs.
  for (const repo of [remote, b]) git(['repack', '-q', '-d'], repo);

  // Every run starts from the same state: a copy of the remote and of clone b, b's origin the copy.
  const runRemote = join(dir, 'run-remote.git');
  const runClone = join(dir, 'run-b');
  const fresh = (): void => {
    copyRepo(remote, runRemote);
    copyRepo(b, runClone);
    git(['remote', 'set-url', 'origin', runRemote], runClone);
  };
  const sync = await series(runs, fresh, () => timeGt(['sync'], runClone));
  log(`  gt sync ${sync.medianMs.toFixed(0)} ms`);
  const native = await series(runs, fresh, () =>
    timeShell('git fetch -q origin +refs/heads/gt/ledger:refs/remotes/origin/gt/ledger && git push -q origin refs/heads/gt/ledger:refs/heads/bench/ledger', runClone),
  );
  log(`  native git fetch + push ${native.medianMs.toFixed(0)} ms`);

  const fresher = join(dir, 'c');
  const url = `file://${remote}`;
  const cloneStats = await series(runs, () => rmSync(fresher, { recursive: true, force: true }), () => timeProcess('git', ['clone', '-q', url, fresher], dir));
  // The gt part of a first contact, on fresh clones made untimed: gt init, then the first reads.
  const steps: Record<'init' | 'ready' | 'list', ProcessSample[]> = { init: [], ready: [], list: [] };
  for (let i = 0; i <= runs; i++) {
    rmSync(fresher, { recursive: true, force: true });
    git(['clone', '-q', url, fresher], dir);
    const samples = { init: await timeGt(['init'], fresher), ready: await timeGt(['ready', '--json'], fresher), list: await timeGt(['list', '--json'], fresher) };
    if (i > 0) for (const step of ['init', 'ready', 'list'] as const) steps[step].push(samples[step]);
  }
  const [init, ready, list] = [statsOf(steps.init), statsOf(steps.ready), statsOf(steps.list)];
  log(`  git clone ${cloneStats.medianMs.toFixed(0)} ms; then gt init ${init.medianMs.toFixed(0)} ms, gt ready ${ready.medianMs.toFixed(0)} ms, gt list ${list.medianMs.toFixed(0)} ms`);
  rmSync(dir, { recursive: true, force: true });
  return { size, sync, native, clone: cloneStats, init, ready, list };
}

/**
 * A ledger of LOG_COMMITS commits on top of the 1,000-bead fixture, one bead file changed per commit
 * (every 100th the timed bead), written with git fast-import. Cached like the ledger fixtures. Each
 * bead's file is found on the ledger by its name, wherever the layout puts it.
 */
async function logFixture(fixturesDir: string, base: Fixture, log: (line: string) => void): Promise<{ repo: string; id: string; beadCommits: number }> {
  const dir = join(fixturesDir, `ledger-log-${LOG_COMMITS}-v${LOG_FIXTURE_VERSION}`);
  const repo = join(dir, 'repo');
  const id = base.meta.showId;
  const every = 100;
  const beadCommits = Math.floor((LOG_COMMITS - 1) / every) + 1;
  if (existsSync(join(dir, 'done'))) return { repo, id, beadCommits: Number(readFileSync(join(dir, 'done'), 'utf8')) };
  log(`building a ledger of ${LOG_COMMITS.toLocaleString('en-US')} commits in ${dir} (once; cached) ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyRepo(base.repo, repo);
  const paths = new Map<string, string>();
  for (const path of git(['ls-tree', '-r', '--name-only', 'gt/ledger'], repo).split('\n')) {
    const match = /\/([^/]+)\.yaml$/.exec(path);
    if (match && path.startsWith('beads/')) paths.set(match[1]!, path);
  }
  const beads = new Map<string, ReturnType<typeof decodeBead>>();
  const beadOf = (bead: string): ReturnType<typeof decodeBead> => {
    let value = beads.get(bead);
    if (!value) beads.set(bead, (value = decodeBead(git(['show', `gt/ledger:${paths.get(bead)!}`], repo), paths.get(bead)!)));
    return value;
  };
  const rng = new Rng(0x10c);
  const others = base.meta.ids.filter((b) => b !== id && paths.has(b));
  const tip = git(['rev-parse', 'gt/ledger'], repo).trim();
  const start = Number(git(['log', '-1', '--format=%ct', 'gt/ledger'], repo).trim()) + 60;
  const fi = new FastImport(repo);
  for (let n = 0; n < LOG_COMMITS; n++) {
    const target = n % every === 0 ? id : rng.pick(others);
    const at = start + n * 30;
    const iso = new Date(at * 1000).toISOString();
    const before = beadOf(target);
    const bead = { ...before, notes: `Progress note ${n}.`, updated_at: iso, edited: { ...before.edited, notes: iso } };
    beads.set(target, bead);
    await fi.commit('refs/heads/gt/ledger', 'overseer <overseer@gt.local>', at, `update ${target}: notes\n`, n === 0 ? { from: tip } : {});
    await fi.file(paths.get(target)!, encodeBead(bead));
  }
  await fi.finish();
  git(['gc', '--quiet'], repo);
  writeFileSync(join(dir, 'done'), String(beadCommits));
  return { repo, id, beadCommits };
}

async function logBench(fixturesDir: string, workDir: string, runs: number, log: (line: string) => void): Promise<LogBenchResult> {
  const base = await ledgerFixture(fixturesDir, LOG_BASE_SIZE, log);
  const fixture = await logFixture(fixturesDir, base, log);
  const repo = join(workDir, 'log');
  const state = join(repo, '.git', 'gt');
  const cold = await series(runs, () => {
    copyRepo(fixture.repo, repo);
    rmSync(state, { recursive: true, force: true });
  }, () => timeGt(['log', fixture.id], repo));
  const warm = await series(runs, () => undefined, () => timeGt(['log', fixture.id], repo));
  const floor = await series(runs, () => undefined, () => timeGt(['--version'], repo));
  log(`  gt log over ${LOG_COMMITS.toLocaleString('en-US')} commits: cold ${cold.medianMs.toFixed(0)} ms, warm ${warm.medianMs.toFixed(0)} ms (gt --version ${floor.medianMs.toFixed(0)} ms)`);
  rmSync(repo, { recursive: true, force: true });
  return { commits: LOG_COMMITS, beadCommits: fixture.beadCommits, cold, warm, floor };
}

export async function runClonesBench(fixturesDir: string, workDir: string, sizes: number[], runs: number, log: (line: string) => void): Promise<ClonesBenchResult> {
  const loadBefore = loadavg()[0]!;
  const sync: SyncBenchRow[] = [];
  for (const size of sizes) sync.push(await syncBench(await ledgerFixture(fixturesDir, size, log), workDir, runs, log));
  log(`gt log: ${LOG_COMMITS.toLocaleString('en-US')} ledger commits ...`);
  const logResult = await logBench(fixturesDir, workDir, runs, log);
  return { sync, log: logResult, load: [loadBefore, loadavg()[0]!] };
}

export function formatClonesBench(result: ClonesBenchResult): { text: string; failures: string[] } {
  const failures: string[] = [];
  const ms = (s: Stats): string => `${s.medianMs.toFixed(0)} ms`.padStart(10);
  const lines = ['== Many clones (gt sync, a fresh clone, gt log) ==', `${'measurement'.padEnd(78)}${'p50'.padStart(10)}${'max'.padStart(10)}  ${'target'.padEnd(12)}result`, '-'.repeat(124)];
  const row = (name: string, stats: Stats, target = '', pass?: boolean): void => {
    lines.push(`${name.padEnd(78)}${ms(stats)}${`${stats.maxMs.toFixed(0)} ms`.padStart(10)}  ${target.padEnd(12)}${pass === undefined ? '' : pass ? 'pass' : 'FAIL'}`);
  };
  for (const r of result.sync) {
    const n = r.size.toLocaleString('en-US');
    row(`${n} beads: gt sync, ${SYNC_COMMITS} new ledger commits on each side`, r.sync);
    row(`${n} beads: native git fetch + git push of the same refs (ratio ${(r.sync.medianMs / r.native.medianMs).toFixed(1)}x)`, r.native);
    row(`${n} beads: git clone (file://, packed and sent)`, r.clone);
    row(`${n} beads: then gt init (adopts the remote's ledger)`, r.init);
    row(`${n} beads: then the first gt ready --json`, r.ready);
    row(`${n} beads: then gt list --json`, r.list);
  }
  const l = result.log;
  const commits = l.commits.toLocaleString('en-US');
  row(`gt log <id>, ${commits} ledger commits (${l.beadCommits} the bead's): first run, builds the index`, l.cold);
  const pass = l.warm.medianMs <= LOG_TARGET_MS;
  row(`gt log <id>, ${commits} ledger commits: index built`, l.warm, `<= ${LOG_TARGET_MS} ms`, pass);
  row('gt --version in the same repository (node + gt start, the floor)', l.floor);
  if (!pass) failures.push(`gt log over ${l.commits} commits ${l.warm.medianMs.toFixed(0)} ms (<= ${LOG_TARGET_MS} ms)`);
  lines.push(`medians of ${l.warm.samplesMs.length} whole-process runs after one warm-up; every sync and clone run starts from a fresh copy of the same state; load average ${result.load.map((v) => v.toFixed(1)).join(' → ')}`);
  return { text: lines.join('\n'), failures };
}
