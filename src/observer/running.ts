/**
 * Which of gt's long-running loops (observer, witness, refinery) run on this machine, for `gt status`
 * and `gt dashboard`. `gt watch` and `gt refinery run` each leave a small file under the git dir
 * (gt/running/<pid>.json: pid, start time, loops) while they run and remove it on exit. A file whose
 * pid is gone (a process killed with SIGKILL cannot remove it) means not running, and is ignored.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../polecats/sessions.js';

export const LOOPS = ['observer', 'witness', 'refinery'] as const;
export type LoopName = (typeof LOOPS)[number];

export interface RunningRecord {
  pid: number;
  started_at: string;
  /** The command that runs them (`gt watch`, `gt refinery run`). */
  command: string;
  loops: LoopName[];
}

export interface LoopStatus {
  running: boolean;
  pid?: number;
  started_at?: string;
  command?: string;
}

function runningDir(stateDir: string): string {
  return join(stateDir, 'running');
}

/** Records this process as running `loops` until the returned function is called (or the process exits). */
export function recordRunning(stateDir: string, command: string, loops: LoopName[], startedAt: Date = new Date()): () => void {
  const dir = runningDir(stateDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  const record: RunningRecord = { pid: process.pid, started_at: startedAt.toISOString(), command, loops };
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    rmSync(file, { force: true });
  };
  // A normal exit without the caller's cleanup (an uncaught error) still removes it.
  process.on('exit', remove);
  return remove;
}

/** The records of live processes (stale ones, whose pid is gone, are skipped). */
export function runningRecords(stateDir: string): RunningRecord[] {
  let names: string[];
  try {
    names = readdirSync(runningDir(stateDir));
  } catch {
    return [];
  }
  const records: RunningRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      const record = JSON.parse(readFileSync(join(runningDir(stateDir), name), 'utf8')) as RunningRecord;
      if (Number.isInteger(record.pid) && Array.isArray(record.loops) && pidAlive(record.pid)) records.push(record);
    } catch {
      // Half-written or foreign: not a live loop.
    }
  }
  return records;
}

/** Each loop: running here or not, and by which process (the oldest, if several). */
export function loopStatus(stateDir: string): Record<LoopName, LoopStatus> {
  const records = runningRecords(stateDir).sort((a, b) => (a.started_at < b.started_at ? -1 : 1));
  const status = {} as Record<LoopName, LoopStatus>;
  for (const loop of LOOPS) {
    const r = records.find((rec) => rec.loops.includes(loop));
    status[loop] = r ? { running: true, pid: r.pid, started_at: r.started_at, command: r.command } : { running: false };
  }
  return status;
}
