/**
 * The timed commands, run against a private copy of a fixture repository: reads (warm), the native
 * git floor, writes, the cold build (every cache dropped), and `gt merge` of 10 agent branches.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { prepareAgentBranches } from './agents.js';
import { copyRepo, git, initRepo } from './git-tools.js';
import type { Fixture } from './ledger-fixture.js';
import { statsOf, timeGt, timeShell, type ProcessSample, type Stats } from './measure.js';

export const MERGE_AGENTS = 10;
export const MERGE_EDITS = 50;

export interface Measurement extends Stats {
  key: string;
  label: string;
}

export interface ScenarioResult {
  rows: Measurement[];
  native: Stats;
  merge: MergeSetup;
  /** 1-minute load average at the start and the end: other work on the machine skews wall times. */
  load: [number, number];
}

/** A repository whose agent branches hold the work `gt merge` is timed on. */
export interface MergeSetup {
  repo: string;
  /** Time the in-process library writes took; undefined when the work was carried over from another repository. */
  prepMs: number | undefined;
  writes: number;
}

export interface ScenarioOptions {
  runs: number;
  merge: MergeSetup;
  workDir: string;
  log: (line: string) => void;
}

/** Forgets everything gt has cached about this repository: the index, the views' heads, shards and derived texts. */
export function dropIndex(repo: string): void {
  const state = join(repo, '.git/gt');
  for (const entry of readdirSync(state)) {
    if (/^(index\.json|index\.log|views|(heads|shards|derived)-v\d+)$/.test(entry)) rmSync(join(state, entry), { recursive: true, force: true });
  }
}

