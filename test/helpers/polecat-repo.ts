/**
 * The polecat e2e tests' shared repository: a fresh gt repository per test, the commands they all run
 * (create, sling --spawn, polecat list, witness --once), and clean-up of every process a test started.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGtRepo, type TestRepo } from './repo.js';
import { killProcessesOf, killSessions, untilRefsSay } from './sessions.js';

/** `gt sling --spawn --json`. */
export interface Spawned {
  polecat: string;
  bead: string;
  worktree: string;
  /** The loop's pid; null when queued. */
  pid: number | null;
  queued: boolean;
}

/** A row of `gt polecat list --json`. */
export interface PolecatRow {
  name: string;
  state: string;
  bead?: string;
  worktree?: string;
  pid?: number;
  agent_pid?: number;
  restarts?: number;
  started?: string;
  last_activity?: string;
  last_activity_source?: string;
}

/** An action of `gt witness --once --json`. */
export interface WitnessAction {
  kind: string;
  polecat: string;
  bead: string;
  pid?: number;
  restart?: number;
  reason?: string;
  session?: number;
  mail?: string;
}

export interface PolecatRepo {
  /** This test's repository (a new one for each test). */
  readonly r: TestRepo;
  /** Pids killed (with their process groups) after the test, whatever happened. */
  readonly pids: number[];
  create(title: string): string;
  statusOf(id: string): string;
  /** Waits until the bead is closed, checking again only when the ledger moved (see untilRefsSay). */
  untilClosed(id: string): Promise<void>;
  spawn(...args: string[]): Spawned;
  polecats(env?: Record<string, string>): PolecatRow[];
  polecat(name: string, env?: Record<string, string>): PolecatRow | undefined;
  witness(): WitnessAction[];
  /** Commits app.txt, then stages a change and leaves an untracked file: a user tree nothing gt does may touch. */
  dirtyUserTree(): void;
  /** The user's status and HEAD are as dirtyUserTree (this test's, or the file's option) left them. */
  userUntouched(): void;
}

/** Commits app.txt, then stages a change and leaves an untracked file; returns what userUntouched compares. */
function dirtyUserTree(repo: TestRepo): { status: string; head: string } {
  writeFileSync(join(repo.dir, 'app.txt'), 'v1\n');
  repo.git('add', 'app.txt');
  repo.git('commit', '-q', '-m', 'app');
  writeFileSync(join(repo.dir, 'app.txt'), 'v2\n');
  repo.git('add', 'app.txt');
  writeFileSync(join(repo.dir, 'notes.txt'), 'mine\n');
  return { status: repo.git('status', '--porcelain'), head: repo.git('rev-parse', 'HEAD') };
}

/**
 * Registers the per-test repository (useGtRepo: a copy of one prepared once per file) and the clean-up
 * of every process a test started; call once at the top of a test file. `dirtyUserTree`: the
 * repository starts with a user's work in progress (see userUntouched); `prepare` sets it up further
 * (settings every test of the file wants).
 */
export function usePolecatRepo(options: { dirtyUserTree?: boolean; prepare?: (r: TestRepo) => void } = {}): PolecatRepo {
  let prepared: { status: string; head: string } | undefined;
  let before: { status: string; head: string } | undefined;
  const prepare = options.dirtyUserTree || options.prepare
    ? (template: TestRepo): void => {
        if (options.dirtyUserTree) prepared = dirtyUserTree(template);
        options.prepare?.(template);
      }
    : undefined;
  const r = useGtRepo(prepare);
  let pids: number[] = [];
  const town: PolecatRepo = {
    get r() {
      return r;
    },
    get pids() {
      return pids;
    },
    create: (title) => r.gtJson<{ id: string }>('create', title).id,
    statusOf: (id) => r.gtJson<{ status: string }[]>('show', id)[0]!.status,
    untilClosed: (id) => untilRefsSay(`${id} closed`, r.dir, () => town.statusOf(id) === 'closed'),
    spawn: (...args) => {
      const s = r.gtJson<Spawned>('sling', ...args, '--spawn');
      if (s.pid !== null) pids.push(s.pid);
      return s;
    },
    polecats: (env = {}) => JSON.parse(r.gt(['polecat', 'list', '--json'], { env }).stdout) as PolecatRow[],
    polecat: (name, env = {}) => town.polecats(env).find((p) => p.name === name),
    witness: () => {
      const actions = r.gtJson<WitnessAction[]>('witness', '--once');
      for (const a of actions) if (a.pid !== undefined) pids.push(a.pid);
      return actions;
    },
    dirtyUserTree: () => {
      before = dirtyUserTree(r);
    },
    userUntouched: () => {
      if (!before) throw new Error('userUntouched: call dirtyUserTree first');
      expect(r.git('status', '--porcelain')).toBe(before.status);
      expect(r.git('rev-parse', 'HEAD')).toBe(before.head);
    },
  };
  beforeEach(() => {
    pids = [];
    before = prepared;
  });
  afterEach(() => {
    // Also whatever session a failed test left recorded without noting its pid.
    try {
      for (const p of town.polecats()) for (const pid of [p.pid, p.agent_pid]) if (pid !== undefined) pids.push(pid);
    } catch {
      // No polecat list (the test broke the repository): the processes of the directory are killed below.
    }
    killSessions(pids);
    killProcessesOf(r.dir);
  });
  return town;
}
