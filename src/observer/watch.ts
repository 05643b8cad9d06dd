/**
 * `gt watch`: the observer as a long-running process. It reacts to the change itself (a ref file or
 * packed-refs moving) instead of polling, and sweeps for stranded convoys on a timer. Events only
 * say "something moved": every pass re-reads the refs, so a missed or duplicated event costs nothing.
 */
import { join } from 'node:path';
import { findRepository } from '../git/repo-paths.js';
import { RefStore } from '../git/refs.js';
import { observe, type ObserveAction } from './observe.js';

export interface WatchOptions {
  /** Quiet time after the last event before a pass starts. */
  debounceMs?: number;
  /** How often to sweep for stranded convoys. */
  sweepMs?: number;
  onAction: (action: ObserveAction) => void;
  onError: (error: Error) => void;
  /** Resolves the watch when aborted (SIGINT/SIGTERM in the CLI). */
  signal: AbortSignal;
}

export async function watchRepository(cwd: string, options: WatchOptions): Promise<void> {
  const paths = findRepository(cwd);
  const { watch } = await import('chokidar');
  const debounceMs = options.debounceMs ?? 30;
  const sweepMs = options.sweepMs ?? 30_000;
  let running: Promise<void> | undefined;
  let again: { sweep: boolean } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refs = new RefStore(paths.commonDir, { staleLockMs: 5000 });
  // What the branches pointed at when the last pass started: a pass that ends with them moved runs
  // again, whatever the file events said (editors and git replace ref files fast enough for a
  // watcher to fold two changes into one, or to drop one).
  const fingerprint = (): string => [...refs.list('refs/heads/')].map(([ref, oid]) => `${oid} ${ref}`).sort().join('\n');
  let seen = '';

  const run = (sweep: boolean): void => {
    if (options.signal.aborted) return;
    if (running) {
      again = { sweep: sweep || (again?.sweep ?? false) };
      return;
    }
    seen = fingerprint();
    running = (async () => {
      try {
        const report = await observe(cwd, { sweep });
        for (const action of report.actions) options.onAction(action);
      } catch (error) {
        options.onError(error as Error);
      }
    })().finally(() => {
      running = undefined;
      if (!again && fingerprint() !== seen) again = { sweep: false };
      if (again) {
        const next = again;
        again = undefined;
        run(next.sweep);
      }
    });
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => run(false), debounceMs);
  };

  const watcher = watch([join(paths.commonDir, 'refs', 'heads'), join(paths.commonDir, 'packed-refs')], {
    ignoreInitial: true,
    // Lock files come and go around every ref update; the rename that follows is the event that matters.
    ignored: (path: string) => path.endsWith('.lock'),
  });
  watcher.on('all', schedule);
  watcher.on('error', (error) => options.onError(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  run(true);
  const sweeper = setInterval(() => run(true), sweepMs);
  // A safety net under the file events: a ref that moved without an event is noticed within a second.
  const checker = setInterval(() => {
    if (!running && fingerprint() !== seen) run(false);
  }, 1000);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(sweeper);
  clearInterval(checker);
  if (timer) clearTimeout(timer);
  await watcher.close();
  while (running) await running;
}
