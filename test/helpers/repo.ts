import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
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

/** The TestRepo of the repository at `dir`; cleanup removes `root`, the temp dir holding it. */
function repoAt(root: string, dir: string): TestRepo {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, maxBuffer: 256 * 1024 * 1024 });
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

/** A fresh git repository (with one commit on main unless `empty`) in a temp dir. */
export function makeRepo(options: { empty?: boolean; name?: string } = {}): TestRepo {
  const root = makeTempDir();
  const dir = join(root, options.name ?? 'project');
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env: { ...process.env, ...GIT_ENV } });
  const repo = repoAt(root, dir);
  if (!options.empty) repo.git('commit', '-q', '--allow-empty', '-m', 'initial');
  return repo;
}

/**
 * Where the ledger stores an entity's file (`beads/3f/gt-a1.yaml`, see src/ledger/layout.ts): for a
 * test that reads or writes it with git itself. gt's own messages name the logical `beads/gt-a1.yaml`.
 */
export function ledgerFile(dir: string, id: string): string {
  return storedPath(entityPath(dir, id));
}

/** makeRepo() after `gt init --prefix gt`: the starting point of most e2e tests. */
export function makeGtRepo(): TestRepo {
  const repo = makeRepo();
  repo.gtOk('init', '--prefix', 'gt');
  return repo;
}

/** A copy of the repository at `template` (made by makeGtRepo, maybe prepared further) in a new temp dir. */
function copyRepo(template: string): TestRepo {
  const root = makeTempDir();
  const dir = join(root, 'project');
  // Nothing in a ledger repository names its own path (gt init writes only gt's path into .git/config),
  // so a copy is the same repository as one made afresh, minus the process starts, but for its replica id.
  cpSync(template, dir, { recursive: true });
  // Each repository is its own replica (src/ledger/replica.ts): the copy makes its id on its first write, as a clone does.
  rmSync(join(dir, '.git', 'gt', 'replica'), { force: true });
  return repoAt(root, dir);
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A makeGtRepo() made once per run by test/global-setup.ts, copied for each test (never written to). */
    gtTemplate: string;
  }
}

/**
 * A git repository after `gt init --prefix gt`, as makeGtRepo() makes one, but copied from the run's
 * template: one `gt init` a run instead of one a test.
 */
export function gtRepo(): TestRepo {
  const template = inject('gtTemplate');
  if (!template) throw new Error('gtRepo: no template repository; run vitest with test/global-setup.ts as its globalSetup');
  return copyRepo(template);
}

/**
 * Registers a fresh gt repository for every test of the file (see gtRepo), removed after it; call once
 * at the top of a test file, before the file's own hooks (so that its afterEach hooks run before the
 * removal). `prepare`, run once per file, sets up what every test starts from (commits, settings): each
 * test gets a copy of the prepared repository. It must not write the repository's own path anywhere
 * (no worktrees, no remotes). The returned TestRepo stands for the current test's repository.
 */
export function useGtRepo(prepare?: (r: TestRepo) => void): TestRepo {
  let template: TestRepo | undefined;
  let current: TestRepo | undefined;
  if (prepare) {
    beforeAll(() => {
      template = gtRepo();
      prepare(template);
    });
    afterAll(() => template?.cleanup());
  }
  beforeEach(() => {
    current = template ? copyRepo(template.dir) : gtRepo();
  });
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });
  const r = (): TestRepo => {
    if (!current) throw new Error('useGtRepo: no repository outside a test');
    return current;
  };
  return {
    get dir() {
      return r().dir;
    },
    get env() {
      return r().env;
    },
    set env(value) {
      r().env = value;
    },
    git: (...args) => r().git(...args),
    gt: (args, options) => r().gt(args, options),
    gtOk: (...args) => r().gtOk(...args),
    gtJson: <T>(...args: string[]): T => r().gtJson<T>(...args),
    cleanup: () => r().cleanup(),
  };
}
