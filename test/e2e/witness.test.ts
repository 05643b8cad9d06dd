import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, spawnGt, type TestRepo } from '../helpers/repo.js';
import { until, alive, killSessions, SCRIPTED_AGENT } from '../helpers/sessions.js';

const AGENT = SCRIPTED_AGENT;

interface Spawned {
  polecat: string;
  bead: string;
  worktree: string;
  pid: number | null;
  queued: boolean;
}
interface Polecat {
  name: string;
  state: string;
  bead?: string;
  pid?: number;
  restarts?: number;
}
interface Action {
  kind: string;
  polecat: string;
  bead: string;
  pid?: number;
  restart?: number;
  mail?: string;
}

let r: TestRepo;
/** Every session a test started: killed (with its process group) after it, whatever happened. */
let pids: number[] = [];
beforeEach(() => {
  r = makeRepo();
  r.gtOk('init', '--prefix', 'gt');
  pids = [];
});
afterEach(() => {
  killSessions(pids);
  r.cleanup();
});

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const statusOf = (id: string): string => (r.gtJson<{ status: string }[]>('show', id)[0]!).status;
const spawn = (...args: string[]): Spawned => {
  const s = r.gtJson<Spawned>('sling', ...args, '--spawn');
  if (s.pid !== null) pids.push(s.pid);
  return s;
};
const polecats = (): Polecat[] => r.gtJson<Polecat[]>('polecat', 'list');
const polecat = (name: string): Polecat => polecats().find((p) => p.name === name)!;
const witness = (): Action[] => {
  const actions = r.gtJson<Action[]>('witness', '--once');
  for (const a of actions) if (a.pid !== undefined) pids.push(a.pid);
  return actions;
};
const overseerMail = (): { from: string; subject: string; body?: string }[] => r.gtJson('mail', 'inbox');

