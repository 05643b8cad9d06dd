/** Locks a killed gt process leaves behind, made stale at once instead of waited out. */
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** Makes a lock left by a killed process older than any stale time: the next command takes it over at once. */
export function ageLock(path: string): void {
  const old = (Date.now() - 3600_000) / 1000;
  utimesSync(path, old, old);
}

/**
 * Ages every lock in gt's state dir of the repository at `dir` (.git/gt/*.lock). Only for locks whose
 * holder was killed: how a lock goes stale is tested in reliability.test.ts, and a test that merely
 * restarts after a kill need not wait out the stale time (10 s for the refinery's).
 */
export function ageStateLocks(dir: string): void {
  const stateDir = join(dir, '.git', 'gt');
  if (!existsSync(stateDir)) return;
  for (const name of readdirSync(stateDir)) if (name.endsWith('.lock')) ageLock(join(stateDir, name));
}
