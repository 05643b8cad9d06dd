/** Timing whole processes: wall time from spawn to exit, and the peak memory (max RSS) of the process. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');
export const GT_MAIN = join(PACKAGE_ROOT, 'dist/gt.mjs');
const RSS_HOOK = join(PACKAGE_ROOT, 'dist/bench/rss-hook.js');

/** The environment every measured process runs in: the overseer, a fixed git identity, no debug output. */
export const CHILD_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GT_AGENT: '',
  GT_DEBUG: '',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
delete CHILD_ENV.GIT_DIR;
delete CHILD_ENV.GIT_WORK_TREE;

export interface ProcessSample {
  ms: number;
  /** Max RSS in kilobytes; undefined when it could not be measured. */
  maxRssKb: number | undefined;
  /** User + system CPU time of the process, milliseconds (less sensitive than wall time to other load). */
  cpuMs: number | undefined;
  stdout: string;
}

type RssMethod = 'gnu-time' | 'hook';
let method: RssMethod | undefined;

/** `/usr/bin/time -f %M` when it works here, else a preloaded hook reporting resourceUsage().maxRSS. */
export function rssMethod(): RssMethod {
  if (method) return method;
  method = 'hook';
  if (existsSync('/usr/bin/time')) {
    const out = join(tmpdir(), `gt-bench-probe-${process.pid}`);
    const probe = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', out, 'true'], { stdio: 'ignore' });
    try {
      if (probe.status === 0 && /^\d+ [\d.]+ [\d.]+\s*$/.test(readFileSync(out, 'utf8'))) method = 'gnu-time';
    } catch {
      // Not GNU time: fall back to the hook.
    }
    rmSync(out, { force: true });
  }
  return method;
}

let sequence = 0;

/**
 * Runs one process to completion and times it. stdout is drained (as a real consumer would) and
 * returned; a non-zero exit throws with stderr.
 */
export async function timeProcess(file: string, args: string[], cwd: string, opts: { node?: boolean } = {}): Promise<ProcessSample> {
  const how = rssMethod();
  const rssFile = join(tmpdir(), `gt-bench-rss-${process.pid}-${sequence++}`);
  let command = file;
  let argv = args;
  if (opts.node && how === 'hook') argv = ['--import', RSS_HOOK, ...args];
  if (how === 'gnu-time') {
    command = '/usr/bin/time';
    argv = ['-f', '%M %U %S', '-o', rssFile, file, ...argv];
  }
  const started = process.hrtime.bigint();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string; fd3: string }>((resolvePromise, reject) => {
    const child = spawn(command, argv, {
      cwd,
      env: CHILD_ENV,
      stdio: ['ignore', 'pipe', 'pipe', how === 'hook' && opts.node ? 'pipe' : 'ignore'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const extra: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    const fd3 = child.stdio[3];
    if (fd3 && 'on' in fd3) fd3.on('data', (c: Buffer) => extra.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        fd3: Buffer.concat(extra).toString('utf8'),
      }),
    );
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.code !== 0) {
    rmSync(rssFile, { force: true });
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) exited with ${result.code}:\n${result.stderr}`);
  }
  let maxRssKb: number | undefined;
  let cpuMs: number | undefined;
  const parse = (line: string | undefined, cpuUnit: number): void => {
    const [rss, user, sys] = (line ?? '').trim().split(' ').map(Number);
    if (rss !== undefined && Number.isFinite(rss) && rss > 0) maxRssKb = rss;
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuMs = (user + sys) * cpuUnit;
  };
  if (how === 'gnu-time') {
    try {
      parse(readFileSync(rssFile, 'utf8').trim().split('\n').pop(), 1000);
    } catch {
      // No report: leave both unknown.
    }
    rmSync(rssFile, { force: true });
  } else if (opts.node) {
    parse(result.fd3.trim(), 1 / 1000);
  }
  return { ms, maxRssKb, cpuMs, stdout: result.stdout };
}

/** One `gt` command, as a user would run it: a fresh node process. */
export function timeGt(args: string[], cwd: string): Promise<ProcessSample> {
  return timeProcess(process.execPath, [GT_MAIN, ...args], cwd, { node: true });
}

/** A shell pipeline (for the native git floor). */
export function timeShell(script: string, cwd: string): Promise<ProcessSample> {
  return timeProcess('/bin/sh', ['-c', script], cwd);
}

export interface Stats {
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  maxRssKb: number | undefined;
  medianCpuMs: number | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function statsOf(samples: readonly ProcessSample[]): Stats {
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.maxRssKb).filter((v): v is number => v !== undefined);
  const cpu = samples.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
  return {
    samplesMs: ms.map((v) => Math.round(v * 10) / 10),
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    maxRssKb: rss.length > 0 ? Math.max(...rss) : undefined,
    medianCpuMs: cpu.length > 0 ? Math.round(median(cpu)) : undefined,
  };
}
