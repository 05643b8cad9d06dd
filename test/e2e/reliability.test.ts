/**
 * Reliability of the ledger under real conditions: real gt processes, real git, concurrency, SIGKILL,
 * native git maintenance running alongside, and the isomorphic-git backend. Every test makes its own
 * repositories in temp dirs and removes them.
 *
 * `npm test` runs the concurrency, kill and gc tests small (3 writers × 10 operations, 3 kills, 10
 * creates during gc); `npm run test:stress` runs them full size (8 × 50, 20 kills, 30 creates). Nothing here asserts how long anything
 * took: stale locks are made stale by ageing their mtime, or by the GT_NOW clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GIT_ENV, GT_BIN, gtRepo, makeRepo, makeTempDir, type RunResult, type TestRepo, ledgerFile } from '../helpers/repo.js';
import { logicalPath } from '../../src/ledger/layout.js';
import { sized } from '../helpers/stress.js';
import { ageLock } from '../helpers/locks.js';

// ---------------------------------------------------------------------------------------------------
// Shared machinery
// ---------------------------------------------------------------------------------------------------

/** The environment of every process started here: isolated from the machine's git configuration. */
const BASE_ENV: Record<string, string> = { ...(process.env as Record<string, string>), ...GIT_ENV, GT_AGENT: '' };

const STALE_MS = 2000;
const STALE_ENV = { GT_LOCK_STALE_MS: String(STALE_MS) };

/**
 * A worker: runs `gt` once per planned operation, sequentially, and reports each as a JSON line.
 * `$LAST` stands for the id of the last bead this worker created, `$N` for the operation's number.
 * With `loop`, it cycles through the plan until it is killed.
 */
const DRIVER_SOURCE = `
import { spawnSync } from 'node:child_process';
const [gtBin, cwd, planJson] = process.argv.slice(2);
const plan = JSON.parse(planJson);
const out = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
let last;
out({ event: 'ready' });
for (let i = 0; plan.loop || i < plan.ops.length; i++) {
  const op = plan.ops[i % plan.ops.length];
  const args = op.args.map((a) => (a === '$LAST' ? last : a.replaceAll('$N', String(i))));
  out({ event: 'start', i });
  const res = spawnSync(process.execPath, [gtBin, ...args], { cwd, encoding: 'utf8' });
  let id;
  try {
    const value = JSON.parse(res.stdout);
    if (value && !Array.isArray(value)) id = value.id;
  } catch {}
  if (op.create && res.status === 0 && id) last = id;
  out({ event: 'done', i, args, status: res.status, id, stderr: res.status === 0 ? undefined : res.stderr });
}
`;

interface PlanOp {
  args: string[];
  /** The operation creates a bead: its id becomes `$LAST`. */
  create?: boolean;
}

interface DoneEvent {
  event: 'done';
  i: number;
  args: string[];
  status: number | null;
  id?: string;
  stderr?: string;
}

type DriverEvent = { event: 'ready' } | { event: 'start'; i: number } | DoneEvent;

