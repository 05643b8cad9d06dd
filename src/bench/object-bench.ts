/**
 * Bytes of git objects one one-bead commit adds (issue 11 §5): the compressed size of every loose
 * object a `gt update <id> -p …` or `gt close <id>` writes, at each ledger size. With the sharded
 * layout only the root, the kind's folder (256 shards) and one shard tree (~size/256 entries) are
 * rewritten, so the figure barely grows with the ledger; the target is ≤ 20 KB at 10,000 beads.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ledgerFixture } from './ledger-fixture.js';
import { copyRepo } from './git-tools.js';
import { CHILD_ENV, GT_MAIN, median } from './measure.js';

export const OBJECT_TARGET_BYTES = 20 * 1024;
export const OBJECT_TARGET_SIZE = 10_000;
/** One-bead commits measured per size (half updates, half closes). */
const COMMITS = 10;

export interface ObjectBenchRow {
  size: number;
  /** Bytes added by each measured commit, in order. */
  bytes: number[];
  /** Objects added by each measured commit. */
  objects: number[];
  medianBytes: number;
}

/** Every loose object of a repository, by path, with its size on disk (compressed). */
function looseObjects(repo: string): Map<string, number> {
  const objects = join(repo, '.git', 'objects');
  const out = new Map<string, number>();
  for (const dir of readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const name of readdirSync(join(objects, dir))) {
      if (/^[0-9a-f]{38}$/.test(name)) out.set(`${dir}${name}`, statSync(join(objects, dir, name)).size);
    }
  }
  return out;
}

function gt(args: string[], cwd: string): void {
  const result = spawnSync(process.execPath, [GT_MAIN, ...args], { cwd, env: CHILD_ENV, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`gt ${args.join(' ')} failed in ${cwd}:\n${result.stderr}`);
}

export async function runObjectBench(fixturesDir: string, workDir: string, sizes: readonly number[], log: (line: string) => void): Promise<ObjectBenchRow[]> {
  const rows: ObjectBenchRow[] = [];
  for (const size of sizes) {
    const fixture = await ledgerFixture(fixturesDir, size, log);
    const repo = join(workDir, `objects-${size}`);
    copyRepo(fixture.repo, repo);
    log(`${size.toLocaleString('en-US')} beads: bytes of git objects per one-bead commit ...`);
    // One untimed write first: a ledger of an older layout moves to the current one with it.
    gt(['update', fixture.meta.bumpId, '-p', '3'], repo);
    const bytes: number[] = [];
    const objects: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const before = looseObjects(repo);
      const args = i % 2 === 0 ? ['update', fixture.meta.updateIds[i]!, '-p', '1'] : ['close', fixture.meta.closeIds[i]!, '-r', 'bench'];
      gt(args, repo);
      const added = [...looseObjects(repo)].filter(([oid]) => !before.has(oid));
      bytes.push(added.reduce((sum, [, b]) => sum + b, 0));
      objects.push(added.length);
    }
    rmSync(repo, { recursive: true, force: true });
    rows.push({ size, bytes, objects, medianBytes: median(bytes) });
  }
  return rows;
}

export function formatObjectBench(rows: readonly ObjectBenchRow[]): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = ['== Git objects added by a one-bead commit (gt update -p / gt close) ==', `${'ledger'.padEnd(30)}${'p50'.padStart(10)}${'max'.padStart(10)}${'objects'.padStart(9)}  ${'target'.padEnd(12)}result`, '-'.repeat(80)];
  for (const r of rows) {
    const targeted = r.size === OBJECT_TARGET_SIZE;
    const pass = r.medianBytes <= OBJECT_TARGET_BYTES;
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    lines.push(
      `${`${r.size.toLocaleString('en-US')} beads`.padEnd(30)}${kb(r.medianBytes).padStart(10)}${kb(Math.max(...r.bytes)).padStart(10)}${String(median(r.objects)).padStart(9)}  ${(targeted ? '<= 20 KB' : '').padEnd(12)}${targeted ? (pass ? 'pass' : 'FAIL') : ''}`,
    );
    if (targeted && !pass) failures.push(`objects: a one-bead commit at ${r.size.toLocaleString('en-US')} beads adds ${kb(r.medianBytes)} (<= 20 KB)`);
  }
  lines.push(`compressed loose objects, medians of ${rows[0]?.bytes.length ?? 0} commits per size (half updates, half closes)`);
  return { text: lines.join('\n'), failures };
}
