import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGt } from '../helpers/repo.js';
import { waitFor } from '../helpers/wait.js';
import { until, alive, SCRIPTED_AGENT } from '../helpers/sessions.js';
import { usePolecatRepo, type PolecatRow } from '../helpers/polecat-repo.js';

const town = usePolecatRepo();
const { create, statusOf, spawn, witness, untilClosed } = town;
const polecat = (name: string): Polecat => town.polecat(name)!;
type Polecat = PolecatRow;
const r = town.r;

const AGENT = SCRIPTED_AGENT;

const overseerMail = (): { from: string; subject: string; body?: string }[] => r.gtJson('mail', 'inbox');

interface Listed extends Polecat {
  agent_pid?: number;
}
const listed = (name: string): Listed => r.gtJson<Listed[]>('polecat', 'list').find((p) => p.name === name)!;
const ledgerLog = (): string => r.git('log', '--format=%s', 'gt/ledger');
/** A session that notes its pid in `starts`, then waits for `go` before doing the work (the scripted agent). */
const gatedSession = (starts: string, go: string): string => {
  const script = join(r.dir, '..', 'gated-session.sh');
  writeFileSync(script, `echo "start $$" >> '${starts}'\nwhile [ ! -e '${go}' ]; do sleep 0.05; done\nexec sh '${AGENT}'\n`);
  return `sh '${script}'`;
};

