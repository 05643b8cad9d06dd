import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { entityPath, storedPath } from '../../src/ledger/layout.js';

/** The built CLI: tests run the real binary, as a user would. */
export const GT_BIN = resolve(import.meta.dirname, '../../dist/gt.mjs');

/** Isolates every git and gt process of the tests from the machine's git configuration. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test User',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test User',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface TestRepo {
  dir: string;
  /** Extra environment for every gt run of this repo, e.g. GT_NOW for a test that needs time to pass. */
  env: Record<string, string>;
  git(...args: string[]): string;
  gt(args: string[], options?: { env?: Record<string, string>; input?: string; cwd?: string }): RunResult;
  /** Runs gt and fails the test with its stderr when it does not succeed. */
  gtOk(...args: string[]): string;
  gtJson<T = unknown>(...args: string[]): T;
  cleanup(): void;
}

export function makeTempDir(name = 'gt-test-'): string {
  return mkdtempSync(join(tmpdir(), name));
}

export function runGt(args: string[], cwd: string, env: Record<string, string> = {}, input?: string): RunResult {
  const result = spawnSync(process.execPath, [GT_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV, GT_AGENT: '', ...env },
    ...(input !== undefined ? { input } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts gt without waiting, for concurrency and kill tests. */
export function spawnGt(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawn(process.execPath, [GT_BIN, ...args], { cwd, env: { ...process.env, ...GIT_ENV, GT_AGENT: '', ...env }, stdio: 'pipe' });
}

/** A fresh git repository (with one commit on main unless `empty`) in a temp dir. */
export function makeRepo(options: { empty?: boolean; name?: string } = {}): TestRepo {
  const root = makeTempDir();
  const dir = join(root, options.name ?? 'project');
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env: { ...process.env, ...GIT_ENV } });
  if (!options.empty) git('commit', '-q', '--allow-empty', '-m', 'initial');
  const repo: TestRepo = {
    dir,
    env: {},
    git,
    gt: (args, opts = {}) => runGt(args, opts.cwd ?? dir, { ...repo.env, ...opts.env }, opts.input),
    gtOk: (...args) => {
      const r = runGt(args, dir, repo.env);
      if (r.status !== 0) throw new Error(`gt ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    gtJson: <T>(...args: string[]): T => JSON.parse(repo.gtOk(...args, '--json')) as T,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  return repo;
}

/**
 * Where the ledger stores an entity's file (`beads/3f/gt-a1.yaml`, see src/ledger/layout.ts): for a
 * test that reads or writes it with git itself. gt's own messages name the logical `beads/gt-a1.yaml`.
 */
export function ledgerFile(dir: string, id: string): string {
  return storedPath(entityPath(dir, id));
}
