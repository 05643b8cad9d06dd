import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { GIT_ENV, GT_BIN } from '../helpers/repo.js';
import { until, SCRIPTED_AGENT } from '../helpers/sessions.js';
import { usePolecatRepo } from '../helpers/polecat-repo.js';

const town = usePolecatRepo();
const { create, statusOf, spawn, polecats, untilClosed } = town;

const r = town.r;

const AGENT = SCRIPTED_AGENT;

const gitDir = (): string => join(r.dir, '.git');

describe('gt sling --spawn', () => {
  it('a scripted polecat does the work in its own sandbox, commits Closes:, runs gt done; the user tree is untouched', async () => {
    // A dirty user tree: a staged change and an untracked file.
    town.dirtyUserTree();
    const headBefore = r.git('rev-parse', 'HEAD');
    r.gtOk('config', 'set', 'runtime.command', `sh '${AGENT}'`);
    const id = create('Write the thing');

    const s = spawn(id);
    expect(s.polecat).toBe('nux');
    expect(s.bead).toBe(id);
    expect(s.worktree).toBe(join(gitDir(), 'gt', 'polecats', 'nux'));
    await untilClosed(id);
    expect(r.git('log', '-1', '--format=%B', 'polecat/nux')).toContain(`Closes: ${id}`);
    expect(r.git('show', 'polecat/nux:scripted-work.txt')).toBe(`nux ${id}: Write the thing\n`);
    // The sandbox branched from the user's HEAD.
    expect(r.git('rev-parse', 'polecat/nux~1').trim()).toBe(headBefore.trim());
    await until('nux idle', () => polecats()[0]?.state === 'idle');
    const [nux] = polecats();
    expect(nux).toMatchObject({ name: 'nux', state: 'idle', worktree: s.worktree, pid: s.pid });
    expect(nux!.started).toMatch(/^\d{4}-\d\d-\d\dT/);
    const peek = r.gtOk('peek', 'nux');
    expect(peek).toContain(`scripted agent nux: done with ${id}`);
    // The loop's own lines follow the session's in the log.
    expect(r.gtOk('peek', 'nux', '-n', '2')).toMatch(new RegExp(`scripted agent nux: done with ${id}\n.* ✓ nux: session ended \\(exit 0\\), progress on ${id}\n$`));
    // gt inside the sandbox acts as the polecat.
    const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_ENV };
    delete env.GT_AGENT;
    expect(execFileSync(process.execPath, [GT_BIN, 'prime'], { cwd: s.worktree, env, encoding: 'utf8' })).toContain('# You are nux (polecat)');
    town.userUntouched();

    // The idle polecat, its sandbox and its loop (still waiting for work) are reused for the next bead.
    const next = create('And the next');
    const again = spawn(next);
    expect(again).toMatchObject({ polecat: 'nux', worktree: s.worktree, pid: s.pid });
    await untilClosed(next);
    expect(r.git('show', 'polecat/nux:scripted-work.txt')).toBe(`nux ${id}: Write the thing\nnux ${next}: And the next\n`);
    town.userUntouched();
  });

  it('queues a spawn beyond polecats.max while a session runs; --name refuses a busy polecat', async () => {
    const go = join(r.dir, '..', 'go');
    r.gtOk('config', 'set', 'polecats.max', '1');
    r.gtOk('config', 'set', 'runtime.command', `while [ ! -e '${go}' ]; do sleep 0.05; done; sh '${AGENT}'`);
    const a = create('First');
    const b = create('Second');
    const c = create('Third');
    const s = spawn(a);
    expect(polecats()).toMatchObject([{ name: 'nux', state: 'working', bead: a, pid: s.pid }]);
    const queued = r.gtJson<{ polecat: string; pid: number | null; queued: boolean }>('sling', b, '--spawn');
    expect(queued).toMatchObject({ polecat: 'furiosa', pid: null, queued: true });
    expect(statusOf(b)).toBe('hooked');
    r.gtOk('config', 'set', 'polecats.max', '2');
    const busy = r.gt(['sling', c, '--spawn', '--name', 'nux']);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('nux is busy');
    expect(statusOf(c)).toBe('open');
    writeFileSync(go, '');
    await untilClosed(a);
    await until('nux idle', () => polecats().find((p) => p.name === 'nux')?.state === 'idle');
    expect(polecats().find((p) => p.name === 'furiosa')).toMatchObject({ state: 'queued', bead: b });
  });

  it('refuses without runtime.command (exit 2), writing nothing', () => {
    const id = create('Anything');
    const tip = r.git('rev-parse', 'gt/ledger');
    const result = r.gt(['sling', id, '--spawn']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("gt config set runtime.command '<cmd>'");
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
    expect(existsSync(join(gitDir(), 'gt', 'polecats'))).toBe(false);
  });

  it('runs the setup hooks in name order; a failing one refuses the spawn and leaves no sandbox', () => {
    mkdirSync(join(r.dir, '.gt', 'setup-hooks'), { recursive: true });
    const hook = (name: string, body: string): void => {
      writeFileSync(join(r.dir, '.gt', 'setup-hooks', name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(r.dir, '.gt', 'setup-hooks', name), 0o755);
    };
    hook('10-first', 'echo first ran in "$(pwd)"');
    hook('20-broken', 'echo broken >&2; exit 3');
    hook('30-never', 'echo never');
    r.git('add', '.gt');
    r.git('commit', '-q', '-m', 'hooks');
    r.gtOk('config', 'set', 'runtime.command', `sh '${AGENT}'`);
    const id = create('Needs setup');
    const tip = r.git('rev-parse', 'gt/ledger');
    const result = r.gt(['sling', id, '--spawn']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('setup hook .gt/setup-hooks/20-broken failed (exit 3)');
    expect(existsSync(join(gitDir(), 'gt', 'polecats', 'nux'))).toBe(false);
    expect(r.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(r.git('branch', '--list', 'polecat/*').trim()).toBe('');
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
    expect(statusOf(id)).toBe('open');
    const hookLog = readFileSync(join(gitDir(), 'gt', 'polecats', 'logs', 'nux.log'), 'utf8');
    expect(hookLog).toMatch(/== setup hook 10-first\nfirst ran in .*\/\.git\/gt\/polecats\/nux\n== setup hook 20-broken\nbroken\n$/);
    const log = r.gtOk('polecat', 'list');
    expect(log).toContain('no polecats yet');
    expect(r.git('status', '--porcelain')).toBe('');
  });

  it('a session that ends without finishing, with no restart allowed, leaves its polecat stuck, work still hooked; peek shows why', async () => {
    r.gtOk('config', 'set', 'runtime.command', 'echo "giving up on $GT_BEAD"; exit 1');
    r.gtOk('config', 'set', 'witness.max_restarts', '0');
    const id = create('Too hard');
    spawn(id, '--name', 'slit');
    await until('slit stuck', () => polecats()[0]?.state === 'stuck');
    expect(polecats()[0]).toMatchObject({ name: 'slit', state: 'stuck', bead: id });
    expect(statusOf(id)).toBe('hooked');
    expect(r.gtOk('peek', 'slit', '-n', '3')).toContain(`giving up on ${id}\n`);
    const unknown = r.gt(['peek', 'nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no polecat matches 'nobody'");
  });
});
