import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, spawnGt, ledgerFile } from '../helpers/repo.js';
import { until, alive, killSessions, SCRIPTED_AGENT } from '../helpers/sessions.js';
import { waitFor } from '../helpers/wait.js';
import { usePolecatRepo, type PolecatRow, type WitnessAction } from '../helpers/polecat-repo.js';

const town = usePolecatRepo();
const { create, spawn } = town;
const polecat = (name: string, env: Record<string, string> = {}): Polecat => town.polecat(name, env)!;
type Polecat = PolecatRow;
type Action = WitnessAction;
const r = town.r;

const STALLING = `SCRIPTED_STALL=1 sh '${SCRIPTED_AGENT}'`;
const MIN = 60_000;

const agentFile = (name: string): string => r.git('show', `gt/ledger:${ledgerFile('agents', name)}`);
/** A commit in a sandbox, dated `when` (activity as the witness sees it under an injected clock). */
const commitIn = (worktree: string, when: string): void => {
  execFileSync('git', ['-C', worktree, 'commit', '-q', '--allow-empty', '--no-verify', '-m', 'progress'], {
    env: { ...process.env, ...GIT_ENV, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
  });
};

describe('stall detection (injected time)', () => {
  it('nudges a stalled session once, restarts it witness.stall_after after the nudge, and leaves an active one alone', async () => {
    r.gtOk('config', 'set', 'runtime.command', STALLING);
    const stuckBead = create('Stalls');
    const busyBead = create('Keeps committing');
    const nux = spawn(stuckBead, '--name', 'nux');
    const furiosa = spawn(busyBead, '--name', 'furiosa');
    await until('both sessions print their line', () => ['nux', 'furiosa'].every((n) => r.gt(['peek', n]).stdout.includes('stalling (SCRIPTED_STALL)')));
    // Every sign of activity so far is before `base`: the sessions print one line, then nothing.
    const base = Date.now() + 1000;
    const at = (minutes: number): string => new Date(base + minutes * MIN).toISOString();
    /** One witness pass at base + `minutes`, furiosa having committed half a minute before. */
    const pass = (minutes: number): Action[] => {
      commitIn(furiosa.worktree, at(minutes - 0.5));
      const out = r.gt(['witness', '--once', '--json'], { env: { GT_NOW: at(minutes) } });
      expect(out.stderr).toBe('');
      const actions = JSON.parse(out.stdout) as Action[];
      for (const a of actions) if (a.pid !== undefined) town.pids.push(a.pid);
      return actions;
    };

    expect(polecat('nux', { GT_NOW: at(4) }).state).toBe('working');
    expect(pass(4)).toEqual([]);
    expect(polecat('nux', { GT_NOW: at(6) })).toMatchObject({ state: 'stalled', bead: stuckBead });
    expect(r.gt(['polecat', 'list'], { env: { GT_NOW: at(6) } }).stdout).toMatch(/^nux\s+stalled\s/m);

    const nudged = pass(6);
    expect(nudged).toMatchObject([{ kind: 'nudged', polecat: 'nux', bead: stuckBead }]);
    const inbox = JSON.parse(r.gt(['mail', 'check', '--json', '--as', 'nux']).stdout) as { nudges: { id: string; from: string; subject: string }[] };
    expect(inbox.nudges).toMatchObject([{ id: nudged[0]!.mail, from: 'witness' }]);
    expect(agentFile('nux')).toContain(`nudged_at: "${at(6)}"`);
    expect(agentFile('nux')).toMatch(/witness: stalled on .* nudged \(mail/);
    // Exactly one nudge, however many passes see it still stalled before witness.stall_after has passed.
    for (const m of [7, 9, 10.5]) expect(pass(m)).toEqual([]);
    expect(JSON.parse(r.gt(['mail', 'check', '--json', '--as', 'nux']).stdout)).toMatchObject({ unread: 1 });

    const stalledSession = polecat('nux').agent_pid!;
    const restarted = pass(11.5);
    // The witness ends the stalled session and counts the restart; nux's loop, still the same, starts the next.
    expect(restarted).toMatchObject([{ kind: 'restarted', polecat: 'nux', bead: stuckBead, restart: 1, reason: 'stalled', pid: nux.pid, session: stalledSession }]);
    expect(alive(stalledSession)).toBe(false);
    const newSession = await waitFor('the next session', () => {
      const p = polecat('nux', { GT_NOW: at(11.5) });
      return p.agent_pid !== undefined && p.agent_pid !== stalledSession ? p.agent_pid : undefined;
    });
    expect(alive(newSession)).toBe(true);
    expect(polecat('nux', { GT_NOW: at(11.5) })).toMatchObject({ state: 'working', pid: nux.pid, restarts: 1 });
    expect(agentFile('nux')).toMatch(/witness: session stalled .* restarted \(/);
    // The new session's prime opens with the nudge it had not read.
    expect(readFileSync(join(r.dir, '.git', 'gt', 'polecats', 'logs', 'nux.prime.md'), 'utf8')).toMatch(/^## ⚠ Nudge for you \(1\): read this first\n- \S+ from witness /);
    // The new session is a new episode: not stalled until witness.stall_after after its start.
    expect(pass(12)).toEqual([]);
    // Activity after the next nudge ends that episode: the stall after it gets a nudge again, not a restart.
    expect(pass(17)).toMatchObject([{ kind: 'nudged', polecat: 'nux' }]);
    commitIn(nux.worktree, at(17.5));
    expect(pass(22)).toEqual([]);
    expect(pass(23)).toMatchObject([{ kind: 'nudged', polecat: 'nux' }]);
    expect(polecat('nux', { GT_NOW: at(23) })).toMatchObject({ pid: nux.pid, agent_pid: newSession, restarts: 1, last_activity_source: 'commit' });

    // furiosa, committing all along, was left alone: same session, no nudge.
    expect(polecat('furiosa', { GT_NOW: at(23) })).toMatchObject({ state: 'working', pid: furiosa.pid });
    expect(polecat('furiosa', { GT_NOW: at(23) }).restarts).toBeUndefined();
    expect(JSON.parse(r.gt(['mail', 'check', '--json', '--as', 'furiosa']).stdout)).toMatchObject({ unread: 0 });
    expect(agentFile('furiosa')).not.toContain('nudged');
  });
});

describe('stall detection at the circuit breaker', () => {
  it('stops a session still stalled after its nudge when no restart is left, marks it stuck and mails the overseer', async () => {
    r.gtOk('config', 'set', 'runtime.command', STALLING);
    r.gtOk('config', 'set', 'witness.max_restarts', '0');
    const id = create('Stalls for good');
    const s = spawn(id);
    await until('the session prints its line', () => r.gt(['peek', 'nux']).stdout.includes('stalling'));
    const base = Date.now() + 1000;
    const pass = (minutes: number): Action[] => JSON.parse(r.gt(['witness', '--once', '--json'], { env: { GT_NOW: new Date(base + minutes * MIN).toISOString() } }).stdout) as Action[];
    expect(pass(6)).toMatchObject([{ kind: 'nudged', polecat: 'nux' }]);
    expect(pass(11.5)).toMatchObject([{ kind: 'stuck', polecat: 'nux', bead: id, restarts: 0 }]);
    // Its session ended by the witness, its loop sees the polecat stuck and leaves.
    await until('the loop gone', () => !alive(s.pid!));
    expect(polecat('nux')).toMatchObject({ state: 'stuck', bead: id });
    expect(r.gtJson<{ from: string; subject: string }[]>('mail', 'inbox')).toMatchObject([{ from: 'witness', subject: `⚠ nux stuck on ${id} after 0 restarts` }]);
    expect(pass(20)).toEqual([]);
    expect(agentFile('nux')).toMatch(/witness: session stalled since its nudge at .* stopped \(no restart left\); stuck on /);
  });
});

describe('gt watch', () => {
  it('runs the witness: a killed session is restarted and the line printed; no runtime.command is no failure while nothing needs a session', async () => {
    const child = spawnGt(['watch', '--witness-interval', '0.2s'], r.dir);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await until('watch starts with the witness', () => out.includes('witness every 0.2 s'));
      r.gtOk('config', 'set', 'runtime.command', STALLING);
      const id = create('Crashes');
      const s = spawn(id);
      await until('the session prints its line', () => r.gt(['peek', 'nux']).stdout.includes('stalling'));
      killSessions([s.pid!]);
      await until('watch restarts nux', () => out.includes(`↻ restarted nux (${id}, restart 1/3)`));
      const p = polecat('nux');
      town.pids.push(p.pid!);
      expect(p).toMatchObject({ state: 'working', restarts: 1 });
      expect(p.pid).not.toBe(s.pid);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopped\n$/);
      expect(err).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--no-witness runs only the observer; a bad --witness-interval is refused', async () => {
    const bad = r.gt(['watch', '--witness-interval', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--witness-interval');
    const child = spawnGt(['watch', '--no-witness'], r.dir);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await until('watch starts', () => out.includes('watching'));
      expect(out).not.toContain('witness');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
