import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRepo } from '../helpers/repo.js';
import { until, alive } from '../helpers/sessions.js';
import { usePolecatRepo, type PolecatRow } from '../helpers/polecat-repo.js';

const town = usePolecatRepo({ dirtyUserTree: true });
const { create, statusOf, spawn, userUntouched, untilClosed } = town;
const polecat = (name: string): Polecat | undefined => town.polecat(name);
type Polecat = PolecatRow;
const r = town.r;

const branches = (): string => r.git('branch', '--list', 'polecat/*');
/** A session that stays alive until the test creates `file`. */
const waitFor = (file: string, then = 'true'): string => `while [ ! -e '${file}' ]; do sleep 0.05; done; ${then}`;

describe('gt polecat stop | remove | gc', () => {
  it('stop ends a live session, keeps the hook and the sandbox; a second stop says there is none', async () => {
    r.gtOk('config', 'set', 'runtime.command', waitFor(join(r.dir, '..', 'never')));
    const id = create('Long job');
    const s = spawn(id, '--name', 'nux');
    expect(polecat('nux')?.state).toBe('working');

    const stopped = r.gtJson<{ polecat: string; stopped: boolean; pid: number; signal: string; hooked: string[]; worktree: string }>('polecat', 'stop', 'nux');
    expect(stopped).toMatchObject({ polecat: 'nux', stopped: true, pid: s.pid, signal: 'SIGTERM', hooked: [id], worktree: s.worktree });
    expect(alive(s.pid!)).toBe(false);
    expect(polecat('nux')).toMatchObject({ name: 'nux', state: 'dead', bead: id, worktree: s.worktree });
    expect(polecat('nux')?.pid).toBeUndefined();
    expect(statusOf(id)).toBe('hooked');
    expect(existsSync(s.worktree)).toBe(true);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger')).toContain(`polecat nux: stopped loop ${s.pid} (SIGTERM)`);

    const again = r.gt(['polecat', 'stop', 'nux']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`nux has no live loop or session on this machine; ${id} stays hooked on nux`);
    const unknown = r.gt(['polecat', 'stop', 'nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no polecat matches 'nobody'");
    userUntouched();
  });

  it('remove refuses a live session, uncommitted work and unmerged commits; --force saves them to a rescue ref, then removes', async () => {
    const go = join(r.dir, '..', 'go');
    // The session commits one file, leaves another uncommitted, and stays alive until `go` exists.
    r.gtOk(
      'config',
      'set',
      'runtime.command',
      `echo one > one.txt && git add one.txt && git -c user.name=nux -c user.email=nux@x commit -q -m 'first piece' && echo loose > loose.txt && touch ready && ${waitFor(go)}`,
    );
    const id = create('Risky job');
    const s = spawn(id, '--name', 'nux');
    await until('session ready', () => existsSync(join(s.worktree, 'ready')));

    const live = r.gt(['polecat', 'remove', 'nux']);
    expect(live.status).toBe(1);
    expect(live.stderr).toContain(`nux's loop (pid ${s.pid}) is running; nothing was removed`);
    expect(live.stderr).toContain('gt polecat stop nux');

    r.gtOk('polecat', 'stop', 'nux');
    const refused = r.gt(['polecat', 'remove', 'nux']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('uncommitted changes in');
    expect(refused.stderr).toContain('?? loose.txt');
    expect(refused.stderr).toContain('?? ready');
    const sha = r.git('rev-parse', '--short', 'polecat/nux').trim();
    expect(refused.stderr).toContain(`1 commit on polecat/nux not in main or its base (${sha} first piece)`);
    expect(refused.stderr).toContain('gt polecat remove nux --force');
    expect(existsSync(s.worktree)).toBe(true);
    expect(branches()).toContain('polecat/nux');

    const tip = r.git('rev-parse', 'polecat/nux').trim();
    const removed = r.gtJson<{
      rescue: { ref: string; commit: string };
      uncommitted: string[];
      commits: string[];
      worktreeRemoved: boolean;
      branchDeleted: boolean;
      unslung: string[];
    }>('polecat', 'remove', 'nux', '--force');
    expect(removed.rescue.ref).toMatch(/^refs\/gt\/rescue\/nux\/\d{8}T\d{6}Z$/);
    expect(removed.uncommitted).toEqual(['?? loose.txt', '?? ready']);
    expect(removed.commits).toEqual([`${sha} first piece`]);
    expect(removed).toMatchObject({ worktreeRemoved: true, branchDeleted: true, unslung: [id] });
    // The rescue commit holds the uncommitted file on top of the branch tip.
    expect(r.git('rev-parse', removed.rescue.ref).trim()).toBe(removed.rescue.commit);
    expect(r.git('rev-parse', `${removed.rescue.ref}^`).trim()).toBe(tip);
    expect(r.git('show', `${removed.rescue.ref}:loose.txt`)).toBe('loose\n');
    expect(r.git('show', `${removed.rescue.ref}:one.txt`)).toBe('one\n');
    expect(existsSync(s.worktree)).toBe(false);
    expect(branches().trim()).toBe('');
    expect(r.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(statusOf(id)).toBe('open');
    expect(polecat('nux')).toMatchObject({ name: 'nux', state: 'idle' });
    expect(polecat('nux')?.worktree).toBeUndefined();
    userUntouched();
  });

  it('remove --force of a live session stops it first and prints the rescue ref', async () => {
    r.gtOk('config', 'set', 'runtime.command', `echo wip > wip.txt && touch ready && ${waitFor(join(r.dir, '..', 'never'))}`);
    const id = create('Stuck job');
    const s = spawn(id, '--name', 'slit');
    await until('session ready', () => existsSync(join(s.worktree, 'ready')));
    const out = r.gtOk('polecat', 'remove', 'slit', '--force');
    expect(out).toContain(`stopped slit (pid ${s.pid}, SIGTERM)`);
    const ref = /saved 2 uncommitted changes to (refs\/gt\/rescue\/slit\/\d{8}T\d{6}Z) /.exec(out)?.[1];
    expect(ref).toBeDefined();
    expect(r.git('show', `${ref}:wip.txt`)).toBe('wip\n');
    expect(out).toContain(`removed slit: sandbox ${s.worktree} and branch polecat/slit`);
    expect(out).toContain(`unslung ${id}: open again`);
    expect(alive(s.pid!)).toBe(false);
    expect(existsSync(s.worktree)).toBe(false);
    userUntouched();
  });

  it('gc removes a clean idle sandbox and leaves a dirty one; --dry-run removes nothing', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'gt done');
    // Loops that leave as soon as their hook is empty: gc keeps a sandbox whose loop still runs.
    r.gtOk('config', 'set', 'polecats.idle_exit', '100ms');
    const a = create('Nothing to change');
    const clean = spawn(a, '--name', 'nux');
    await untilClosed(a);
    await until('nux idle, its loop gone', () => polecat('nux')?.state === 'idle' && !alive(clean.pid!));
    r.gtOk('config', 'set', 'runtime.command', 'echo scratch > scratch.txt && gt done');
    const b = create('Leaves a mess');
    const dirty = spawn(b, '--name', 'slit');
    await untilClosed(b);
    await until('slit idle, its loop gone', () => polecat('slit')?.state === 'idle' && !alive(dirty.pid!));

    const dry = r.gtJson<{ dryRun: boolean; removed: { polecat: string }[]; kept: { polecat: string; why: string }[] }>('polecat', 'gc', '--dry-run');
    expect(dry.dryRun).toBe(true);
    expect(dry.removed.map((x) => x.polecat)).toEqual(['nux']);
    expect(dry.kept).toEqual([{ polecat: 'slit', why: expect.stringContaining('?? scratch.txt') }]);
    expect(existsSync(clean.worktree)).toBe(true);
    expect(r.gtOk('polecat', 'gc', '--dry-run')).toContain(`would remove nux: ${clean.worktree} and polecat/nux`);

    const out = r.gtOk('polecat', 'gc');
    expect(out).toContain(`removed nux: ${clean.worktree} and polecat/nux`);
    expect(out).toContain('kept slit: it holds 1 uncommitted change');
    expect(existsSync(clean.worktree)).toBe(false);
    expect(existsSync(dirty.worktree)).toBe(true);
    expect(branches()).not.toContain('polecat/nux');
    expect(branches()).toContain('polecat/slit');
    expect(polecat('nux')?.worktree).toBeUndefined();
    expect(r.git('for-each-ref', 'refs/gt/rescue').trim()).toBe('');
    expect(r.gtOk('polecat', 'gc')).toContain('no idle merged polecat sandbox to remove');
    userUntouched();
  });

  it('judges unmerged work against the sandbox base and refinery.target too, not only the main worktree HEAD', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'gt done');
    r.gtOk('config', 'set', 'polecats.idle_exit', '100ms');
    const a = create('Nothing to change');
    const s = spawn(a, '--name', 'nux');
    await until('nux idle, its loop gone', () => polecat('nux')?.state === 'idle' && !alive(s.pid!));
    // The user's HEAD moves to a branch made before the sandbox's base (index and files untouched):
    // the base commit is not in it, yet the sandbox holds nothing of its own.
    r.git('branch', 'older', 'HEAD~1');
    r.git('symbolic-ref', 'HEAD', 'refs/heads/older');
    try {
      const dry = r.gtJson<{ removed: { polecat: string }[]; kept: { polecat: string; why: string }[] }>('polecat', 'gc', '--dry-run');
      expect(dry.removed.map((x) => x.polecat)).toEqual(['nux']);
      // A commit of its own, merged into refinery.target (not into the user's HEAD), is not lost either.
      r.git('-C', s.worktree, '-c', 'user.name=nux', '-c', 'user.email=nux@x', 'commit', '-q', '--allow-empty', '-m', 'own work');
      const own = r.gt(['polecat', 'remove', 'nux']);
      expect(own.status).toBe(1);
      expect(own.stderr).toContain('1 commit on polecat/nux not in older or its base');
      r.git('branch', 'integration', 'polecat/nux');
      r.gtOk('config', 'set', 'refinery.target', 'integration');
      expect(r.gtJson<{ removed: { polecat: string }[] }>('polecat', 'gc', '--dry-run').removed.map((x) => x.polecat)).toEqual(['nux']);
    } finally {
      r.git('symbolic-ref', 'HEAD', 'refs/heads/main');
    }
    userUntouched();
  });
});
