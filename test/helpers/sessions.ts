/** What the polecat e2e tests share: the scripted agent, waiting for a condition, and killing sessions. */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.js';
import { pidAlive } from '../../src/polecats/sessions.js';

/** The scripted agent shipped with gt: commits `Closes: $GT_BEAD` and runs `gt done`. */
export const SCRIPTED_AGENT = resolve(import.meta.dirname, '../../agents/scripted-agent.sh');

/** Polls `check` until it holds, with the shared generous limit (a safety net, not a measure). */
export async function until(what: string, check: () => boolean): Promise<void> {
  await waitFor(what, () => (check() ? true : undefined));
}

/** The gt refs of the repository at `dir` (loose, and packed-refs) as one string: it changes whenever one moves. */
function gtRefsState(dir: string): string {
  const gitDir = join(dir, '.git');
  const parts: string[] = [];
  const read = (path: string): void => {
    try {
      parts.push(path, readFileSync(path, 'utf8'));
    } catch {
      // Not there (no packed-refs yet), or a folder of refs: walked below.
    }
  };
  read(join(gitDir, 'packed-refs'));
  const walk = (folder: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(folder, entry.name));
      else read(join(folder, entry.name));
    }
  };
  walk(join(gitDir, 'refs', 'heads', 'gt'));
  return parts.join('\0');
}

/**
 * until() for a check of what gt keeps on its refs only (a bead's status, say): the check, a gt process,
 * runs again only once a gt ref of the repository at `dir` has moved. Polling with a gt process every
 * 50 ms would take a core from the processes the test waits for.
 */
export async function untilRefsSay(what: string, dir: string, check: () => boolean): Promise<void> {
  let checkedAt: string | undefined;
  await until(what, () => {
    const state = gtRefsState(dir);
    if (state === checkedAt) return false;
    // Taken before the check: a move during it is checked again on the next poll.
    checkedAt = state;
    return check();
  });
}

/** Whether a session's process runs: the same check gt's polecat list and witness make. */
export const alive = pidAlive;

/** Kills each session (its whole process group: sessions are started detached) that may still run. */
export function killSessions(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already finished.
    }
  }
}

/**
 * Kills every process still working for the repository at `dir`: polecat loops (started there) and
 * agent sessions (GT_ROOT=dir, or running in its sandboxes), whatever the test's records say.
 */
export function killProcessesOf(given: string): void {
  let dir = given;
  try {
    dir = realpathSync(given);
  } catch {
    // Already removed: match the name as given.
  }
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (cwd === dir || cwd.startsWith(`${dir}/`) || env.includes(`GT_ROOT=${dir}`)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, or not ours.
    }
  }
}
