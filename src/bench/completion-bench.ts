/**
 * Shell completion as a user meets it: each TAB on a bead id runs `gt completion list beads <prefix>`
 * (a whole process) in the fixture ledgers of 1,000 and 10,000 beads. Static completion (commands,
 * options) is in the script and starts no process, so it is not measured. `gt --version` is the floor:
 * starting node and loading gt, reading nothing.
 */
import { ledgerFixture, type Fixture } from './ledger-fixture.js';
import { statsOf, timeGt, type Stats } from './measure.js';

/**
 * What gt may add to starting node and itself (the floor) for a TAB to feel instant: the floor is
 * node's, and the same for every command, so the target is on what the listing costs beyond it.
 */
export const COMPLETION_OVER_FLOOR_MS = 100;

export interface CompletionBenchRow {
  size: number;
  floor: Stats;
  all: Stats;
  prefix: Stats;
  prefixText: string;
  allCount: number;
  prefixCount: number;
}

async function timed(args: string[], repo: string, runs: number): Promise<{ stats: Stats; lines: number }> {
  const warm = await timeGt(args, repo);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await timeGt(args, repo));
  return { stats: statsOf(samples), lines: warm.stdout.split('\n').filter((l) => l !== '').length };
}

export async function runCompletionBench(fixturesDir: string, sizes: number[], runs: number, log: (line: string) => void): Promise<CompletionBenchRow[]> {
  const rows: CompletionBenchRow[] = [];
  for (const size of sizes) {
    const fixture: Fixture = await ledgerFixture(fixturesDir, size, log);
    log(`completion: ${size.toLocaleString('en-US')} beads ...`);
    const repo = fixture.repo;
    // A prefix as someone types it: the ledger's prefix and the first two characters of a bead's own part.
    const sample = fixture.meta.showId;
    const prefixText = sample.slice(0, sample.indexOf('-') + 3);
    const floor = await timed(['--version'], repo, runs);
    const all = await timed(['completion', 'list', 'beads'], repo, runs);
    const prefix = await timed(['completion', 'list', 'beads', prefixText], repo, runs);
    rows.push({ size, floor: floor.stats, all: all.stats, prefix: prefix.stats, prefixText, allCount: all.lines, prefixCount: prefix.lines });
    log(`  all ${all.stats.medianMs.toFixed(0)} ms, '${prefixText}' ${prefix.stats.medianMs.toFixed(0)} ms, floor ${floor.stats.medianMs.toFixed(0)} ms`);
  }
  return rows;
}

export function formatCompletionBench(rows: CompletionBenchRow[]): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = ['== Shell completion (dynamic: gt completion list beads) ==', `${'measurement'.padEnd(68)}${'p50'.padStart(10)}${'max'.padStart(10)}  ${'target'.padEnd(22)}result`, '-'.repeat(124)];
  for (const r of rows) {
    const n = r.size.toLocaleString('en-US');
    const entries: [string, Stats, boolean][] = [
      [`${n} beads: gt --version (node + gt start, the floor)`, r.floor, false],
      [`${n} beads: every bead id (${r.allCount.toLocaleString('en-US')} lines, open first)`, r.all, true],
      [`${n} beads: ids starting '${r.prefixText}' (${r.prefixCount} lines)`, r.prefix, true],
    ];
    const limit = r.floor.medianMs + COMPLETION_OVER_FLOOR_MS;
    for (const [name, stats, targeted] of entries) {
      const pass = stats.medianMs <= limit;
      const target = targeted ? `<= floor + ${COMPLETION_OVER_FLOOR_MS} ms` : '';
      lines.push(`${name.padEnd(68)}${`${stats.medianMs.toFixed(0)} ms`.padStart(10)}${`${stats.maxMs.toFixed(0)} ms`.padStart(10)}  ${target.padEnd(22)}${targeted ? (pass ? 'pass' : 'FAIL') : ''}`);
      if (targeted && !pass) failures.push(`completion: ${name} ${stats.medianMs.toFixed(0)} ms (<= ${limit.toFixed(0)} ms: floor + ${COMPLETION_OVER_FLOOR_MS} ms)`);
    }
  }
  lines.push(`medians of ${rows[0]?.all.samplesMs.length ?? 0} whole-process runs after one warm-up; commands and options complete inside the shell, without gt`);
  return { text: lines.join('\n'), failures };
}
