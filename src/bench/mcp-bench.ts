/**
 * `gt mcp`, measured as the Mayor meets it: one server started on a 10,000-bead ledger, driven by the
 * MCP SDK's own client over stdio; each sample is one tool call, request to response, as the client
 * sees it (JSON-RPC over the pipes included). Timed: gt_sling_batch of 3 tasks (one commit each time),
 * gt_list_convoys, and gt_convoy_status of a 200-bead convoy. Beside them, informational: the first
 * gt_list_convoys after another process moved the ledger (the server re-reads the view once).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { copyRepo } from './git-tools.js';
import { ledgerFixture } from './ledger-fixture.js';
import { CHILD_ENV, GT_MAIN } from './measure.js';

export const MCP_SIZE = 10_000;
export const MCP_CALLS = 40;
export const MCP_TARGET_P50_MS = 20;
const CONVOY_BEADS = 200;

export interface CallStats {
  calls: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface McpBenchResult {
  size: number;
  sling: CallStats;
  list: CallStats;
  status: CallStats;
  /** gt_list_convoys right after a CLI write moved the ledger. */
  listAfterMove: CallStats;
  startMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function statsOfCalls(samples: readonly number[]): CallStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { calls: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), maxMs: sorted[sorted.length - 1]! };
}

function gt(args: string[], cwd: string): string {
  const out = spawnSync(process.execPath, [GT_MAIN, ...args], { cwd, env: CHILD_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} failed in ${cwd}:\n${out.stderr}`);
  return out.stdout;
}

async function timed(client: Client, name: string, args: Record<string, unknown>): Promise<{ ms: number; result: Record<string, unknown> }> {
  const started = performance.now();
  const result = await client.callTool({ name, arguments: args });
  const ms = performance.now() - started;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return { ms, result: result.structuredContent as Record<string, unknown> };
}

export async function runMcpBench(fixturesDir: string, workDir: string, log: (line: string) => void): Promise<McpBenchResult> {
  const fixture = await ledgerFixture(fixturesDir, MCP_SIZE, log);
  log(`gt mcp on ${MCP_SIZE.toLocaleString('en-US')} beads: ${MCP_CALLS} calls per tool through the SDK client ...`);
  const repo = join(workDir, 'mcp');
  copyRepo(fixture.repo, repo);
  const tracked = fixture.meta.ids.slice(0, CONVOY_BEADS);
  const convoy = (JSON.parse(gt(['convoy', 'create', 'Release train', ...tracked, '--json'], repo)) as { id: string }).id;

  const started = performance.now();
  const client = new Client({ name: 'gt-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [GT_MAIN, 'mcp'], cwd: repo, env: CHILD_ENV as Record<string, string>, stderr: 'inherit' }));
  const startMs = performance.now() - started;
  try {
    const sling: number[] = [];
    const list: number[] = [];
    const status: number[] = [];
    const listAfterMove: number[] = [];
    const batch = (i: number) => ({ convoy_title: `Batch ${i}`, tasks: [{ title: `Task ${i}.1`, body: 'Do the first part.' }, { title: `Task ${i}.2` }, { title: `Task ${i}.3` }] });
    // Warm-up: the first call of each tool reads the view and compiles its code paths.
    await timed(client, 'gt_sling_batch', batch(0));
    await timed(client, 'gt_list_convoys', {});
    await timed(client, 'gt_convoy_status', { convoy_id: convoy });
    for (let i = 1; i <= MCP_CALLS; i++) {
      sling.push((await timed(client, 'gt_sling_batch', batch(i))).ms);
      list.push((await timed(client, 'gt_list_convoys', {})).ms);
      status.push((await timed(client, 'gt_convoy_status', { convoy_id: convoy })).ms);
    }
    for (let i = 0; i < 5; i++) {
      gt(['update', fixture.meta.updateIds[i]!, '-p', '1'], repo);
      listAfterMove.push((await timed(client, 'gt_list_convoys', {})).ms);
    }
    const result = { size: MCP_SIZE, sling: statsOfCalls(sling), list: statsOfCalls(list), status: statsOfCalls(status), listAfterMove: statsOfCalls(listAfterMove), startMs };
    log(`  p50: sling ${result.sling.p50Ms.toFixed(1)} ms, list ${result.list.p50Ms.toFixed(1)} ms, status ${result.status.p50Ms.toFixed(1)} ms`);
    return result;
  } finally {
    await client.close();
  }
}

/** The table, and the targets it missed. */
export function formatMcpBench(r: McpBenchResult): { text: string; failures: string[] } {
  const failures: string[] = [];
  const lines = [
    `== gt mcp (${r.size.toLocaleString('en-US')} beads, one server, SDK client over stdio) ==`,
    `${'measurement'.padEnd(68)}${'p50'.padStart(14)}${'p95'.padStart(12)}  ${'target'.padEnd(24)}result`,
    '-'.repeat(130),
  ];
  const rows: [string, CallStats, boolean][] = [
    ['gt_sling_batch of 3 tasks (beads + convoy, one commit)', r.sling, true],
    ['gt_list_convoys', r.list, true],
    [`gt_convoy_status of a ${CONVOY_BEADS}-bead convoy`, r.status, true],
    ['gt_list_convoys after another process moved the ledger', r.listAfterMove, false],
  ];
  for (const [name, stats, targeted] of rows) {
    const pass = stats.p50Ms <= MCP_TARGET_P50_MS;
    lines.push(
      `${name.padEnd(68)}${`${stats.p50Ms.toFixed(1)} ms`.padStart(14)}${`${stats.p95Ms.toFixed(1)} ms`.padStart(12)}  ${(targeted ? `p50 <= ${MCP_TARGET_P50_MS} ms` : '(informational)').padEnd(24)}${targeted ? (pass ? 'pass' : 'FAIL') : ''}`.trimEnd(),
    );
    if (targeted && !pass) failures.push(`${name}: p50 ${stats.p50Ms.toFixed(1)} ms (<= ${MCP_TARGET_P50_MS} ms)`);
  }
  lines.push(`${r.sling.calls} calls per tool after one warm-up (${r.listAfterMove.calls} after a move); the server started and answered initialize in ${r.startMs.toFixed(0)} ms`);
  return { text: lines.join('\n'), failures };
}
