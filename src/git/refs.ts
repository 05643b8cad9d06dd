import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LockBusyError, RefConflictError } from '../errors.js';
import { formatSignature, type Signature } from './object-format.js';
import { revertCheckouts, updateCheckouts } from './worktrees.js';
import { elapsedMs, now, type Clock } from '../clock.js';

const OID_PATTERN = /^[0-9a-f]{40}$/;

export interface RefUpdate {
  ref: string;
  /** The value the update was computed from; null when the ref must not exist yet. */
  expected: string | null;
  next: string;
  /** For the reflog, so that `git reflog` can recover every ledger state. */
  who: Signature;
  message: string;
}

export interface RefStoreOptions {
  /** A `<ref>.lock` older than this is left over from a killed process and is taken over. */
  staleLockMs: number;
  /** What a lock's age is measured against; default the clock (GT_NOW in tests). */
  now?: Clock;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Refs as native git stores them: loose files that shadow `packed-refs`. Updates follow git's own
 * `<ref>.lock` protocol (exclusive create, re-read, compare, rename), so gt and native git exclude each
 * other and no update is ever lost or torn.
 */
export class RefStore {
  constructor(
    private readonly commonDir: string,
    private readonly options: RefStoreOptions,
  ) {}

  private packedRefs(): Map<string, string> {
    const refs = new Map<string, string>();
    let text: string;
    try {
      text = readFileSync(join(this.commonDir, 'packed-refs'), 'utf8');
    } catch {
      return refs;
    }
    for (const line of text.split('\n')) {
      if (line.length < 42 || line.startsWith('#') || line.startsWith('^')) continue;
      refs.set(line.slice(41), line.slice(0, 40));
    }
    return refs;
  }

  private readLoose(ref: string): string | null | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.commonDir, ref), 'utf8').trim();
    } catch {
      return undefined;
    }
    return OID_PATTERN.test(text) ? text : null;
  }

  /** The ref's commit id, or null when it does not exist. */
  resolve(ref: string): string | null {
    const loose = this.readLoose(ref);
    if (loose !== undefined) return loose;
    return this.packedRefs().get(ref) ?? null;
  }

  /** Every ref under `prefix` (e.g. `refs/heads/gt/agents/`), loose ones shadowing packed ones. */
  list(prefix: string): Map<string, string> {
    const result = new Map<string, string>();
    for (const [ref, oid] of this.packedRefs()) if (ref.startsWith(prefix)) result.set(ref, oid);
    const walk = (relDir: string): void => {
      let names: string[];
      try {
        names = readdirSync(join(this.commonDir, relDir));
      } catch {
        return;
      }
      for (const name of names) {
        const rel = `${relDir}/${name}`;
        if (name.endsWith('.lock')) continue;
        if (statSync(join(this.commonDir, rel)).isDirectory()) walk(rel);
        else {
          const oid = this.readLoose(rel);
          if (oid) result.set(rel, oid);
        }
      }
    };
    walk(prefix.replace(/\/$/, ''));
    return result;
  }

  private acquireRefLock(lockPath: string): number {
    const deadline = elapsedMs() + Math.max(this.options.staleLockMs * 2, 2000);
    for (let attempt = 0; ; attempt++) {
      try {
        return openSync(lockPath, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      try {
        if ((this.options.now ?? now)() - statSync(lockPath).mtimeMs > this.options.staleLockMs) {
          unlinkSync(lockPath);
          continue;
        }
      } catch {
        continue; // The lock vanished between our two looks: try again at once.
      }
      if (elapsedMs() > deadline) {
        throw new LockBusyError(
          `${lockPath} is held by another git process`,
          'wait for it to finish; if no git process is running, delete the lock file',
        );
      }
      sleepSync(Math.min(2 + attempt * 2, 25));
    }
  }

  /**
   * Moves `ref` from `expected` to `next`, or throws RefConflictError if it is not at `expected`. A
   * checkout of `ref` in any worktree follows it (see updateCheckouts), or the update is refused.
   */
  compareAndSwap(update: RefUpdate): void {
    const refPath = join(this.commonDir, update.ref);
    const lockPath = `${refPath}.lock`;
    mkdirSync(dirname(refPath), { recursive: true });
    const fd = this.acquireRefLock(lockPath);
    let locked = true;
    let checkoutsMoved = false;
    try {
      const actual = this.resolve(update.ref);
      if (actual !== update.expected) throw new RefConflictError(update.ref, update.expected, actual);
      updateCheckouts(this.commonDir, update.ref, update.expected, update.next);
      checkoutsMoved = true;
      writeSync(fd, `${update.next}\n`);
      closeSync(fd);
      locked = false;
      // Like git: the reflog entry is written while the ref is still locked, so a concurrent
      // `git reflog expire` cannot interleave with it.
      this.appendReflog(update);
      renameSync(lockPath, refPath);
      checkoutsMoved = false;
    } catch (error) {
      if (locked) closeSync(fd);
      if (checkoutsMoved) revertCheckouts(this.commonDir, update.ref, update.expected, update.next);
      try {
        if (existsSync(lockPath)) unlinkSync(lockPath);
      } catch {
        // Nothing more to clean.
      }
      throw error;
    }
  }

  private appendReflog(update: RefUpdate): void {
    try {
      const logPath = join(this.commonDir, 'logs', update.ref);
      mkdirSync(dirname(logPath), { recursive: true });
      const old = update.expected ?? '0'.repeat(40);
      const message = update.message.split('\n')[0];
      appendFileSync(logPath, `${old} ${update.next} ${formatSignature(update.who)}\t${message}\n`);
    } catch {
      // The reflog is a convenience for recovery; the update itself has already happened.
    }
  }
}
