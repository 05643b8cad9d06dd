/**
 * The seed's story end to end, with the real binary in a real repository: three beads in a convoy
 * "Release 1.0"; an agent in its own worktree commits `Closes: <id>`; the observer hands it the next
 * bead; the last closure lands the convoy and the overseer gets the landing mail. Run once driven by
 * `gt watch` (no hooks), once by the git hooks alone (no watcher).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, GT_BIN, gtRepo, spawnGt, type TestRepo } from '../helpers/repo.js';
import { waitFor } from '../helpers/wait.js';

interface BeadJson {
  id: string;
  title: string;
  status: string;
  assignee?: string;
  comments: { id: string; text: string }[];
}

let r: TestRepo | undefined;
let watcher: ChildProcess | undefined;
afterEach(async () => {
  if (watcher && watcher.exitCode === null) {
    watcher.kill('SIGTERM');
    await new Promise((resolve) => watcher!.once('exit', resolve));
  }
  watcher = undefined;
  r?.cleanup();
});

/** The environment of an agent's shell: no GT_AGENT, so the checkout's binding says who it is. */
function agentEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_ENV };
  delete env.GT_AGENT;
  return env;
}

function inWorktree(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: agentEnv() });
}

function gtIn(dir: string, ...args: string[]): string {
  const out = spawnSync(process.execPath, [GT_BIN, ...args], { cwd: dir, encoding: 'utf8', env: agentEnv() });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  return waitFor(what, probe, { intervalMs: 100 });
}

async function tellTheStory(mode: 'watch' | 'hooks'): Promise<void> {
  r = gtRepo();
  const repo = r;
  const create = (title: string, ...args: string[]): string => repo.gtJson<{ id: string }>('create', title, ...args).id;
  const login = create('Login form', '-p', '1', '-d', 'Email and password fields, with validation.');
  const session = create('Session API', '-p', '1', '--deps', `blocks:${login}`);
  const logout = create('Logout button', '-p', '2');
  const convoy = repo.gtJson<{ id: string }>('convoy', 'create', 'Release 1.0', login, session, logout).id;

  const worktree = join(repo.dir, '..', 'agent-ann');
  repo.git('worktree', 'add', '-q', '-b', 'ann/work', worktree);
  gtIn(worktree, 'agents', 'bind', 'ann');
  if (mode === 'hooks') {
    const installed = repo.gtJson<{ changes: unknown[] }>('hooks', 'install');
    expect(installed.changes.length).toBeGreaterThan(0);
  } else {
    watcher = spawnGt(['watch', '--debounce', '0.02'], repo.dir);
    let output = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('the watcher to start', () => (output.includes('watching') ? true : undefined));
  }
  repo.gtOk('sling', login, 'ann', '--create-agent');

  // The agent starts: gt prime in its worktree knows who it is and what to do.
  const prime = gtIn(worktree, 'prime');
  expect(prime).toContain('# You are ann');
  expect(prime).toContain(`### ${login}: Login form`);
  expect(prime).toContain('Email and password fields, with validation.');

  const hookOf = (): string[] => repo.gtJson<{ hooked: BeadJson[] }>('hook', 'ann').hooked.map((b) => b.id);
  const work = async (bead: string, file: string, subject: string): Promise<void> => {
    writeFileSync(join(worktree, file), `${subject}\n`);
    inWorktree(worktree, 'add', file);
    inWorktree(worktree, 'commit', '-q', '-m', `${subject}\n\nCloses: ${bead}`);
    await until(`${bead} to close`, () => (repo.gtJson<BeadJson[]>('show', bead)[0]!.status === 'closed' ? true : undefined));
  };

  await work(login, 'login.txt', 'Add the login form');
  const closedLogin = repo.gtJson<BeadJson[]>('show', login)[0]!;
  expect(closedLogin.comments.map((c) => c.text)).toContainEqual(expect.stringMatching(/^Commit [0-9a-f]{7} on ann\/work: Add the login form$/));
  // The observer hands the same agent the next bead: Session API was blocked by the login form.
  expect(await until('the next bead on ann', () => (hookOf().length > 0 ? hookOf() : undefined))).toEqual([session]);

  await work(session, 'session.txt', 'Session endpoints');
  expect(await until('the last bead on ann', () => (hookOf().length > 0 ? hookOf() : undefined))).toEqual([logout]);

  await work(logout, 'logout.txt', 'Logout button');
  const landed = await until('the convoy to land', () => {
    const c = repo.gtJson<{ status: string; landed_at?: string }>('convoy', 'status', convoy);
    return c.status === 'closed' ? c : undefined;
  });
  expect(landed.landed_at).toBeDefined();

  const inbox = await until('the landing mail', () => {
    const mail = repo.gtJson<{ subject: string; body: string }[]>('mail', 'inbox');
    return mail.length > 0 ? mail : undefined;
  });
  expect(inbox).toHaveLength(1);
  expect(inbox[0]!.subject).toBe(`🚚 Convoy landed: Release 1.0 (${convoy})`);
  for (const [id, title] of [[login, 'Login form'], [session, 'Session API'], [logout, 'Logout button']]) expect(inbox[0]!.body).toContain(`- ${id}: ${title}`);
  expect(inbox[0]!.body).toMatch(/Duration: \d+ min/);

  // Landed exactly once, and the ledger history reads as the story.
  const log = repo.git('log', '--format=%s', 'gt/ledger');
  expect(log.split('\n').filter((s) => s.includes(`landed ${convoy}`))).toHaveLength(1);
  expect(repo.git('fsck', '--no-progress')).toBe('');
  if (mode === 'hooks') expect(repo.git('status', '--porcelain')).toBe('');
}

