/** What the polecat e2e tests share: the scripted agent, waiting for a condition, and killing sessions. */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { waitFor } from './wait.js';
import { pidAlive } from '../../src/polecats/sessions.js';

/** The scripted agent shipped with gt: commits `Closes: $GT_BEAD` and runs `gt done`. */
export const SCRIPTED_AGENT = resolve(import.meta.dirname, '../../agents/scripted-agent.sh');

/** Polls `check` until it holds, with the shared generous limit (a safety net, not a measure). */
export async function until(what: string, check: () => boolean): Promise<void> {
  await waitFor(what, () => (check() ? true : undefined));
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
