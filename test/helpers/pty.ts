import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GIT_ENV, GT_BIN } from './repo.js';

const DRIVER = resolve(import.meta.dirname, 'pty-driver.py');

export type PtyStep = { expect: string } | { send: string };

export interface PtyRun {
  /** Exit code, null when it had to be killed. */
  status: number | null;
  /** Everything gt wrote to the terminal, escape sequences included. */
  output: string;
  /** Why the script stopped early (an expected text never came), null when it ran through. */
  failed: string | null;
}

/**
 * Runs gt on a pseudo-terminal (python's pty module: node has none built in) and plays `steps`: each
 * `expect` waits for text gt writes (polling, with a generous limit), each `send` types keys.
 */
export function runGtOnPty(args: string[], cwd: string, steps: PtyStep[], options: PtyOptions = {}): PtyRun {
  return runOnPty([process.execPath, GT_BIN, ...args], cwd, steps, options);
}

export interface PtyOptions {
  env?: Record<string, string>;
  columns?: number;
  rows?: number;
}

/** Runs any program on a pseudo-terminal as runGtOnPty runs gt: an interactive shell, for instance. */
export function runOnPty(argv: string[], cwd: string, steps: PtyStep[], options: PtyOptions = {}): PtyRun {
  const dir = mkdtempSync(join(tmpdir(), 'gt-pty-'));
  try {
    const file = join(dir, 'script.json');
    writeFileSync(
      file,
      JSON.stringify({
        argv,
        cwd,
        env: { ...GIT_ENV, GT_AGENT: '', TERM: 'xterm-256color', ...options.env },
        columns: options.columns ?? 100,
        rows: options.rows ?? 30,
        timeout: 120,
        steps,
      }),
    );
    const out = spawnSync('python3', [DRIVER, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (out.status !== 0) throw new Error(`pty driver failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as PtyRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The output with escape sequences taken out, for looking for text. */
export function plainText(output: string): string {
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
