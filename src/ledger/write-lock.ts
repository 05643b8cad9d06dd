import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { LockBusyError } from '../errors.js';

/**
 * One advisory lock around every read-modify-write of gt in a repository (all worktrees share it,
 * as it lives in the common git dir). It only saves retries: correctness comes from the
 * compare-and-swap of the ref. A lock left by a killed process goes stale and is taken over.
 */
export async function withWriteLock<T>(stateDir: string, staleMs: number, fn: () => Promise<T>): Promise<T> {
  return withStateLock(stateDir, 'write', staleMs, fn);
}

/**
 * How a busy lock is waited for: `wait` retries for up to about two minutes; `once` tries once and
 * fails at once with LockBusyError (a git hook must never hold a commit: it leaves its work for later).
 * A lock gone stale is taken over either way.
 */
export type LockPatience = 'wait' | 'once';
let patience: LockPatience = 'wait';

export function setLockPatience(value: LockPatience): void {
  patience = value;
}

/** A named lock in gt's state dir (`<name>.lock`): `write` for ledger writes, `observer` for observer passes. */
export async function withStateLock<T>(stateDir: string, name: string, staleMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(join(stateDir, name), {
      realpath: false,
      lockfilePath: join(stateDir, `${name}.lock`),
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 3)),
      retries: patience === 'once' ? 0 : { retries: 2000, factor: 1.2, minTimeout: 5, maxTimeout: 60, randomize: true },
      // If we ever stall past the stale time and another writer takes over, the ref's
      // compare-and-swap still refuses our stale write; there is nothing to abort here.
      onCompromised: () => {},
    });
  } catch (error) {
    throw new LockBusyError(
      `could not take the ${name} lock: ${(error as Error).message}`,
      `another gt command holds it; if none is running, remove ${join(stateDir, `${name}.lock`)}`,
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
