import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGt } from '../helpers/repo.js';
import { until, untilRefsSay, alive, SCRIPTED_AGENT } from '../helpers/sessions.js';
import { usePolecatRepo, type PolecatRow, type Spawned } from '../helpers/polecat-repo.js';

const town = usePolecatRepo({ dirtyUserTree: true, prepare: (template) => template.gtOk('config', 'set', 'polecats.backoff', '100ms') });
const { create, statusOf, spawn, polecats, userUntouched, untilClosed } = town;
const polecat = (name: string): Polecat | undefined => town.polecat(name);
type Polecat = PolecatRow;
const r = town.r;

const AGENT = SCRIPTED_AGENT;

const witnessMail = (): { from: string; subject: string }[] => r.gtJson<{ from: string; subject: string }[]>('mail', 'inbox').filter((m) => m.from === 'witness');
const scripted = (mode = ''): string => `${mode}${mode ? ' ' : ''}sh '${AGENT}'`;

describe('gt convoy sling --spawn', () => {
  it('a 3-bead convoy slung with --spawn 2 lands: two loops take the first beads and the fed third', async () => {
    r.gtOk('config', 'set', 'runtime.command', scripted());
    const out = r.gtJson<{ convoy: { id: string; feed: string[] }; beads: { id: string }[]; polecats: Spawned[] }>('convoy', 'sling', 'Three things', '--task', 'One', '--task', 'Two', '--task', 'Three', '--spawn', '2');
    for (const p of out.polecats) if (p.pid !== null) town.pids.push(p.pid);
    expect(out.polecats.map((p) => p.polecat)).toEqual(['nux', 'furiosa']);
    expect(new Set(out.polecats.map((p) => p.bead)).size).toBe(2);
    expect(out.polecats.every((p) => out.beads.some((b) => b.id === p.bead))).toBe(true);
    expect([...out.convoy.feed].sort()).toEqual(['furiosa', 'nux']);
    expect(out.polecats.every((p) => p.pid !== null && !p.queued)).toBe(true);
    for (const b of out.beads) await untilClosed(b.id);
    await untilRefsSay('the convoy landed', r.dir, () => r.gtJson<{ status: string }>('convoy', 'status', out.convoy.id).status === 'closed');
    // Each bead was worked by one of the two polecats, in its own sandbox: three commits in all.
    const work = ['nux', 'furiosa'].map((n) => {
      try {
        return r.git('show', `polecat/${n}:scripted-work.txt`);
      } catch {
        return '';
      }
    });
    expect(work.join('').trim().split('\n')).toHaveLength(3);
    // The third was fed to a loop that was already running: no third polecat.
    expect(polecats().map((p) => p.name).sort()).toEqual(['furiosa', 'nux']);
    userUntouched();
  });

  it('beyond polecats.max the extra polecats queue, as sling --spawn queues', () => {
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${join(r.dir, '..', 'never')}' ]; do sleep 0.05; done`);
    r.gtOk('config', 'set', 'polecats.max', '1');
    const out = r.gtJson<{ polecats: Spawned[] }>('convoy', 'sling', 'Two things', '--task', 'One', '--task', 'Two', '--spawn', '2');
    for (const p of out.polecats) if (p.pid !== null) town.pids.push(p.pid);
    expect(out.polecats).toMatchObject([
      { polecat: 'nux', queued: false },
      { polecat: 'furiosa', queued: true, pid: null },
    ]);
    expect(polecat('furiosa')?.state).toBe('queued');
    const bad = r.gt(['convoy', 'sling', 'X', '--task', 'a', '--spawn', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--spawn');
  });
});

describe('the propulsion loop', () => {
  it('crash-once: the loop restarts the crashed session and the bead closes', async () => {
    r.gtOk('config', 'set', 'runtime.command', scripted('SCRIPTED_CRASH_ONCE=1'));
    const id = create('Crashes once');
    const s = spawn(id);
    await untilClosed(id);
    expect(r.gtOk('peek', 'nux', '-n', '50')).toContain(`crashing on ${id} (once)`);
    expect(r.git('log', '--format=%s', 'gt/ledger')).toContain(`polecat nux: session`);
    expect(r.git('log', '--format=%s', 'gt/ledger')).toMatch(new RegExp(`no progress on ${id}; restart 1/3`));
    expect(alive(s.pid!)).toBe(true);
    userUntouched();
  });

  it('kill-my-loop-once: the session kills its loop and itself; gt witness --once restarts it and the bead closes', async () => {
    r.gtOk('config', 'set', 'runtime.command', scripted('SCRIPTED_KILL_LOOP_ONCE=1'));
    const id = create('Machine crash');
    const s = spawn(id);
    await until('the loop gone', () => !alive(s.pid!));
    await until('nux dead', () => polecat('nux')?.state === 'dead');
    const actions = r.gtJson<{ kind: string; pid: number; restart: number }[]>('witness', '--once');
    for (const a of actions) town.pids.push(a.pid);
    expect(actions).toMatchObject([{ kind: 'restarted', restart: 1 }]);
    await untilClosed(id);
    expect(r.git('show', 'polecat/nux:scripted-work.txt')).toBe(`nux ${id}: Machine crash\n`);
    userUntouched();
  });

  it('an agent that always fails: stuck after witness.max_restarts, exactly one escalation mail', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'echo "failing on $GT_BEAD"; exit 7');
    r.gtOk('config', 'set', 'witness.max_restarts', '2');
    const id = create('Impossible');
    const s = spawn(id);
    await until('nux stuck', () => polecat('nux')?.state === 'stuck');
    await until('the loop gone', () => !alive(s.pid!));
    expect(polecat('nux')).toMatchObject({ state: 'stuck', bead: id, restarts: 2 });
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');
    expect(witnessMail()).toEqual([expect.objectContaining({ subject: `⚠ nux stuck on ${id} after 2 restarts` })]);
    // Started by hand on a stuck bead, the loop leaves at once and mails nobody again.
    const again = r.gt(['polecat', 'run', 'nux']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`nux is stuck on ${id}`);
    expect(witnessMail()).toHaveLength(1);
    expect(statusOf(id)).toBe('hooked');
    userUntouched();
  });

  it('handoff-once: the next session finds the message first in its prime, not counted as a restart, and the bead closes', async () => {
    r.gtOk('config', 'set', 'runtime.command', scripted('SCRIPTED_HANDOFF_ONCE=1'));
    const id = create('Long task');
    spawn(id);
    await untilClosed(id);
    const log = r.gtOk('peek', 'nux', '-n', '50');
    expect(log).toContain(`handing off ${id} (once)`);
    expect(log).toContain(`⇢ nux: handing off ${id}`);
    expect(log).toContain('my prime shows the handoff');
    expect(log).toContain(`handoff session of nux for ${id}`);
    const ledger = r.git('log', '--format=%s', 'gt/ledger');
    expect(ledger).toContain(`handed off on ${id}`);
    expect(ledger).not.toContain('restart 1/');
    userUntouched();
  });

  it("a session that only advances its bead's molecule made progress: no restart counted, the next session goes on", async () => {
    mkdirSync(join(r.dir, '.gt', 'formulas'), { recursive: true });
    writeFileSync(
      join(r.dir, '.gt', 'formulas', 'trio.formula.toml'),
      'formula = "trio"\nversion = 1\n[[steps]]\nid = "one"\ntitle = "One"\n[[steps]]\nid = "two"\ntitle = "Two"\nneeds = ["one"]\n[[steps]]\nid = "three"\ntitle = "Three"\nneeds = ["two"]\n',
    );
    // One step per session, then exit: with no restart allowed, a session judged fruitless would make it stuck.
    r.gtOk('config', 'set', 'runtime.command', 'gt mol step done');
    r.gtOk('config', 'set', 'witness.max_restarts', '0');
    const id = create('Three steps');
    r.gtOk('sling', id, 'ann', '--formula', 'trio', '--create-agent');
    r.gtOk('unsling', id);
    spawn(id);
    await untilClosed(id);
    expect(polecat('nux')?.state).toBe('idle');
    const ledger = r.git('log', '--format=%s', 'gt/ledger');
    expect(ledger.match(new RegExp(`polecat nux: session \\d+ ended, progress on ${id}`, 'g'))!.length).toBeGreaterThanOrEqual(3);
    expect(ledger).not.toContain('stuck');
    expect(witnessMail()).toEqual([]);
  });

  it('gt handoff outside a loop session: one clear line, exit 1', () => {
    const asOverseer = r.gt(['handoff', '-m', 'hello']);
    expect(asOverseer.status).toBe(1);
    expect(asOverseer.stderr.trim().split('\n')).toHaveLength(1);
    expect(asOverseer.stderr).toContain('gt handoff ends a polecat session its loop started');
    const asAgent = r.gt(['handoff'], { env: { GT_AGENT: 'nux' } });
    expect(asAgent.status).toBe(1);
    expect(asAgent.stderr).toContain('GT_LOOP_PID is not set for nux');
  });

  it('idle_exit: with nothing more on its hook the loop exits and the polecat is idle', async () => {
    r.gtOk('config', 'set', 'runtime.command', scripted());
    r.gtOk('config', 'set', 'polecats.idle_exit', '300ms');
    const id = create('Quick');
    const s = spawn(id);
    await untilClosed(id);
    await until('the loop exits', () => !alive(s.pid!));
    expect(polecat('nux')).toMatchObject({ name: 'nux', state: 'idle' });
    expect(polecat('nux')?.pid).toBeUndefined();
    expect(r.git('log', '--format=%s', 'gt/ledger')).toContain(`polecat nux: idle, loop ${s.pid} exits`);
    // The witness has nothing to restart, and the next spawn starts a new loop in the same sandbox.
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');
    const next = create('Later');
    const again = spawn(next);
    expect(again).toMatchObject({ polecat: 'nux', worktree: s.worktree });
    expect(again.pid).not.toBe(s.pid);
    await untilClosed(next);
    userUntouched();
  });

  it('gt polecat stop ends the loop and its session; run in the foreground, the loop does the work', async () => {
    const never = join(r.dir, '..', 'never');
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${never}' ]; do sleep 0.05; done`);
    const id = create('Waits');
    const s = spawn(id);
    await until('a session', () => polecat('nux')?.agent_pid !== undefined);
    const session = polecat('nux')!.agent_pid!;
    const stopped = r.gtJson<{ processes: { loop: { pid: number }; session: { pid: number } } }>('polecat', 'stop', 'nux');
    expect(stopped.processes).toMatchObject({ loop: { pid: s.pid }, session: { pid: session } });
    expect(alive(s.pid!)).toBe(false);
    expect(alive(session)).toBe(false);
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');

    r.gtOk('config', 'set', 'runtime.command', scripted());
    r.gtOk('config', 'set', 'polecats.idle_exit', '100ms');
    const child = spawnGt(['polecat', 'run', 'nux'], r.dir);
    town.pids.push(child.pid!);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    expect(await exited).toBe(0);
    expect(statusOf(id)).toBe('closed');
    expect(out).toContain(`✓ nux: session ended (exit 0), progress on ${id}`);
    expect(out).toContain('the loop exits');
  });
});

describe('concurrent spawns', () => {
  it('three gt sling --spawn at once get three distinct polecats, and never more loops than polecats.max', async () => {
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${join(r.dir, '..', 'never')}' ]; do sleep 0.05; done`);
    r.gtOk('config', 'set', 'polecats.max', '2');
    const ids = [create('A'), create('B'), create('C')];
    const runs = ids.map((id) => {
      const child = spawnGt(['sling', id, '--spawn', '--json'], r.dir);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      return new Promise<Spawned>((done, fail) => child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as Spawned) : fail(new Error(`sling exited ${code}`)))));
    });
    const results = await Promise.all(runs);
    for (const s of results) if (s.pid !== null) town.pids.push(s.pid);
    expect(new Set(results.map((s) => s.polecat)).size).toBe(3);
    expect(results.filter((s) => s.queued)).toHaveLength(1);
    expect(results.filter((s) => !s.queued && s.pid !== null && alive(s.pid))).toHaveLength(2);
    userUntouched();
  });
});
