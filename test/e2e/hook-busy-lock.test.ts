/**
 * A git hook never waits for gt's locks: with the ledger's write lock held elsewhere, a commit naming
 * a bead returns, its recording is left for the next observer pass, and that pass closes the bead.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GIT_ENV, useGtRepo } from '../helpers/repo.js';
import { withStateLock, withWriteLock } from '../../src/ledger/write-lock.js';

const run = promisify(execFile);

const r = useGtRepo((template) => template.gtOk('hooks', 'install'));

/** The lock held from this process exactly as gt takes it, until `release()`. */
async function hold(take: (fn: () => Promise<void>) => Promise<void>): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  let taken!: () => void;
  const isTaken = new Promise<void>((resolve) => (taken = resolve));
  const done = take(() => {
    taken();
    return new Promise<void>((resolve) => (release = resolve));
  });
  await isTaken;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

/** `git commit` run without blocking this process (the lock we hold keeps its mtime fresh meanwhile). */
async function commit(message: string): Promise<void> {
  // However slow the machine, the hook must not take our lock over as stale.
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_ENV, GT_LOCK_STALE_MS: '3600000' };
  delete env.GT_AGENT;
  delete env.GT_DEBUG;
  await run('git', ['commit', '-q', '--allow-empty', '-m', message], { cwd: r.dir, env });
}

const statusOf = (id: string): string => r.gtJson<{ status: string }[]>('show', id)[0]!.status;
const stateDir = (): string => join(r.dir, '.git', 'gt');
const hooksLog = (): string => (existsSync(join(stateDir(), 'hooks.log')) ? readFileSync(join(stateDir(), 'hooks.log'), 'utf8') : '');

describe('a git hook and a busy ledger', () => {
  it('with the write lock held, the commit completes, the bead stays open; the next gt observe closes it', async () => {
    const id = r.gtJson<{ id: string }>('create', 'Busy ledger').id;
    const lock = await hold((fn) => withWriteLock(stateDir(), 3_600_000, fn));
    try {
      await commit(`Fix it\n\nCloses: ${id}`);
      const head = r.git('log', '-1', '--format=%s').trim();
      expect(head).toBe('Fix it');
      expect(statusOf(id)).toBe('open');
      expect(hooksLog()).toMatch(/the ledger is busy: left [0-9a-f]{7} for the next observer pass/);
    } finally {
      await lock.release();
    }
    const observed = r.gtOk('observe');
    expect(observed).toContain(`closed ${id}`);
    const [bead] = r.gtJson<{ status: string; close_reason: string; comments: { text: string }[] }[]>('show', id);
    expect(bead!.status).toBe('closed');
    expect(bead!.close_reason).toMatch(/^Closed by commit [0-9a-f]{7}: Fix it$/);
    expect(bead!.comments).toHaveLength(1);
    // Handled once: another pass records nothing more.
    r.gtOk('observe');
    expect(r.gtJson<{ comments: unknown[] }[]>('show', id)[0]!.comments).toHaveLength(1);
  });

  it('with the observer lock held, the commit still records and the pass is left for later', async () => {
    const id = r.gtJson<{ id: string }>('create', 'Busy observer').id;
    const lock = await hold((fn) => withStateLock(stateDir(), 'observer', 3_600_000, fn));
    try {
      await commit(`Done\n\nCloses: ${id}`);
      expect(r.git('log', '-1', '--format=%s').trim()).toBe('Done');
      expect(statusOf(id)).toBe('closed');
      expect(hooksLog()).toContain('this pass is left to the next one');
    } finally {
      await lock.release();
    }
    expect(r.gt(['observe']).status).toBe(0);
  });

  it('the next hook run, not only gt observe, records what was left, even for a commit naming no bead', async () => {
    const a = r.gtJson<{ id: string }>('create', 'First').id;
    const lock = await hold((fn) => withWriteLock(stateDir(), 3_600_000, fn));
    try {
      await commit(`One\n\nCloses: ${a}`);
    } finally {
      await lock.release();
    }
    expect(statusOf(a)).toBe('open');
    await commit('Unrelated work');
    expect(statusOf(a)).toBe('closed');
    expect(existsSync(join(stateDir(), 'hook-backlog.jsonl'))).toBe(false);
  });
});
