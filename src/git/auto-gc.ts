/**
 * Keeps the object store packed the way git does, without making a command wait. Every ledger commit
 * adds a few loose objects; left alone, a day of agent commits leaves hundreds of thousands of them.
 * After a write gt makes git's own cheap estimate (git gc --auto samples one fan-out folder,
 * `objects/17`, against `gc.auto` / 256) and, when it says so, starts `git gc --auto --quiet` detached:
 * its own process group, no stdio, not waited for. git itself then decides again, packs, and through
 * its `gc.pid` lock lets only one gc run at a time; `gc.auto=0` turns it all off, as in git.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cachedConfig } from './config-cache.js';

/** git's default for gc.auto. */
const DEFAULT_GC_AUTO = 6700;
/** git takes a gc.pid older than this for a crashed gc's. */
const GC_PID_STALE_MS = 12 * 3600 * 1000;
const LOOSE_NAME = /^[0-9a-f]{38}$/;

/** How a gc is started: detached and silent, so the command that starts it never waits for it. */
export const AUTO_GC_SPAWN: SpawnOptions = { detached: true, stdio: 'ignore' };

/** `gc.auto` as git reads it (an integer, with an optional k/m/g suffix); 0 or less disables. */
export function parseGcAuto(value: string | undefined): number {
  const match = value === undefined ? null : /^\s*(-?\d+)\s*([kmg]?)\s*$/i.exec(value);
  if (!match) return DEFAULT_GC_AUTO;
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * scale;
}

/** git's estimate: more loose objects in `objects/17` than gc.auto / 256 (rounded up). */
export function looseObjectsDue(commonDir: string, gcAuto: number): boolean {
  if (gcAuto <= 0) return false;
  const limit = Math.ceil(gcAuto / 256);
  let names: string[];
  try {
    names = readdirSync(join(commonDir, 'objects', '17'));
  } catch {
    return false;
  }
  let count = 0;
  for (const name of names) if (LOOSE_NAME.test(name) && ++count > limit) return true;
  return false;
}

/** A gc is running (its gc.pid is fresh): git would refuse a second one anyway, so none is started. */
function gcRunning(commonDir: string, now: number): boolean {
  try {
    return now - statSync(join(commonDir, 'gc.pid')).mtimeMs < GC_PID_STALE_MS;
  } catch {
    return false;
  }
}

export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/**
 * Starts `git gc --auto --quiet` in the background when git's estimate says the store needs packing;
 * returns whether it did. Never waits for it and never fails a command: a git that cannot start is ignored.
 */
export function startAutoGcIfDue(paths: { gitDir: string; commonDir: string }, now = Date.now(), spawn: Spawner = nodeSpawn): boolean {
  const gcAuto = parseGcAuto(cachedConfig(paths.gitDir, paths.commonDir, 'gc', ['gc.auto'])['gc.auto']);
  if (!looseObjectsDue(paths.commonDir, gcAuto) || gcRunning(paths.commonDir, now)) return false;
  try {
    const child = spawn('git', [`--git-dir=${paths.commonDir}`, 'gc', '--auto', '--quiet'], { ...AUTO_GC_SPAWN, cwd: paths.commonDir });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
