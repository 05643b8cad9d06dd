/**
 * `npm run bench`: whole-process timings of gt on fixture ledgers of 1,000, 10,000 and 50,000 beads, beside
 * the native git floor, and again inside a large packed repository. Prints a table per ledger, one of growth across them, and
 * writes everything to `.bench/results.json`.
 *
 *   BENCH_SIZES=1000,10000   ledger sizes (default: 1,000, 10,000 and 50,000 for the per-command tables and
 *                            their growth table; 1,000 and 10,000 for completion, clones and objects)
 *   BENCH_RUNS=5             timed runs per command, after one warm-up
 *   BENCH_BIG=0              skip the large repository
 *   BENCH_OBSERVER=0         skip convoys and the observer
 *   BENCH_MOLECULES=0        skip molecules (pour and step done on a 1,000-step formula)
 *   BENCH_POLECATS=0         skip polecats (spawn, orchestration overhead, the witness's reaction)
 *   BENCH_MCP=0              skip gt mcp (tool calls through the SDK client, 10,000 beads)
 *   BENCH_COMPLETION=0       skip shell completion (gt completion list beads at each of BENCH_SIZES)
 *   BENCH_REFINERY=0         skip the refinery (gt done → merged; merges per minute, batched and one by one)
 *   BENCH_CLONES=0           skip many clones (gt sync of 100 commits a side and a fresh clone at each of
 *                            BENCH_SIZES; gt log over 5,000 ledger commits)
 *   BENCH_OBJECTS=0          skip the bytes of git objects per one-bead commit (at each of BENCH_SIZES)
 *   BENCH_SIZES=none         only convoys, the observer, molecules, polecats, gt mcp, the refinery and gt log
 *   BENCH_ONLY=polecats      only the named sections (ledgers, observer, molecules, polecats, mcp, completion, refinery, clones, objects; comma-separated)
 *   BENCH_POLECAT_SPAWNS=20  spawns per start timing; BENCH_POLECAT_BEADS=50 and BENCH_POLECAT_COUNT=4 for
 *                            the overhead; BENCH_POLECAT_KILLS=10; BENCH_WITNESS_INTERVAL=1,5
 *                            (seconds, one reaction series each; the target applies to the first)
 *   BENCH_REFINERY_REQUESTS=10 requests timed one at a time; BENCH_REFINERY_QUEUED=20 for merges per minute;
 *                            BENCH_REFINERY_INTERVAL=2,0.5 (gt refinery run --interval, one latency series each)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { bigRepoFixture, packStats, type BigRepoStats } from './big-repo.js';
import { ledgerFixture } from './ledger-fixture.js';
import { PACKAGE_ROOT, rssMethod } from './measure.js';
import { buildSection, formatGrowth, formatSection, TARGET_SIZE, type SectionReport } from './report.js';
import { formatObserverBench, runObserverBench } from './observer-bench.js';
import { formatMoleculeBench, runMoleculeBench } from './molecule-bench.js';
import { formatPolecatBench, runPolecatBench, type PolecatBenchOptions } from './polecat-bench.js';
import { formatMcpBench, runMcpBench } from './mcp-bench.js';
import { formatCompletionBench, runCompletionBench } from './completion-bench.js';
import { formatRefineryBench, runRefineryBench, type RefineryBenchOptions } from './refinery-bench.js';
import { formatClonesBench, runClonesBench } from './clones-bench.js';
import { formatObjectBench, runObjectBench } from './object-bench.js';
import { MERGE_AGENTS, MERGE_EDITS, prepareMergeState, runScenarios, transplantMergeState } from './scenarios.js';

/** The ledger sizes of the per-command tables and their growth table (issue 13 asks for 50,000). */
const LEDGER_SIZES = [1000, 10_000, 50_000];
/** The other sections that run per size (completion, clones, objects) stop at 10,000: their fixtures are costly. */
const SECTION_SIZES = [1000, 10_000];

function parseSizes(text: string | undefined, fallback = SECTION_SIZES): number[] {
  if (!text || text.trim() === '') return fallback;
  if (text.trim() === 'none') return [];
  const sizes = text.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`BENCH_SIZES must be a list of integers >= 100, got '${text}'`);
  return sizes;
}

const SECTIONS = ['ledgers', 'observer', 'molecules', 'polecats', 'mcp', 'completion', 'refinery', 'clones', 'objects'] as const;
type Section = (typeof SECTIONS)[number];

/** BENCH_ONLY narrows to the named sections; else each section's own switch (BENCH_<SECTION>=0) applies. */
function wanted(section: Section): boolean {
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only.trim() !== '') {
    const names = only.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
    if (unknown.length > 0) throw new Error(`BENCH_ONLY takes ${SECTIONS.join(', ')} (comma-separated), got '${only}'`);
    return names.includes(section);
  }
  return section === 'ledgers' || process.env[`BENCH_${section.toUpperCase()}`] !== '0';
}