describe('the loop and the witness', () => {
  it('the loop restarts a session that makes no progress until witness.max_restarts, then marks it stuck and mails the overseer once; the witness adds nothing', async () => {
    const headBefore = r.git('rev-parse', 'HEAD');
    const statusBefore = r.git('status', '--porcelain');
    r.gtOk('config', 'set', 'runtime.command', 'true');
    r.gtOk('config', 'set', 'witness.max_restarts', '2');
    r.gtOk('config', 'set', 'polecats.backoff', '100ms');
    const id = create('Never finishes');
    const s = spawn(id);
    expect(s).toMatchObject({ polecat: 'nux', bead: id, queued: false });
    await until('nux stuck', () => polecat('nux').state === 'stuck');
    await until('its loop gone', () => !alive(s.pid!));
    expect(polecat('nux')).toMatchObject({ state: 'stuck', bead: id, restarts: 2 });
    const log = ledgerLog();
    expect(log).toContain(`no progress on ${id}; restart 1/2`);
    expect(log).toContain(`no progress on ${id}; restart 2/2`);
    expect(log).toContain(`polecat nux: stuck on ${id} after 2 restarts`);
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');
    expect(witness()).toEqual([]);
    expect(r.gtOk('polecat', 'list')).toMatch(/^nux\s+stuck\s/);
    const mail = overseerMail();
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ from: 'witness', subject: `⚠ nux stuck on ${id} after 2 restarts` });
    expect(mail[0]!.body).toContain(`gt peek nux`);
    // Nothing deleted: the work is still hooked, the sandbox is there, the log tells the story.
    expect(statusOf(id)).toBe('hooked');
    expect(existsSync(s.worktree)).toBe(true);
    expect(r.gtOk('peek', 'nux', '-n', '50')).toContain('restart 2/2 of nux');
    expect(r.git('rev-parse', 'HEAD')).toBe(headBefore);
    expect(r.git('status', '--porcelain')).toBe(statusBefore);

    // A new bead is a new episode: the count starts again, and a later stuck mails again.
    r.gtOk('unsling', id);
    const next = create('Also never finishes');
    expect(spawn(next, '--name', 'nux')).toMatchObject({ polecat: 'nux', queued: false });
    await until('nux stuck on the new bead', () => polecat('nux').state === 'stuck' && polecat('nux').bead === next);
    expect(overseerMail()).toHaveLength(2);
  });

  it('a SIGKILLed session: its loop restarts it after the backoff and the bead closes', async () => {
    const starts = join(r.dir, '..', 'starts');
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'runtime.command', gatedSession(starts, go));
    r.gtOk('config', 'set', 'polecats.backoff', '100ms');
    const id = create('Survives a kill');
    const s = spawn(id);
    const first = await waitFor('the first session', () => listed('nux').agent_pid);
    await until('the first session noted itself', () => existsSync(starts));
    process.kill(-first, 'SIGKILL');
    await until('a second session', () => readFileSync(starts, 'utf8').trim().split('\n').length === 2);
    expect(alive(s.pid!)).toBe(true);
    writeFileSync(go, '');
    await untilClosed(id);
    expect(ledgerLog()).toContain(`no progress on ${id}; restart 1/3`);
    expect(r.git('log', '--format=%B', 'main..polecat/nux').match(/Closes: /g)).toHaveLength(1);
    await until('nux idle', () => polecat('nux').state === 'idle');
    expect(overseerMail().filter((m) => m.from === 'witness')).toEqual([]);
  });

  it('a SIGKILLed loop: the witness ends the session it left, then restarts the loop, one agent on the bead at a time, nothing lost', async () => {
    const headBefore = r.git('rev-parse', 'HEAD');
    const starts = join(r.dir, '..', 'starts');
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'runtime.command', gatedSession(starts, go));
    const id = create('Outlives its loop');
    const s = spawn(id);
    const leftover = await waitFor('the first session', () => listed('nux').agent_pid);
    process.kill(s.pid!, 'SIGKILL');
    await until('the loop gone', () => !alive(s.pid!));
    expect(alive(leftover)).toBe(true);
    expect(polecat('nux')).toMatchObject({ state: 'dead', bead: id });

    const actions = witness();
    expect(actions).toMatchObject([{ kind: 'restarted', polecat: 'nux', bead: id, restart: 1, leftover }]);
    // The old session was gone before the new loop started: never two agents on the bead.
    expect(alive(leftover)).toBe(false);
    expect(polecat('nux')).toMatchObject({ pid: actions[0]!.pid, restarts: 1 });
    await until('the second session', () => readFileSync(starts, 'utf8').trim().split('\n').length === 2);
    expect(witness()).toEqual([]);
    writeFileSync(go, '');
    await untilClosed(id);
    expect(r.git('show', 'polecat/nux:scripted-work.txt')).toBe(`nux ${id}: Outlives its loop\n`);
    expect(r.git('rev-parse', 'HEAD')).toBe(headBefore);
  });

  it('without --once runs a pass every --interval seconds until SIGTERM; a dead loop with no restart left is stuck, mailed once', async () => {
    const go = join(r.dir, '..', 'never');
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${go}' ]; do sleep 0.05; done`);
    r.gtOk('config', 'set', 'witness.max_restarts', '1');
    const id = create('Gives up');
    const s = spawn(id);
    const leftover = await waitFor('the first session', () => listed('nux').agent_pid);
    process.kill(s.pid!, 'SIGKILL');
    await until('nux dead', () => polecat('nux').state === 'dead');
    const bad = r.gt(['witness', '--interval', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--interval');
    const child = spawnGt(['witness', '--interval', '0.1'], r.dir);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await until('the witness restarts nux', () => out.includes(`↻ restarted nux (${id}, restart 1/1), after ending its leftover session ${leftover}`));
      const restarted = polecat('nux').pid!;
      town.pids.push(restarted);
      await waitFor('the restarted session', () => (listed('nux').agent_pid !== undefined ? true : undefined));
      process.kill(restarted, 'SIGKILL');
      await until('the witness marks nux stuck', () => out.includes(`⚠ nux stuck on ${id} after 1 restart: mailed the overseer`));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopped\n$/);
    } finally {
      child.kill('SIGKILL');
    }
    expect(overseerMail()).toHaveLength(1);
    expect(r.gtOk('witness', '--once')).toBe('nothing to do\n');
  });

  it('queues a spawn beyond polecats.max and starts it from the queue once a slot is free', async () => {
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'polecats.max', '1');
    // nux's loop leaves as soon as its hook is empty, freeing the slot.
    r.gtOk('config', 'set', 'polecats.idle_exit', '100ms');
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
    await untilClosed(a);
    await until('nux loop gone', () => !alive(first.pid!));
    const started = witness();
    // Oldest first: furiosa was queued before slit; one slot.
    expect(started).toMatchObject([{ kind: 'started', polecat: 'furiosa', bead: b }]);
    // The witness recorded that loop; with idle_exit at 100 ms it may already have done the bead and
    // exited on a loaded machine (idle, no pid), so the list shows that pid only while it still runs.
    expect(ledgerLog()).toContain(`started furiosa (loop ${started[0]!.pid})`);
    const furiosa = polecat('furiosa');
    if (furiosa.state === 'working') expect(furiosa.pid).toBe(started[0]!.pid);
    expect(['working', 'idle']).toContain(furiosa.state);
    expect(polecat('slit').state).toBe('queued');
    await untilClosed(b);
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