describe('gt witness', () => {
  it('restarts a dead session for the same bead until witness.max_restarts, then marks it stuck and mails the overseer once', async () => {
    const headBefore = r.git('rev-parse', 'HEAD');
    const statusBefore = r.git('status', '--porcelain');
    r.gtOk('config', 'set', 'runtime.command', 'true');
    r.gtOk('config', 'set', 'witness.max_restarts', '2');
    const id = create('Never finishes');
    const s = spawn(id);
    expect(s).toMatchObject({ polecat: 'nux', bead: id, queued: false });
    await until('nux dead', () => polecat('nux').state === 'dead');

    for (const n of [1, 2]) {
      const tip = r.git('rev-parse', 'gt/ledger');
      const actions = witness();
      expect(actions).toMatchObject([{ kind: 'restarted', polecat: 'nux', bead: id, restart: n }]);
      // One ledger commit per pass.
      expect(r.git('rev-list', '--count', `${tip.trim()}..gt/ledger`).trim()).toBe('1');
      expect(polecat('nux')).toMatchObject({ bead: id, pid: actions[0]!.pid, restarts: n });
      await until(`restart ${n} ends`, () => polecat('nux').state === 'dead');
    }
    expect(overseerMail()).toEqual([]);
    const stuck = witness();
    expect(stuck).toMatchObject([{ kind: 'stuck', polecat: 'nux', bead: id }]);
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');
    expect(witness()).toEqual([]);
    expect(polecat('nux')).toMatchObject({ state: 'stuck', bead: id, restarts: 2 });
    expect(r.gtOk('polecat', 'list')).toMatch(/^nux\s+stuck\s/);
    const mail = overseerMail();
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ from: 'witness', subject: `⚠ nux stuck on ${id} after 2 restarts` });
    expect(mail[0]!.body).toContain(`gt peek nux`);
    // Nothing deleted: the work is still hooked, the sandbox is there, the log tells the story.
    expect(statusOf(id)).toBe('hooked');
    expect(existsSync(s.worktree)).toBe(true);
    expect(r.gtOk('peek', 'nux')).toContain('restart 2/2 of nux');
    expect(r.git('rev-parse', 'HEAD')).toBe(headBefore);
    expect(r.git('status', '--porcelain')).toBe(statusBefore);

    // A new bead is a new episode: the count starts again, and a later stuck mails again.
    r.gtOk('unsling', id);
    const next = create('Also never finishes');
    expect(spawn(next, '--name', 'nux')).toMatchObject({ polecat: 'nux', queued: false });
    await until('nux dead on the new bead', () => polecat('nux').state === 'dead');
    expect(witness()).toMatchObject([{ kind: 'restarted', polecat: 'nux', bead: next, restart: 1 }]);
    await until('nux dead again', () => polecat('nux').state === 'dead');
    expect(witness()).toMatchObject([{ kind: 'restarted', polecat: 'nux', bead: next, restart: 2 }]);
    await until('nux dead once more', () => polecat('nux').state === 'dead');
    expect(witness()).toMatchObject([{ kind: 'stuck', polecat: 'nux', bead: next }]);
    expect(overseerMail()).toHaveLength(2);
  });

  it('without --once runs a pass every --interval seconds until SIGTERM', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'true');
    r.gtOk('config', 'set', 'witness.max_restarts', '1');
    const id = create('Gives up');
    spawn(id);
    await until('nux dead', () => polecat('nux').state === 'dead');
    const bad = r.gt(['witness', '--interval', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--interval');
    const child = spawnGt(['witness', '--interval', '0.1'], r.dir);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await until('the witness marks nux stuck', () => out.includes(`⚠ nux stuck on ${id} after 1 restart: mailed the overseer`));
      expect(out).toContain(`↻ restarted nux (${id}, restart 1/1)`);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopped\n$/);
    } finally {
      child.kill('SIGKILL');
    }
    expect(overseerMail()).toHaveLength(1);
    const restarted = polecat('nux').pid;
    if (restarted !== undefined) pids.push(restarted);
  });

  it('prints one line per action', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'true');
    r.gtOk('config', 'set', 'witness.max_restarts', '1');
    const id = create('Gives up');
    spawn(id, '--name', 'furiosa');
    await until('furiosa dead', () => polecat('furiosa').state === 'dead');
    const out = r.gtOk('witness', '--once');
    expect(out).toBe(`↻ restarted furiosa (${id}, restart 1/1)\n`);
    await until('furiosa dead again', () => polecat('furiosa').state === 'dead');
    expect(r.gtOk('witness', '--once')).toBe(`⚠ furiosa stuck on ${id} after 1 restart: mailed the overseer\n`);
  });

  it('queues a spawn beyond polecats.max and starts it from the queue once a slot is free', async () => {
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'polecats.max', '1');
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${go}' ]; do sleep 0.05; done; sh '${AGENT}'`);
    const a = create('First');
    const b = create('Second');
    const first = spawn(a);
    expect(first.queued).toBe(false);
    const second = spawn(b);
    expect(second).toMatchObject({ polecat: 'furiosa', bead: b, pid: null, queued: true });
    expect(existsSync(second.worktree)).toBe(true);
    expect(statusOf(b)).toBe('hooked');
    expect(polecat('furiosa')).toMatchObject({ state: 'queued', bead: b });
    expect(polecat('furiosa').pid).toBeUndefined();
    // The text form says it waits.
    const c = create('Third');
    expect(r.gtOk('sling', c, '--spawn')).toContain('waits for a slot');
    // No slot while nux runs: nothing starts.
    expect(witness()).toEqual([]);
    expect(polecat('furiosa').state).toBe('queued');

    writeFileSync(go, '');
    await until(`${a} closed`, () => statusOf(a) === 'closed');
    await until('nux session gone', () => !alive(first.pid!));
    const started = witness();
    // Oldest first: furiosa was queued before slit; one slot.
    expect(started).toMatchObject([{ kind: 'started', polecat: 'furiosa', bead: b }]);
    // Its session may already have finished (the gate file exists): working or done, but no longer queued.
    const furiosa = polecat('furiosa');
    expect(furiosa.pid).toBe(started[0]!.pid);
    expect(['working', 'idle']).toContain(furiosa.state);
    expect(polecat('slit').state).toBe('queued');
    await until(`${b} closed`, () => statusOf(b) === 'closed');
  });
});

describe('gt witness and gt polecat stop', () => {
  it('leaves a polecat stopped by hand alone: it is neither restarted nor started from the queue', async () => {
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${go}' ]; do sleep 0.05; done`);
    const id = create('Paused');
    const s = spawn(id);
    r.gtOk('polecat', 'stop', 'nux');
    await until('nux session gone', () => !alive(s.pid!));
    expect(statusOf(id)).toBe('hooked');
    expect(witness()).toEqual([]);
    expect(polecat('nux')).toMatchObject({ state: 'dead', bead: id });
  });
});
