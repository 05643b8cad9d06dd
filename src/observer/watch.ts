/**
 * `gt watch`: the observer as a long-running process. It reacts to the change itself (a ref file or
 * packed-refs moving) instead of polling, and sweeps for stranded convoys on a timer. Events only
 * say "something moved": every pass re-reads the refs, so a missed or duplicated event costs nothing.
 * The ref watching itself (watchRefs) is shared with `gt status --watch` and `gt dashboard`.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { findRepository } from '../git/repo-paths.js';
import { RefStore } from '../git/refs.js';
import { observeWith, openObserver, type ObserveAction } from './observe.js';

/** The directories under refs/ whose refs are branches: local ones and remote-tracking ones. */
const WATCHED_REFS = ['heads', 'remotes'];

/** A path under refs/ but in none of WATCHED_REFS (tags, stash, notes): its changes start no pass. */
function outsideWatchedRefs(refsDir: string, path: string): boolean {
  const rel = relative(refsDir, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
  return !WATCHED_REFS.includes(rel.split(sep)[0]!);
}

export interface RefWatchOptions {
  /** Quiet time after the last event before a pass starts. */
  debounceMs?: number;
  /** Runs a `full` pass (true) this often, whatever moved; none without it. */
  fullEveryMs?: number;
  /** One pass: never two at once; a pass asked for while one runs runs after it. */
  pass: (full: boolean) => Promise<void>;
  onError: (error: Error) => void;
  /** Resolves the watch when aborted (SIGINT/SIGTERM in the CLI). */
  signal: AbortSignal;
}

/**
 * Runs `pass` once at the start (full), then whenever a branch moves (debounced), until `signal` aborts.
 * Nothing polls the ledger: file events on refs/heads, refs/remotes (a fetch or pull moves the
 * remote-tracking branches) and packed-refs drive it, with a cheap local check of the branch tips
 * each second as a safety net for an event the watcher folded or dropped.
 */
export async function watchRefs(cwd: string, options: RefWatchOptions): Promise<void> {
  const paths = findRepository(cwd);
  const { watch } = await import('chokidar');
  const debounceMs = options.debounceMs ?? 30;
  let running: Promise<void> | undefined;
  let again: { full: boolean } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refs = new RefStore(paths.commonDir, { staleLockMs: 5000 });
  // What the branches pointed at when the last pass started: a pass that ends with them moved runs
  // again, whatever the file events said (editors and git replace ref files fast enough for a
  // watcher to fold two changes into one, or to drop one).
  const fingerprint = (): string =>
    WATCHED_REFS.flatMap((prefix) => [...refs.list(`refs/${prefix}/`)])
      .map(([ref, oid]) => `${oid} ${ref}`)
      .sort()
      .join('\n');
  let seen = '';

  const run = (full: boolean): void => {
    if (options.signal.aborted) return;
    if (running) {
      again = { full: full || (again?.full ?? false) };
      return;
    }
    seen = fingerprint();
    running = options
      .pass(full)
      .catch((error: unknown) => options.onError(error as Error))
      .finally(() => {
        running = undefined;
        if (!again && fingerprint() !== seen) again = { full: false };
        if (again) {
          const next = again;
          again = undefined;
          run(next.full);
        }
      });
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => run(false), debounceMs);
  };

  // refs/ itself is watched, not refs/remotes: a repository gets refs/remotes with its first fetch.
  const refsDir = join(paths.commonDir, 'refs');
  const watcher = watch([refsDir, join(paths.commonDir, 'packed-refs')], {
    ignoreInitial: true,
    // Lock files come and go around every ref update; the rename that follows is the event that matters.
    ignored: (path: string) => path.endsWith('.lock') || outsideWatchedRefs(refsDir, path),
  });
  watcher.on('all', schedule);
  watcher.on('error', (error) => options.onError(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  run(true);
  const fullPasses = options.fullEveryMs !== undefined ? setInterval(() => run(true), options.fullEveryMs) : undefined;
  const checker = setInterval(() => {
    if (!running && fingerprint() !== seen) run(false);
  }, 1000);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (fullPasses) clearInterval(fullPasses);
  clearInterval(checker);
  if (timer) clearTimeout(timer);
  await watcher.close();
  while (running) await running;
}

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
  // One ledger for the whole watch: each pass starts from the views the last one left in memory.
  const ledger = openObserver(cwd);
  try {
    await watchRefs(cwd, {
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      fullEveryMs: options.sweepMs ?? 30_000,
      signal: options.signal,
      onError: options.onError,
      pass: async (sweep) => {
        const report = await observeWith(ledger, { sweep });
        for (const action of report.actions) options.onAction(action);
      },
    });
  } finally {
    ledger.close();
  }
}