function parseCount(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (!text || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

function polecatOptions(): PolecatBenchOptions {
  const interval = process.env.BENCH_WITNESS_INTERVAL;
  const witnessIntervalsS = interval === undefined || interval.trim() === '' ? [1, 5] : interval.split(',').map((v) => Number(v.trim()));
  if (witnessIntervalsS.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`BENCH_WITNESS_INTERVAL must be seconds above 0 (comma-separated), got '${interval}'`);
  return {
    spawns: parseCount('BENCH_POLECAT_SPAWNS', 20, 2, 200),
    beads: parseCount('BENCH_POLECAT_BEADS', 50, 4, 1000),
    polecats: parseCount('BENCH_POLECAT_COUNT', 4, 1, 10),
    kills: parseCount('BENCH_POLECAT_KILLS', 10, 2, 100),
    witnessIntervalsS,
  };
}

function refineryOptions(): RefineryBenchOptions {
  const interval = process.env.BENCH_REFINERY_INTERVAL;
  const intervalsS = interval === undefined || interval.trim() === '' ? [2, 0.5] : interval.split(',').map((v) => Number(v.trim()));
  if (intervalsS.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`BENCH_REFINERY_INTERVAL must be seconds above 0 (comma-separated), got '${interval}'`);
  return { latencyRequests: parseCount('BENCH_REFINERY_REQUESTS', 10, 2, 200), queued: parseCount('BENCH_REFINERY_QUEUED', 20, 2, 200), intervalsS };
}

function parseRuns(text: string | undefined): number {
  if (!text || text.trim() === '') return 5;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 40) throw new Error(`BENCH_RUNS must be an integer from 1 to 40, got '${text}'`);
  return n;
}

/** Work copies left behind by bench runs that were killed (their process is gone). */
function removeStaleWorkDirs(benchDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(benchDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^work-(\d+)$/.exec(name)?.[1];
    if (!pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch {
      rmSync(join(benchDir, name), { recursive: true, force: true });
    }
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const sizes = wanted('ledgers') ? parseSizes(process.env.BENCH_SIZES, LEDGER_SIZES) : [];
  const runs = parseRuns(process.env.BENCH_RUNS);
  const wantBig = process.env.BENCH_BIG !== '0';
  const benchDir = join(PACKAGE_ROOT, '.bench');
  const fixturesDir = join(benchDir, 'fixtures');
  // Per process, so that two bench runs at once (never a good idea for timings) cannot clobber each other.
  const workDir = join(benchDir, `work-${process.pid}`);
  removeStaleWorkDirs(benchDir);
  mkdirSync(fixturesDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  log(`gt bench: sizes ${sizes.join(', ')}, ${runs} runs after one warm-up, max RSS via ${rssMethod()}`);

  const sections: SectionReport[] = [];
  let bigStats: BigRepoStats | undefined;
  let bigPack: ReturnType<typeof packStats> | undefined;
  for (const size of sizes) {
    const fixture = await ledgerFixture(fixturesDir, size, log);
    log(`${size.toLocaleString('en-US')} beads: ${MERGE_AGENTS} agents make ${MERGE_EDITS} edits each for the merge timing (untimed) ...`);
    const merge = await prepareMergeState(fixture, workDir, `small-${size}`);
    log(`  ${(merge.prepMs! / 1000).toFixed(1)} s`);
    log(`${size.toLocaleString('en-US')} beads, small repository:`);
    const result = await runScenarios(fixture, `small-${size}`, { runs, workDir, log, merge });
    const label = `${size.toLocaleString('en-US')} beads, repository holding only the ledger${size === TARGET_SIZE ? '' : ' (informational)'}`;
    const section = buildSection(label, size, 'small', result);
    sections.push(section);

    if (size === TARGET_SIZE && wantBig) {
      const big = await bigRepoFixture(fixturesDir, fixture, log);
      bigStats = big.stats;
      bigPack = packStats(big.fixture.repo);
      log(`${size.toLocaleString('en-US')} beads, large packed repository:`);
      const bigMerge = transplantMergeState(merge, big.fixture, workDir, `big-${size}`);
      const bigResult = await runScenarios(big.fixture, `big-${size}`, { runs, workDir, log, merge: bigMerge });
      rmSync(bigMerge.repo, { recursive: true, force: true });
      const bigSection = buildSection(
        `${size.toLocaleString('en-US')} beads inside a large packed repository (${bigStats.objects.toLocaleString('en-US')} objects, ${(bigStats.packBytes / 1e6).toFixed(0)} MB pack, ${bigStats.commits.toLocaleString('en-US')} commits)`,
        size,
        'big',
        bigResult,
        section,
      );
      sections.push(bigSection);
    }
    rmSync(merge.repo, { recursive: true, force: true });
  }
  const observer = wanted('observer') ? await runObserverBench(workDir, runs, log) : undefined;
  const observerReport = observer ? formatObserverBench(observer) : undefined;
  const molecules = wanted('molecules') ? await runMoleculeBench(workDir, runs, log) : undefined;
  const moleculeReport = molecules ? formatMoleculeBench(molecules) : undefined;
  const polecats = wanted('polecats') ? await runPolecatBench(workDir, polecatOptions(), log) : undefined;
  const polecatReport = polecats ? formatPolecatBench(polecats) : undefined;
  const mcp = wanted('mcp') ? await runMcpBench(fixturesDir, workDir, log) : undefined;
  const mcpReport = mcp ? formatMcpBench(mcp) : undefined;
  // At the ledger sizes even when only completion is asked for (the fixtures are shared and kept).
  const completion = wanted('completion') ? await runCompletionBench(fixturesDir, parseSizes(process.env.BENCH_SIZES), runs, log) : undefined;
  const completionReport = completion && completion.length > 0 ? formatCompletionBench(completion) : undefined;
  const refinery = wanted('refinery') ? await runRefineryBench(workDir, refineryOptions(), log) : undefined;
  const clones = wanted('clones') ? await runClonesBench(fixturesDir, workDir, parseSizes(process.env.BENCH_SIZES), runs, log) : undefined;
  const clonesReport = clones ? formatClonesBench(clones) : undefined;
  const objects = wanted('objects') ? await runObjectBench(fixturesDir, workDir, parseSizes(process.env.BENCH_SIZES), log) : undefined;
  const objectReport = objects && objects.length > 0 ? formatObjectBench(objects) : undefined;
  rmSync(workDir, { recursive: true, force: true });

  const elapsedS = (performance.now() - started) / 1000;
  const out: string[] = [];
  for (const s of sections) out.push(formatSection(s), '');
  const growth = formatGrowth(sections);
  if (growth) out.push(growth.text, '');
  if (observerReport) out.push(observerReport.text, '');
  if (moleculeReport) out.push(moleculeReport.text, '');
  if (polecatReport) out.push(polecatReport.text, '');
  if (mcpReport) out.push(mcpReport.text, '');
  if (completionReport) out.push(completionReport.text, '');
  if (refinery) out.push(formatRefineryBench(refinery), '');
  if (clonesReport) out.push(clonesReport.text, '');
  if (objectReport) out.push(objectReport.text, '');
  const failures = sections.flatMap((s) => [
    ...s.rows.filter((r) => r.pass === false).map((r) => `${s.repo === 'big' ? 'big repo: ' : ''}${r.command} ${r.medianMs.toFixed(0)} ms (${r.target})`),
    ...s.rows.filter((r) => r.ratioPass === false).map((r) => `big repo: ${r.command} is ${r.ratioToSmall!.toFixed(2)}x the small repository`),
    ...(s.peakRssPass === false ? [`${s.repo === 'big' ? 'big repo: ' : ''}peak RSS ${s.peakRssMb!.toFixed(0)} MB`] : []),
  ]);
  if (growth) failures.push(...growth.failures);
  if (observerReport) failures.push(...observerReport.failures);
  if (moleculeReport) failures.push(...moleculeReport.failures);
  if (polecatReport) failures.push(...polecatReport.failures);
  if (mcpReport) failures.push(...mcpReport.failures);
  if (completionReport) failures.push(...completionReport.failures);
  if (clonesReport) failures.push(...clonesReport.failures);
  if (objectReport) failures.push(...objectReport.failures);
  const targeted = sections.some((s) => !s.informational) || [observerReport, moleculeReport, polecatReport, mcpReport, completionReport, clonesReport, objectReport].some((r) => r !== undefined);
  out.push(!targeted ? 'no targets checked (they apply at 10,000 beads)' : failures.length === 0 ? 'all targets met' : `targets missed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  out.push(`bench took ${elapsedS.toFixed(0)} s (${cpus().length} cores, node ${process.version})`);
  process.stdout.write(`${out.join('\n')}\n`);

  const results = {
    date: new Date().toISOString(),
    elapsedSeconds: elapsedS,
    runs,
    sizes,
    merge: { agents: MERGE_AGENTS, editsPerAgent: MERGE_EDITS },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryBytes: totalmem(),
      node: process.version,
      git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim(),
      rssMethod: rssMethod(),
    },
    bigRepo: bigStats ? { ...bigStats, current: bigPack } : null,
    sections,
    observer: observer ?? null,
    molecules: molecules ?? null,
    polecats: polecats ?? null,
    mcp: mcp ?? null,
    completion: completion ?? null,
    refinery: refinery ?? null,
    clones: clones ?? null,
    objects: objects ?? null,
    failures,
  };
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