export async function runScenarios(fixture: Fixture, name: string, opts: ScenarioOptions): Promise<ScenarioResult> {
  const { runs, log } = opts;
  const repo = join(opts.workDir, name);
  copyRepo(fixture.repo, repo);
  const meta = fixture.meta;
  if (meta.updateIds.length < runs + 1 || meta.closeIds.length < runs + 1) {
    throw new Error(`BENCH_RUNS=${runs} needs ${runs + 1} update/close targets, the fixture has ${meta.updateIds.length}`);
  }
  const rows: Measurement[] = [];
  const loadBefore = loadavg()[0]!;

  /** One warm-up run (index 0, not counted), then `runs` timed runs; `before` runs untimed. */
  const measure = async (
    key: string,
    label: string,
    run: (i: number) => Promise<ProcessSample>,
    before?: (i: number) => Promise<void> | void,
  ): Promise<Stats> => {
    const samples: ProcessSample[] = [];
    for (let i = 0; i <= runs; i++) {
      await before?.(i);
      const sample = await run(i);
      if (i > 0) samples.push(sample);
    }
    const stats = statsOf(samples);
    rows.push({ key, label, ...stats });
    log(`  ${label.padEnd(36)} ${stats.medianMs.toFixed(1).padStart(8)} ms`);
    return stats;
  };
  const gt = (...args: string[]) => (): Promise<ProcessSample> => timeGt(args, repo);

  // Brings the index and the view cache up to date with this copy (a cold build, untimed).
  await timeGt(['list', '--json'], repo);

  await measure('show', 'gt show <id>', gt('show', meta.showId));
  await measure('list', 'gt list --json (warm)', gt('list', '--json'));
  await measure('ready', 'gt ready --json (warm)', gt('ready', '--json'));
  await measure('blocked', 'gt blocked --json (warm)', gt('blocked', '--json'));
  const native = await measure('native', 'native: ls-tree -r | cat-file --batch', () =>
    timeShell('git ls-tree -r --object-only gt/ledger | git cat-file --batch > /dev/null', repo),
  );
  rows.pop(); // reported separately as the floor

  // The same reads right after another command moved the ledger: the index is warm, but the
  // finished view of this new tip is not cached yet (the common case between two agents' writes).
  let bump = 0;
  const moveTip = async (): Promise<void> => {
    await timeGt(['update', meta.bumpId, '--append-notes', `bench bump ${bump++}`], repo);
  };
  await measure('list-new-tip', 'gt list --json (warm, new tip)', gt('list', '--json'), moveTip);
  await measure('ready-new-tip', 'gt ready --json (warm, new tip)', gt('ready', '--json'), moveTip);

  let created = 0;
  await measure('create', 'gt create', () => timeGt(['create', `Bench bead ${created++}`, '-p', '2', '-l', 'bench', '-d', 'Created by the benchmark.'], repo));
  await measure('update', 'gt update <id> -p 1', (i) => timeGt(['update', meta.updateIds[i]!, '-p', '1'], repo));
  await measure('close', 'gt close <id>', (i) => timeGt(['close', meta.closeIds[i]!], repo));
  let commented = 0;
  await measure('comment', 'gt comment add <id>', () => timeGt(['comment', 'add', meta.bumpId, `bench comment ${commented++}`], repo));

  await measure('cold', 'cold caches: gt list --json', gt('list', '--json'), () => dropIndex(repo));

  // Every run merges a fresh copy of the same prepared agent work: each run does the same merge.
  const mergeRepo = `${repo}-merge`;
  await measure(
    'merge',
    `gt merge (${MERGE_AGENTS} agents x ${MERGE_EDITS} edits)`,
    () => timeGt(['merge'], mergeRepo),
    () => copyRepo(opts.merge.repo, mergeRepo),
  );

  // Bulk import, the command that writes the most at once, measured for its memory above all: one run
  // each (at 50,000 beads an import takes seconds). The ledger's own export goes into a fresh ledger,
  // as JSONL and as a YAML list, then back into this one with every title changed.
  const exports = `${repo}-exports`;
  mkdirSync(exports, { recursive: true });
  const jsonl = join(exports, 'beads.jsonl');
  const yaml = join(exports, 'beads.yaml');
  const changed = join(exports, 'changed.jsonl');
  await timeGt(['export', '-o', jsonl], repo);
  await timeGt(['export', '-o', yaml], repo);
  writeFileSync(changed, readFileSync(jsonl, 'utf8').replace(/"title":"/g, '"title":"changed '));
  const fresh = `${repo}-fresh`;
  const once = async (key: string, label: string, run: () => Promise<ProcessSample>, before?: () => Promise<void>): Promise<void> => {
    await before?.();
    const stats = statsOf([await run()]);
    rows.push({ key, label, ...stats });
    log(`  ${label.padEnd(36)} ${stats.medianMs.toFixed(1).padStart(8)} ms ${((stats.maxRssKb ?? 0) / 1024).toFixed(0).padStart(5)} MB`);
  };
  const freshLedger = async (): Promise<void> => {
    initRepo(fresh);
    git(['commit', '-q', '--allow-empty', '-m', 'start'], fresh);
    await timeGt(['init'], fresh);
  };
  await once('import-jsonl', 'gt import, fresh ledger (JSONL)', () => timeGt(['import', jsonl], fresh), freshLedger);
  await once('import-yaml', 'gt import, fresh ledger (YAML list)', () => timeGt(['import', yaml], fresh), freshLedger);
  await once('import-changed', 'gt import, every bead changed', () => timeGt(['import', changed], repo));

  for (const dir of [repo, mergeRepo, exports, fresh]) rmSync(dir, { recursive: true, force: true });
  return { rows, native, merge: opts.merge, load: [loadBefore, loadavg()[0]!] };
}

/**
 * The agents' edits for the merge timing: on a copy of the pristine fixture (index warmed like every
 * scenario's), 10 agents make 50 edits each through the library, in-process. Done once per bench run.
 */
export async function prepareMergeState(fixture: Fixture, workDir: string, name: string): Promise<MergeSetup> {
  const repo = join(workDir, `${name}-agents`);
  copyRepo(fixture.repo, repo);
  await timeGt(['list', '--json'], repo);
  const prep = await prepareAgentBranches(repo, fixture.meta.ids, MERGE_AGENTS, MERGE_EDITS, 0xa9e);
  return { repo, prepMs: prep.ms, writes: prep.writes };
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyTree(join(from, entry.name), join(to, entry.name));
    else copyFileSync(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * The same agent work in another repository holding the same ledger (the big one): the agents'
 * loose objects, their refs and gt's index (keyed by object ids, so valid in both) are carried over.
 */
export function transplantMergeState(from: MergeSetup, into: Fixture, workDir: string, name: string): MergeSetup {
  const repo = join(workDir, `${name}-agents`);
  copyRepo(into.repo, repo);
  const src = join(from.repo, '.git');
  const dst = join(repo, '.git');
  for (const entry of readdirSync(join(src, 'objects'), { withFileTypes: true })) {
    if (entry.isDirectory() && /^[0-9a-f]{2}$/.test(entry.name)) copyTree(join(src, 'objects', entry.name), join(dst, 'objects', entry.name));
  }
  copyTree(join(src, 'refs/heads/gt/agents'), join(dst, 'refs/heads/gt/agents'));
  rmSync(join(dst, 'gt'), { recursive: true, force: true });
  copyTree(join(src, 'gt'), join(dst, 'gt'));
  rmSync(join(dst, 'gt/write.lock'), { recursive: true, force: true });
  // Both repositories must now agree on every agent tip.
  const tips = (r: string): string => git(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/gt/'], r);
  if (tips(from.repo) !== tips(repo)) throw new Error('carrying the agent work over to the big repository failed');
  git(['cat-file', '-e', `${git(['rev-parse', 'refs/heads/gt/agents/a0'], repo).trim()}^{tree}`], repo);
  return { repo, prepMs: undefined, writes: from.writes };
}
