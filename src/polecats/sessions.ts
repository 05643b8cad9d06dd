/**
 * Polecat sessions: processes gt starts and leaves running (the agent runtime in a sandbox), and the
 * sandbox's setup hooks. They are processes gt runs, not git, so this folder may use child_process
 * (test/unit/layers.test.ts allows it here).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentRecord } from '../agents/agent.js';
import { shellQuote } from '../git/git-command.js';

/** `<git common dir>/gt/polecats`: sandboxes by name, and `logs/` (so no polecat is named `logs`). */
export function polecatsDir(commonDir: string): string {
  return join(commonDir, 'gt', 'polecats');
}
export const LOGS_DIR_NAME = 'logs';
export function sandboxPath(commonDir: string, name: string): string {
  return join(polecatsDir(commonDir), name);
}
export function logPath(commonDir: string, name: string): string {
  return join(polecatsDir(commonDir), LOGS_DIR_NAME, `${name}.log`);
}
export function primePath(commonDir: string, name: string): string {
  return join(polecatsDir(commonDir), LOGS_DIR_NAME, `${name}.prime.md`);
}
/** Where `gt handoff` leaves its message for the loop's next session (machine-local, like the log). */
export function handoffPath(commonDir: string, name: string): string {
  return join(polecatsDir(commonDir), LOGS_DIR_NAME, `${name}.handoff`);
}

/** Whether a process is alive on this machine (a zombie, finished but not yet reaped, is not). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Whether `pid` runs on this machine as polecat `name`'s loop (`gt polecat run <name>`) or agent session
 * (GT_AGENT=<name> in its environment): a pid reused since by an unrelated process is not.
 */
export function processOfPolecat(pid: number, name: string, what: 'loop' | 'session'): boolean {
  if (!pidAlive(pid)) return false;
  try {
    if (what === 'session') return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`GT_AGENT=${name}`);
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const run = args.indexOf('run');
    return run > 0 && args[run - 1] === 'polecat' && args.slice(run + 1).includes(name);
  } catch {
    // No /proc here (or not ours to read): the pid alone.
    return true;
  }
}

/** The agent's propulsion loop (recorded as its session pid) is running on this machine. */
export function sessionLive(agent: AgentRecord): boolean {
  return agent.session_pid !== undefined && agent.session_host === hostname() && processOfPolecat(Number(agent.session_pid), agent.id, 'loop');
}

/**
 * Writes `<git common dir>/gt/bin/gt`, a launcher of this very gt; returns its directory. Running
 * sessions exec it all the time, and exec of a file open for writing fails (ETXTBSY, "Text file busy"):
 * so it is left alone when it already says the same, and otherwise replaced by a rename, never rewritten
 * in place.
 */
export function writeLauncher(commonDir: string, gtEntry: string): string {
  const dir = join(commonDir, 'gt', 'bin');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gt');
  const text = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(gtEntry)} "$@"\n`;
  try {
    if (readFileSync(file, 'utf8') === text && (statSync(file).mode & 0o111) === 0o111) return dir;
  } catch {
    // Not there yet.
  }
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  chmodSync(temporary, 0o755);
  renameSync(temporary, file);
  return dir;
}

/** The environment of a session or setup hook: none of a git hook's GIT_* variables, the launcher first on PATH. */
export function sessionEnv(binDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX']) delete env[key];
  return { ...env, ...extra, PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
}

function openLog(path: string): number {
  mkdirSync(join(path, '..'), { recursive: true });
  return openSync(path, 'a');
}

/**
 * Runs the executable files of `<sandbox>/.gt/setup-hooks/` in name order, output to the log.
 * Returns the name of the first that fails (and runs no more), or undefined.
 */
export function runSetupHooks(sandbox: string, log: string, env: NodeJS.ProcessEnv): { failed?: string; why?: string } {
  const dir = join(sandbox, '.gt', 'setup-hooks');
  if (!existsSync(dir)) return {};
  const hooks = readdirSync(dir)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .filter((name) => {
      const s = statSync(join(dir, name));
      return s.isFile() && (s.mode & 0o111) !== 0;
    });
  const fd = openLog(log);
  try {
    for (const name of hooks) {
      writeSync(fd, `== setup hook ${name}\n`);
      const result = spawnSync(join(dir, name), [], { cwd: sandbox, env, stdio: ['ignore', fd, fd] });
      if (result.error) return { failed: name, why: result.error.message };
      if (result.status !== 0) return { failed: name, why: result.signal ? `killed by ${result.signal}` : `exit ${result.status}` };
    }
  } finally {
    closeSync(fd);
  }
  return {};
}

export interface RunningSession {
  pid: number;
  /** Settles when `sh -c command` exits: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `sh -c command` in the sandbox as the leader of a process group of its own (so it can be ended
 * without its loop), prime file on stdin, output appended to the log. The caller waits for `exited`.
 */
export function startSession(options: { command: string; cwd: string; env: NodeJS.ProcessEnv; primeFile: string; log: string; header: string }): RunningSession {
  const out = openLog(options.log);
  const input = openSync(options.primeFile, 'r');
  try {
    writeSync(out, `${options.header}\n`);
    const child = spawn('sh', ['-c', options.command], { cwd: options.cwd, env: options.env, detached: true, stdio: [input, out, out] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.on('exit', (code, signal) => done({ code, signal }));
      child.on('error', () => done({ code: null, signal: null }));
    });
    if (child.pid === undefined) throw new Error(`could not start sh -c ${options.command}`);
    return { pid: child.pid, exited };
  } finally {
    closeSync(input);
    closeSync(out);
  }
}

/** The last `lines` lines of a log. */
export function tailOf(path: string, lines: number): string[] {
  const text = readFileSync(path, 'utf8');
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return lines <= 0 ? [] : all.slice(-lines);
}
