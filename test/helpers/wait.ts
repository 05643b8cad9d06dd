/**
 * Waiting on something a test cannot await (a watcher's output, another process's log): poll for the
 * condition. The limit is only a safety net against a hang, generous for a loaded machine; nothing
 * asserts how long it took.
 */
export const WAIT_LIMIT_MS = 120_000;

/** Polls `probe` (which may be asynchronous: a tool call) until it gives a value other than undefined, and returns that value. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: { limitMs?: number; intervalMs?: number } = {}): Promise<T> {
  const limit = options.limitMs ?? WAIT_LIMIT_MS;
  const interval = options.intervalMs ?? 50;
  const started = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() - started > limit) throw new Error(`gave up after ${Math.round(limit / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