let scratch: string;
let driverPath: string;
beforeAll(() => {
  scratch = makeTempDir('gt-reliability-');
  driverPath = join(scratch, 'driver.mjs');
  writeFileSync(driverPath, DRIVER_SOURCE);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Lets a SIGKILL land at a random moment of a worker's run (the wait is the point, not a guess at how long something takes). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): RunResult {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...BASE_ENV, ...env }, maxBuffer: 256 * 1024 * 1024 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function runAsync(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function parseEvents(stdout: string): DriverEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DriverEvent);
}

/** Runs one worker to completion and returns its finished operations. */
async function runDriver(dir: string, ops: PlanOp[], env: Record<string, string> = {}): Promise<DoneEvent[]> {
  const result = await runAsync(process.execPath, [driverPath, GT_BIN, dir, JSON.stringify({ ops })], dir, env);
  expect(result.status, result.stderr).toBe(0);
  return parseEvents(result.stdout).filter((e): e is DoneEvent => e.event === 'done');
}

function gtIn(dir: string, args: string[], env: Record<string, string> = {}): RunResult {
  return run(process.execPath, [GT_BIN, ...args], dir, env);
}

function gtJsonIn<T>(dir: string, args: string[], env: Record<string, string> = {}): T {
  const result = gtIn(dir, [...args, '--json'], env);
  if (result.status !== 0) throw new Error(`gt ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** `git fsck --strict` passes: no missing, corrupt, truncated or malformed object, ref or reflog entry. */
function expectFsckClean(dir: string): void {
  const fsck = run('git', ['fsck', '--strict', '--no-progress'], dir);
  expect(fsck.status, `git fsck --strict:\n${fsck.stdout}${fsck.stderr}`).toBe(0);
  expect(fsck.stderr).not.toMatch(/error|bad |missing|broken|corrupt|invalid|fatal/i);
}

interface DoctorFinding {
  severity: 'error' | 'warning';
  path?: string;
  message: string;
}

function doctor(dir: string, env: Record<string, string> = {}): DoctorFinding[] {
  const result = gtIn(dir, ['doctor', '--json'], env);
  expect([0, 1], result.stderr).toContain(result.status);
  return JSON.parse(result.stdout) as DoctorFinding[];
}

/** Every bead file of a commit by logical path (`beads/<id>.yaml`), read straight from git in one `git cat-file --batch`. */
function beadFilesAt(dir: string, rev: string): Map<string, string> {
  const names = run('git', ['ls-tree', '-r', '--name-only', rev, '--', 'beads'], dir);
  const files = new Map<string, string>();
  if (names.status !== 0) return files; // No beads directory yet.
  const paths = names.stdout.split('\n').filter(Boolean);
  if (paths.length === 0) return files;
  const batch = spawnSync('git', ['cat-file', '--batch'], {
    cwd: dir,
    env: BASE_ENV,
    input: paths.map((p) => `${rev}:${p}\n`).join(''),
    maxBuffer: 256 * 1024 * 1024,
  });
  expect(batch.status).toBe(0);
  let out = batch.stdout;
  for (const path of paths) {
    const newline = out.indexOf(0x0a);
    const header = out.toString('utf8', 0, newline);
    const match = /^[0-9a-f]{40} blob (\d+)$/.exec(header);
    expect(match, `cat-file header for ${path}: ${header}`).not.toBeNull();
    const size = Number(match![1]);
    files.set(logicalPath(path), out.toString('utf8', newline + 1, newline + 1 + size));
    out = out.subarray(newline + 1 + size + 1);
  }
  return files;
}

/** Every bead file on `rev` is complete: parses as YAML, with its own id, a title and a creation time. */
function expectCompleteBeads(dir: string, rev: string): number {
  const files = beadFilesAt(dir, rev);
  for (const [path, text] of files) {
    expect(text.endsWith('\n'), `${rev}:${path} ends mid-line`).toBe(true);
    const bead = parseYaml(text) as { id?: unknown; title?: unknown; created_at?: unknown };
    expect(bead.id, `${rev}:${path}`).toBe(path.slice('beads/'.length, -'.yaml'.length));
    expect(typeof bead.title === 'string' && bead.title.length > 0, `${rev}:${path} has no title`).toBe(true);
    expect(Number.isNaN(Date.parse(String(bead.created_at))), `${rev}:${path} has no created_at`).toBe(false);
  }
  return files.size;
}

function gtRefs(dir: string): Map<string, string> {
  const refs = new Map<string, string>();
  const out = run('git', ['for-each-ref', '--format=%(refname) %(objectname) %(objecttype)', 'refs/heads/gt/'], dir).stdout;
  for (const line of out.split('\n').filter(Boolean)) {
    const [ref, oid, type] = line.split(' ');
    expect(type, `${ref} points at a ${type}`).toBe('commit');
    refs.set(ref!, oid!);
  }
  return refs;
}

function tmpObjectFiles(dir: string): number {
  const objects = join(dir, '.git', 'objects');
  let count = 0;
  for (const fanout of readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
    count += readdirSync(join(objects, fanout)).filter((name) => name.startsWith('tmp_obj_')).length;
  }
  return count;
}

function lockFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    if (!existsSync(path)) return;
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (name.endsWith('.lock')) found.push(full);
      else if (statSync(full).isDirectory()) walk(full);
    }
  };
  walk(join(dir, '.git', 'refs'));
  return found;
}

interface BeadJson {
  id: string;
  title: string;
  status: string;
  priority: number;
  assignee?: string;
  labels: string[];
  created_at: string;
}

/** Runs `fn` on a new repository (`make`: a plain git one, or gtRepo after gt init), removed afterwards. */
function withRepo(fn: (r: TestRepo) => Promise<void> | void, make: () => TestRepo = makeRepo): () => Promise<void> {
  return async () => {
    const r = make();
    try {
      await fn(r);
    } finally {
      r.cleanup();
    }
  };
}

/** withRepo on a repository after `gt init --prefix gt` (a copy of the run's template: see gtRepo). */
function withGtRepo(fn: (r: TestRepo) => Promise<void> | void): () => Promise<void> {
  return withRepo(fn, gtRepo);
}

// ---------------------------------------------------------------------------------------------------
// 1. Concurrent writers
// ---------------------------------------------------------------------------------------------------

describe('concurrent writers', () => {
  const WORKERS = sized(3, 8);
  const OPS_PER_WORKER = sized(10, 50);
  const SHARED = 4;

  /** A mix of creates, updates of the worker's own beads and updates of shared beads; each op adds a unique label. */
  function workerPlan(worker: number, shared: string[]): PlanOp[] {
    const ops: PlanOp[] = [];
    for (let i = 0; i < OPS_PER_WORKER; i++) {
      const label = `u-w${worker}-i${i}`;
      switch (i % 5) {
        case 0:
        case 1:
          ops.push({ args: ['create', `w${worker} op${i}`, '-l', label, '--json'], create: true });
          break;
        case 2:
          ops.push({ args: ['update', '$LAST', '--add-label', label, '--json'] });
          break;
        case 3:
          ops.push({ args: ['update', shared[(worker + i) % shared.length]!, '--add-label', label, '--json'] });
          break;
        default:
          ops.push({ args: ['update', '$LAST', '--title', `w${worker} op${i} retitled`, '-p', String(i % 4), '--add-label', label, '--json'] });
      }
    }
    return ops;
  }

  it(
    `${WORKERS} processes × ${OPS_PER_WORKER} operations at once: every one lands, as one commit each, nothing lost`,
    withGtRepo(async (r) => {
      const shared = Array.from({ length: SHARED }, (_, i) => r.gtJson<BeadJson>('create', `shared ${i}`).id);

      const results = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runDriver(r.dir, workerPlan(w, shared))));
      const all = results.flat();

      // Every operation succeeded and reported the bead it touched.
      expect(all).toHaveLength(WORKERS * OPS_PER_WORKER);
      for (const e of all) {
        expect(e.status, `gt ${e.args.join(' ')}: ${e.stderr}`).toBe(0);
        expect(e.id).toMatch(/^gt-[0-9a-z]+$/);
      }

      // What each bead must carry: every unique label, exactly; the last title given to it.
      const expectedLabels = new Map<string, Set<string>>(shared.map((id) => [id, new Set()]));
      const expectedTitles = new Map<string, string>(shared.map((id, i) => [id, `shared ${i}`]));
      for (const worker of results) {
        for (const e of worker) {
          const labelAt = e.args.findIndex((a) => a === '-l' || a === '--add-label');
          if (e.args[0] === 'create') {
            expect(expectedLabels.has(e.id!), `duplicate id ${e.id}`).toBe(false);
            expectedLabels.set(e.id!, new Set());
            expectedTitles.set(e.id!, e.args[1]!);
          }
          expectedLabels.get(e.id!)!.add(e.args[labelAt + 1]!);
          const titleAt = e.args.indexOf('--title');
          if (titleAt >= 0) expectedTitles.set(e.id!, e.args[titleAt + 1]!);
        }
      }
      const creates = all.filter((e) => e.args[0] === 'create').length;
      const beads = r.gtJson<BeadJson[]>('list', '--all');
      expect(beads).toHaveLength(SHARED + creates);
      expect(new Set(beads.map((b) => b.id))).toEqual(new Set(expectedLabels.keys()));
      let labelsSeen = 0;
      for (const bead of beads) {
        expect(bead.labels, bead.id).toEqual([...expectedLabels.get(bead.id)!].sort());
        expect(bead.title, bead.id).toBe(expectedTitles.get(bead.id));
        labelsSeen += bead.labels.length;
      }
      expect(labelsSeen).toBe(WORKERS * OPS_PER_WORKER);

      // Every file parses (read from git, not from the index), the object store is sound, history is exact.
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      expect(doctor(r.dir)).toEqual([]);
      expect(expectCompleteBeads(r.dir, 'gt/ledger')).toBe(SHARED + creates);
      expectFsckClean(r.dir);
      expect(Number(r.git('rev-list', '--count', 'gt/ledger').trim())).toBe(1 + SHARED + WORKERS * OPS_PER_WORKER);
      expect(Number(r.git('rev-list', '--count', '--merges', 'gt/ledger').trim())).toBe(0);
      const subjects = r.git('log', '--format=%s', 'gt/ledger').trim().split('\n');
      expect(subjects.filter((s) => s.startsWith('create ')).length).toBe(SHARED + creates);
      expect(subjects.filter((s) => s.startsWith('update ')).length).toBe(WORKERS * OPS_PER_WORKER - creates);
      // Every ledger state is in the reflog; nothing was left behind.
      expect(r.git('reflog', 'show', '--format=%H', 'refs/heads/gt/ledger').trim().split('\n')).toHaveLength(1 + SHARED + WORKERS * OPS_PER_WORKER);
      expect(lockFilesUnder(r.dir)).toEqual([]);
      expect(existsSync(join(r.dir, '.git', 'gt', 'write.lock'))).toBe(false);
      expect(tmpObjectFiles(r.dir)).toBe(0);
      expect(r.git('status', '--porcelain')).toBe('');
    }),
  );
});

// ---------------------------------------------------------------------------------------------------
// 2. SIGKILL at random moments
// ---------------------------------------------------------------------------------------------------

describe('SIGKILL at random moments', () => {
  const ROUNDS = sized(3, 20);
  /** Creates, field updates, label and status changes, agent writes and merges of agent branches. */
  const KILL_PLAN: PlanOp[] = [
    { args: ['create', 'killed $N', '-l', 'k$N', '-p', '1', '-d', 'a description\nover two lines', '--json'], create: true },
    { args: ['update', '$LAST', '--title', 'retitled $N', '-p', '3', '--add-label', 'u$N', '--json'] },
    { args: ['update', '$LAST', '--status', 'in_progress', '--json'] },
    { args: ['--as', 'alice', 'update', '$LAST', '--add-label', 'alice$N', '--json'] },
    { args: ['--as', 'alice', 'create', 'alice $N', '--json'] },
    { args: ['merge', '--json'] },
  ];

  it(
    `${ROUNDS} writers killed mid-run: the ledger stays a valid commit, every bead whole, fsck clean, the next write goes through`,
    withGtRepo(async (r) => {
      r.gtOk('create', 'seed');
      const stats = { inFlight: 0, writeLockLeft: 0, refLockLeft: 0, tmpObjects: 0 };

      for (let round = 0; round < ROUNDS; round++) {
        const delay = 20 + Math.floor(Math.random() * 381);
        const child = spawn(process.execPath, [driverPath, GT_BIN, r.dir, JSON.stringify({ ops: KILL_PLAN, loop: true })], {
          cwd: r.dir,
          env: { ...BASE_ENV, ...STALE_ENV },
          stdio: ['ignore', 'pipe', 'pipe'],
          // Its own process group: the kill takes the worker, the gt it runs and that gt's git helpers.
          detached: true,
        });
        let stdout = '';
        const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
        const ready = new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
            if (stdout.includes('"ready"')) resolve();
          });
        });
        try {
          await ready;
          await sleep(delay);
        } finally {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        await exited;

        const events = parseEvents(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
        const done = events.filter((e): e is DoneEvent => e.event === 'done');
        for (const e of done) expect(e.status, `round ${round}: gt ${e.args.join(' ')}: ${e.stderr}`).toBe(0);
        const lastEvent = events[events.length - 1]!;
        if (lastEvent.event === 'start') stats.inFlight++;
        if (existsSync(join(r.dir, '.git', 'gt', 'write.lock'))) stats.writeLockLeft++;
        if (lockFilesUnder(r.dir).length > 0) stats.refLockLeft++;
        stats.tmpObjects += tmpObjectFiles(r.dir);

        // The ledger (and any agent branch) resolves to a commit; the object store is sound.
        expect(r.git('rev-parse', '--verify', 'gt/ledger^{commit}').trim()).toMatch(/^[0-9a-f]{40}$/);
        const refs = gtRefs(r.dir);
        expectFsckClean(r.dir);
        // Every bead on every gt branch is whole, checked straight from git…
        for (const ref of refs.keys()) expectCompleteBeads(r.dir, ref);
        // …and gt reads it all, reporting at most the stale locks the kill left.
        for (const env of [STALE_ENV, { ...STALE_ENV, GT_AGENT: 'alice' }]) {
          for (const finding of doctor(r.dir, env)) {
            expect(finding.severity, `round ${round}: ${finding.message}`).toBe('warning');
            expect(finding.message).toMatch(/^stale lock /);
          }
        }

        // The next writes succeed, taking over whatever locks the killed process held (aged here, so
        // that nothing waits out the stale time: the takeover of a fresh lock is tested further down).
        const writeLock = join(r.dir, '.git', 'gt', 'write.lock');
        for (const lock of [...(existsSync(writeLock) ? [writeLock] : []), ...lockFilesUnder(r.dir)]) ageLock(lock);
        let created: BeadJson | undefined;
        for (const write of ['overseer', 'alice']) {
          const args = write === 'overseer' ? ['create', `after kill ${round}`, '--json'] : ['--as', 'alice', 'update', created!.id, '--title', `alice after ${round}`];
          const next = gtIn(r.dir, args, STALE_ENV);
          expect(next.status, `round ${round}: gt ${args.join(' ')}: ${next.stderr}`).toBe(0);
          if (write === 'overseer') created = JSON.parse(next.stdout) as BeadJson;
        }
        expect(existsSync(join(r.dir, '.git', 'gt', 'write.lock'))).toBe(false);
        expect(lockFilesUnder(r.dir)).toEqual([]);
      }

      // After all the carnage: one more full check, and the agent's work still merges.
      r.gtOk('merge');
      expectFsckClean(r.dir);
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      expect(doctor(r.dir).filter((f) => f.severity === 'error')).toEqual([]);
      const count = expectCompleteBeads(r.dir, 'gt/ledger');
      expect(r.gtJson<BeadJson[]>('list', '--all')).toHaveLength(count);
      for (let round = 0; round < ROUNDS; round++) {
        expect(r.gtJson<BeadJson[]>('list', '--all').some((b) => b.title === `alice after ${round}`)).toBe(true);
      }
      console.log(
        `[sigkill] ${ROUNDS} kills: ${stats.inFlight} with a gt in flight, ${stats.writeLockLeft} left write.lock, ` +
          `${stats.refLockLeft} left a ref lock, ${stats.tmpObjects} tmp_obj files seen`,
      );
    }),
  );

  it(
    'every remnant a kill can leave is ignored or taken over: tmp_obj_ file, write.lock, ref lock, torn index temp file',
    withGtRepo((r) => {
      const a = r.gtJson<BeadJson>('create', 'Before the crash');
      const git = join(r.dir, '.git');
      // Killed inside each critical window (the random kills above rarely land in these microseconds).
      mkdirSync(join(git, 'objects', 'ab'), { recursive: true });
      writeFileSync(join(git, 'objects', 'ab', 'tmp_obj_0123456789ab'), Buffer.from([0x78, 0x01, 0x4b, 0xca])); // a truncated deflate stream
      mkdirSync(join(git, 'gt', 'write.lock'));
      writeFileSync(join(git, 'refs', 'heads', 'gt', 'ledger.lock'), '');
      writeFileSync(join(git, 'gt', 'index.json.4242.deadbeef.tmp'), '{"version":1,"comm');
      writeFileSync(join(git, 'gt', 'index.json'), '{"version":1,"commits":{'); // cannot happen (rename), but must not matter
      for (const p of ['gt/write.lock', 'refs/heads/gt/ledger.lock']) ageLock(join(git, p));

      expectFsckClean(r.dir);
      const findings = doctor(r.dir, STALE_ENV);
      expect(findings.map((f) => f.severity)).toEqual(['warning', 'warning']);
      expect(findings.every((f) => f.message.startsWith('stale lock '))).toBe(true);
      expect(r.gtJson<BeadJson[]>('show', a.id)[0]!.title).toBe('Before the crash');
      const b = gtJsonIn<BeadJson>(r.dir, ['create', 'After the crash'], STALE_ENV);
      expect(existsSync(join(git, 'gt', 'write.lock'))).toBe(false);
      expect(lockFilesUnder(r.dir)).toEqual([]);
      expect(r.gtJson<BeadJson[]>('list', '--all').map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      expect(doctor(r.dir, STALE_ENV)).toEqual([]);
      expectFsckClean(r.dir);
    }),
  );
});

// ---------------------------------------------------------------------------------------------------
// 3. Native git alongside
// ---------------------------------------------------------------------------------------------------

describe('native git alongside', () => {
  it(
    'gt writes while git gc (and gc --aggressive) repacks in a loop: every create lands, fsck clean',
    withGtRepo(async (r) => {
      let stop = false;
      const gcRuns: { args: string; status: number; stderr: string }[] = [];
      // Runs until the creates are done, and at least twice whatever the machine's load.
      const gcLoop = (async () => {
        while (!stop || gcRuns.length < 2) {
          for (const args of [['gc', '--aggressive', '--quiet'], ['gc', '--quiet']]) {
            if (stop && gcRuns.length >= 2) break;
            const result = await runAsync('git', args, r.dir);
            gcRuns.push({ args: args.join(' '), status: result.status, stderr: result.stderr.trim() });
          }
        }
      })();
      const CREATES = sized(10, 30);
      const ops: PlanOp[] = Array.from({ length: CREATES }, (_, i) => ({ args: ['create', `during gc ${i}`, '--json'], create: true }));
      let done: DoneEvent[];
      try {
        done = await runDriver(r.dir, ops);
      } finally {
        stop = true;
        await gcLoop;
      }
      const failedGc = gcRuns.filter((g) => g.status !== 0);
      console.log(`[gc] ${CREATES} creates alongside ${gcRuns.length} git gc runs (${failedGc.length} failed${failedGc.length ? `: ${failedGc.map((g) => g.stderr).join(' | ')}` : ''})`);
      expect(gcRuns.length).toBeGreaterThanOrEqual(2);
      for (const e of done) expect(e.status, `gt ${e.args.join(' ')}: ${e.stderr}`).toBe(0);

      const beads = r.gtJson<BeadJson[]>('list', '--all');
      expect(beads.map((b) => b.id).sort()).toEqual(done.map((e) => e.id!).sort());
      expect(beads).toHaveLength(CREATES);
      expect(Number(r.git('rev-list', '--count', 'gt/ledger').trim())).toBe(CREATES + 1);
      expectFsckClean(r.dir);
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      expect(doctor(r.dir)).toEqual([]);
      expect(expectCompleteBeads(r.dir, 'gt/ledger')).toBe(CREATES);
    }),
  );

  it(
    'after git gc and pack-refs (no loose objects, ledger only in packed-refs), gt reads and writes, and agrees with native git',
    withGtRepo((r) => {
      const a = r.gtJson<BeadJson>('create', 'Alpha', '-l', 'one');
      const b = r.gtJson<BeadJson>('create', 'Beta', '-p', '0');
      r.gtOk('update', a.id, '--status', 'in_progress');

      r.git('gc', '--quiet');
      r.git('pack-refs', '--all');
      const counts = r.git('count-objects', '-v');
      expect(counts).toMatch(/^count: 0$/m);
      expect(counts).toMatch(/^in-pack: [1-9]\d*$/m);
      const loose = join(r.dir, '.git', 'refs', 'heads', 'gt', 'ledger');
      expect(existsSync(loose)).toBe(false);
      const packedTip = r.git('rev-parse', 'gt/ledger').trim();
      expect(r.git('show-ref', 'refs/heads/gt/ledger')).toContain(packedTip);

      // Reads: with the index gone, every object comes out of the pack.
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      const listed = r.gtJson<BeadJson[]>('list', '--all');
      expect(listed.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      const shown = r.gtJson<BeadJson[]>('show', a.id)[0]!;
      expect(shown).toMatchObject({ id: a.id, title: 'Alpha', status: 'in_progress', labels: ['one'] });
      const fromGit = parseYaml(r.git('show', `gt/ledger:${ledgerFile('beads', a.id)}`)) as Record<string, unknown>;
      expect(fromGit).toMatchObject({ id: a.id, title: 'Alpha', status: 'in_progress', labels: ['one'] });
      const history = r.gtJson<{ commit: string }[]>('log', a.id);
      expect(history.map((h) => h.commit)).toEqual(r.git('log', '--format=%H', 'gt/ledger', '--', ledgerFile('beads', a.id)).trim().split('\n'));

      // Writes: the ref moves from its packed value; git sees exactly what gt did.
      const c = r.gtJson<BeadJson>('create', 'Gamma');
      r.gtOk('update', b.id, '--add-label', 'after-gc');
      expect(r.git('log', '-2', '--format=%s', 'gt/ledger').trim().split('\n')).toEqual([`update ${b.id}: labels`, `create ${c.id}: Gamma`]);
      expect(r.git('rev-parse', 'gt/ledger~2').trim()).toBe(packedTip);
      expect(existsSync(loose)).toBe(true);
      expect(r.git('ls-tree', '-r', '--name-only', 'gt/ledger', '--', 'beads').trim().split('\n').sort()).toEqual([a.id, b.id, c.id].map((id) => ledgerFile('beads', id)).sort());

      // Native update-ref moves the ledger back and forth; gt follows.
      const tip = r.git('rev-parse', 'gt/ledger').trim();
      r.git('update-ref', 'refs/heads/gt/ledger', packedTip, tip);
      expect(r.gtJson<BeadJson[]>('list', '--all').map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      r.git('update-ref', 'refs/heads/gt/ledger', tip, packedTip);
      expect(r.gtJson<BeadJson[]>('show', b.id)[0]!.labels).toEqual(['after-gc']);

      // A commit made with git plumbing, then packed again: gt reads it and builds on it.
      const edited = r.git('show', `gt/ledger:${ledgerFile('beads', c.id)}`).replace('title: Gamma', 'title: Gamma (edited natively)');
      const blob = execGit(r, ['hash-object', '-w', '--stdin'], edited).trim();
      const indexFile = join(r.dir, '.git', 'tmp-index');
      const env = { GIT_INDEX_FILE: indexFile };
      execGit(r, ['read-tree', 'gt/ledger'], undefined, env);
      execGit(r, ['update-index', '--cacheinfo', `100644,${blob},${ledgerFile('beads', c.id)}`], undefined, env);
      const tree = execGit(r, ['write-tree'], undefined, env).trim();
      rmSync(indexFile, { force: true });
      const native = execGit(r, ['commit-tree', tree, '-p', tip, '-m', 'native edit']).trim();
      r.git('update-ref', 'refs/heads/gt/ledger', native, tip);
      r.git('gc', '--quiet');
      r.git('pack-refs', '--all');
      expect(existsSync(loose)).toBe(false);
      expect(r.git('count-objects', '-v')).toMatch(/^count: 0$/m);
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      expect(r.gtJson<BeadJson[]>('show', c.id)[0]!.title).toBe('Gamma (edited natively)');
      r.gtOk('update', c.id, '-p', '4');
      expect(r.git('rev-parse', 'gt/ledger^').trim()).toBe(native);
      expect(r.gtJson<BeadJson[]>('show', c.id)[0]).toMatchObject({ title: 'Gamma (edited natively)', priority: 4 });
      // init, 3 creates, 2 updates before the native commit, 1 after.
      expect(r.git('log', '--format=%s', 'gt/ledger').trim().split('\n')).toHaveLength(8);
      expect(doctor(r.dir)).toEqual([]);
      expectFsckClean(r.dir);
    }),
  );

  it(
    'an old unreachable object gt reuses is freshened, so a concurrent git gc cannot prune it from under the new commit',
    withRepo((r) => {
      r.gtOk('init', '--prefix', 'gt');
      const commit = r.git('rev-parse', 'gt/ledger').trim();
      const tree = r.git('rev-parse', 'gt/ledger^{tree}').trim();
      const blob = r.git('rev-parse', 'gt/ledger:gt.yaml').trim();
      // The ledger is deleted; its objects linger, unreachable and a month old: prunable by `git gc`.
      r.git('update-ref', '-d', 'refs/heads/gt/ledger');
      const objectPath = (oid: string): string => join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
      const monthAgo = (Date.now() - 30 * 24 * 3600 * 1000) / 1000;
      for (const oid of [commit, tree, blob]) utimesSync(objectPath(oid), monthAgo, monthAgo);
      expect(r.git('prune', '--dry-run', '--expire=2.weeks.ago')).toContain(blob);

      // A new ledger with the same config reuses both objects: git would freshen them, and so must gt.
      r.gtOk('init', '--prefix', 'gt');
      expect(r.git('rev-parse', 'gt/ledger^{tree}').trim()).toBe(tree);
      for (const oid of [tree, blob]) expect(statSync(objectPath(oid)).mtimeMs).toBeGreaterThan((monthAgo + 7 * 24 * 3600) * 1000);
      r.git('update-ref', '-d', 'refs/heads/gt/ledger');
      expect(r.git('prune', '--dry-run', '--expire=2.weeks.ago')).not.toContain(blob);
    }),
  );

  it(
    'git update-ref refuses while a ledger.lock exists; gt takes it over only once it is stale (on the GT_NOW clock)',
    withGtRepo((r) => {
      const first = r.gtJson<BeadJson>('create', 'First');
      const tip = r.git('rev-parse', 'gt/ledger').trim();
      const init = r.git('rev-parse', 'gt/ledger^').trim();
      const lock = join(r.dir, '.git', 'refs', 'heads', 'gt', 'ledger.lock');

      // A fresh lock (a git process that is, or just was, updating the ref).
      writeFileSync(lock, `${init}\n`);
      const lockedAt = statSync(lock).mtimeMs;
      const refused = run('git', ['update-ref', 'refs/heads/gt/ledger', init, tip], r.dir);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/ledger\.lock': File exists/);
      // The lock's age is measured on gt's clock, here GT_NOW: however loaded the machine, the lock is
      // exactly as old as the test says.
      const aged = (ms: number): Record<string, string> => ({ ...STALE_ENV, GT_NOW: String(Math.floor(lockedAt) + ms) });
      // Younger than the stale time: a live lock. doctor does not call it stale, and gt does not steal it:
      // it gives up (after waiting twice the stale time) and leaves the lock and the ledger as they were.
      expect(doctor(r.dir, aged(STALE_MS - 500))).toEqual([]);
      const live = gtIn(r.dir, ['create', 'Not yet', '--json'], aged(STALE_MS - 500));
      expect(live.status, live.stdout).not.toBe(0);
      expect(live.stderr).toMatch(/ledger\.lock is held by another git process/);
      expect(existsSync(lock)).toBe(true);
      expect(r.git('rev-parse', 'gt/ledger').trim()).toBe(tip);
      // Older than the stale time: doctor reports it, and gt takes it over.
      expect(doctor(r.dir, aged(STALE_MS + 500)).map((f) => f.message)).toEqual([expect.stringMatching(/^stale lock .*ledger\.lock/)]);
      const second = gtJsonIn<BeadJson>(r.dir, ['create', 'Second'], aged(STALE_MS + 500));
      expect(existsSync(lock)).toBe(false);
      expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`create ${second.id}: Second`);
      expect(r.git('rev-parse', 'gt/ledger^').trim()).toBe(tip);

      // A lock left long ago: git still refuses (it never takes locks over); gt takes it at once.
      writeFileSync(lock, '');
      ageLock(lock);
      expect(run('git', ['update-ref', 'refs/heads/gt/ledger', init], r.dir).status).not.toBe(0);
      gtJsonIn(r.dir, ['update', first.id, '--add-label', 'after-stale-lock'], STALE_ENV);
      expect(existsSync(lock)).toBe(false);

      // With the lock gone, native git works again and agrees with gt.
      const now = r.git('rev-parse', 'gt/ledger').trim();
      r.git('update-ref', 'refs/heads/gt/ledger', now, now);
      expect(r.gtJson<BeadJson[]>('show', first.id)[0]!.labels).toEqual(['after-stale-lock']);
      expect(Number(r.git('rev-list', '--count', 'gt/ledger').trim())).toBe(4);
      expectFsckClean(r.dir);
    }),
  );
});

function execGit(r: TestRepo, args: string[], input?: string, env: Record<string, string> = {}): string {
  const result = spawnSync('git', args, { cwd: r.dir, encoding: 'utf8', env: { ...BASE_ENV, ...env }, ...(input !== undefined ? { input } : {}) });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------
// 4. isomorphic-git backend
// ---------------------------------------------------------------------------------------------------

describe('isomorphic-git backend', () => {
  let noGitPath: string;
  beforeAll(() => {
    // A PATH with no git on it: with GT_GIT_BACKEND=iso, any attempt to run git would fail.
    noGitPath = join(scratch, 'empty-path');
    mkdirSync(noGitPath, { recursive: true });
  });
  const isoEnv = (): Record<string, string> => ({ GT_GIT_BACKEND: 'iso', PATH: noGitPath });
  const nativeEnv = (): Record<string, string> => ({ GT_GIT_BACKEND: 'native' });

  /** Strips what legitimately differs between two runs: random ids, times, commit ids. */
  function normalizer(): { alias(id: string): void; norm(value: unknown): unknown } {
    const aliases = new Map<string, string>();
    const norm = (value: unknown): unknown => {
      if (typeof value === 'string') {
        let s = value
          .replace(/\b[0-9a-f]{40}\b/g, '<oid>')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
          // A write (`writes:`) names this repository's replica id and a clock-based counter.
          .replace(/\b([a-z0-9][a-z0-9._-]*)\.[a-z0-9]{8}@\d+/g, '$1.<replica>@<counter>');
        for (const [id, name] of aliases) s = s.replaceAll(id, name);
        return s;
      }
      if (Array.isArray(value)) return value.map(norm);
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => {
            // `seen:` maps a writer (actor and replica id) to its counter.
            const writer = /^([a-z0-9][a-z0-9._-]*)\.[a-z0-9]{8}$/.exec(k);
            return writer && typeof v === 'number' ? [`${writer[1]}.<replica>`, '<counter>'] : [norm(k) as string, norm(v)];
          }),
        );
      }
      return value;
    };
    return { alias: (id) => aliases.set(id, `<bead${aliases.size + 1}>`), norm };
  }

  /**
   * Two repositories give beads different random ids, so whatever gt sorts by id comes out in a different
   * order: across repositories, compare arrays as multisets. (Reads of one repository through both
   * backends are compared exactly, order included.)
   */
  function unordered(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value
        .map(unordered)
        .map((v) => [JSON.stringify(v), v] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => v);
    }
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unordered(v)]));
    return value;
  }

  /**
   * One scenario phase on a repo: writes as the overseer and two agents, a merge, then reads. Before each
   * command the index is removed, so that every object gt needs is read through the chosen backend.
   */
  function phase(r: TestRepo, env: Record<string, string>, ids: string[], n: ReturnType<typeof normalizer>, tag: string): unknown[] {
    const outputs: unknown[] = [];
    const gt = (args: string[]): unknown => {
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      const value = gtJsonIn<unknown>(r.dir, args, env);
      if (args.includes('create')) {
        ids.push((value as BeadJson).id);
        n.alias((value as BeadJson).id);
      }
      outputs.push(n.norm(value));
      return value;
    };
    const create = (...args: string[]): void => void gt(['create', ...args]);
    const [a, b] = [ids.length, ids.length + 1];
    create(`${tag} Alpha`, '-p', '1', '-l', 'x');
    create(`${tag} Beta`, '-t', 'bug');
    gt(['update', ids[a]!, '--title', `${tag} Alpha 2`, '--add-label', 'y', '--status', 'in_progress']);
    gt(['--as', 'alice', 'update', ids[b]!, '--claim']);
    gt(['--as', 'alice', 'update', ids[a]!, '--add-label', 'from-alice']);
    gt(['--as', 'alice', 'create', `${tag} Gamma by alice`]);
    gt(['update', ids[b]!, '-p', '0']);
    gt(['--as', 'bob', 'update', ids[a]!, '--title', `${tag} Alpha by bob`]);
    gt(['--as', 'alice', 'list', '--all']);
    gt(['merge']);
    gt(['list', '--all']);
    gt(['show', ...ids]);
    gt(['log', ids[a]!]);
    gt(['ready']);
    gt(['doctor']);
    return outputs;
  }

  /** Everything gt reads from the current state, through one backend, with the index removed. */
  function reads(r: TestRepo, env: Record<string, string>, ids: string[]): unknown[] {
    return [['list', '--all'], ['show', ...ids], ...ids.map((id) => ['log', id]), ['--as', 'alice', 'list', '--all'], ['stats'], ['doctor']].map((args) => {
      rmSync(join(r.dir, '.git', 'gt', 'index.json'), { force: true });
      return gtJsonIn(r.dir, args, env);
    });
  }

  /** What gt init (or doctor --fix) registers with git where git is installed. */
  const NATIVE_DRIVERS = [
    "registered gt's merge driver (git config merge.gt.driver)",
    "registered gt's diff driver (git config diff.gt.xfuncname)",
    "sent ledger files to gt's diff driver from every branch (info/attributes)",
  ];

  it(
    'init, create, update, agent writes and merge give the same results as the native backend, before and after git gc',
    withRepo((iso) => {
      const native = makeRepo();
      try {
        const runs = [
          { r: iso, env: isoEnv(), ids: [] as string[], n: normalizer(), out: [] as unknown[] },
          { r: native, env: nativeEnv(), ids: [] as string[], n: normalizer(), out: [] as unknown[] },
        ];
        for (const run of runs) {
          // Without a git binary there is nothing to register git's merge driver with; the rest is the same.
          const { merge_driver: driver, ...init } = gtJsonIn<Record<string, unknown>>(run.r.dir, ['init', '--prefix', 'gt'], run.env);
          expect(driver).toEqual(run.r === iso ? [] : NATIVE_DRIVERS);
          run.out.push(init);
          run.out.push(...phase(run.r, run.env, run.ids, run.n, 'fresh'));
        }
        expect(unordered(runs[0]!.out)).toEqual(unordered(runs[1]!.out));
        // Where git is installed later, gt doctor --fix registers the merge driver the iso init could not.
        expect(gtJsonIn<{ fixed: string[] }>(iso.dir, ['doctor', '--fix'], nativeEnv()).fixed).toEqual(NATIVE_DRIVERS);
        // The iso-written repository is a sound git repository, and both backends read it identically.
        expectFsckClean(iso.dir);
        expect(reads(iso, isoEnv(), runs[0]!.ids)).toEqual(reads(iso, nativeEnv(), runs[0]!.ids));
        expect(Number(iso.git('rev-list', '--count', '--merges', 'gt/ledger').trim())).toBe(2);

        // Pack everything; the iso backend must now read from packs (and packed-refs).
        for (const run of runs) {
          run.r.git('gc', '--quiet');
          run.r.git('pack-refs', '--all');
          expect(run.r.git('count-objects', '-v')).toMatch(/^count: 0$/m);
        }
        expect(reads(iso, isoEnv(), runs[0]!.ids)).toEqual(reads(iso, nativeEnv(), runs[0]!.ids));
        for (const run of runs) run.out = phase(run.r, run.env, run.ids, run.n, 'packed');
        expect(unordered(runs[0]!.out)).toEqual(unordered(runs[1]!.out));
        expect(reads(iso, isoEnv(), runs[0]!.ids)).toEqual(reads(iso, nativeEnv(), runs[0]!.ids));
        expect(reads(native, isoEnv(), runs[1]!.ids)).toEqual(reads(native, nativeEnv(), runs[1]!.ids));
        expectFsckClean(iso.dir);
        expect(Number(iso.git('rev-list', '--count', 'gt/ledger').trim())).toBe(Number(native.git('rev-list', '--count', 'gt/ledger').trim()));
      } finally {
        native.cleanup();
      }
    }),
    // ~130 gt runs, each on a cold index: the slowest test of npm test (about 2 minutes at a load
    // average of 16 on two cores). A wider safety net than the config's 300 s; not an assertion.
    600_000,
  );
});