describe('the seed story', () => {
  it('driven by gt watch', async () => {
    await tellTheStory('watch');
  });

  it('driven by the git hooks alone', async () => {
    await tellTheStory('hooks');
  });
});

describe('gt watch', () => {
  it('two watchers on one repository feed each closure once and land once; both stop cleanly on SIGTERM', async () => {
    r = gtRepo();
    const repo = r;
    const out = repo.gtJson<{ convoy: { id: string }; beads: { id: string }[] }>('convoy', 'sling', 'Pair', '--task', 'One', '--task', 'Two', '--task', 'Three', '--to', 'ann');
    const watchers = [spawnGt(['watch', '--debounce', '0.01'], repo.dir), spawnGt(['watch', '--debounce', '0.01'], repo.dir)];
    const outputs = ['', ''];
    watchers.forEach((w, i) => w.stdout!.on('data', (chunk: Buffer) => (outputs[i] += chunk.toString())));
    await until('both watchers to start', () => (outputs.every((o) => o.includes('watching')) ? true : undefined));
    for (let round = 0; round < 3; round++) {
      const hooked = repo.gtJson<{ hooked: BeadJson[] }>('hook', 'ann').hooked;
      expect(hooked).toHaveLength(1);
      repo.gtOk('--as', 'ann', 'close', hooked[0]!.id);
      await until(`round ${round} to be handled`, () => {
        const status = repo.gtJson<{ status: string; tracked: { status: string }[] }>('convoy', 'status', out.convoy.id);
        const settled = status.status === 'closed' || status.tracked.some((t) => t.status === 'hooked');
        return settled ? true : undefined;
      });
    }
    const log = repo.git('log', '--format=%s', 'gt/ledger');
    expect(log.split('\n').filter((s) => s.includes(`landed ${out.convoy.id}`))).toHaveLength(1);
    expect(log.split('\n').filter((s) => /fed \S+ "/.test(s))).toHaveLength(2);
    expect(repo.gtJson<unknown[]>('mail', 'inbox')).toHaveLength(1);
    const exits = watchers.map((w) => new Promise<number | null>((resolve) => w.once('exit', (code) => resolve(code))));
    for (const w of watchers) w.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
    for (const o of outputs) expect(o).toContain('stopped');
  });
});
