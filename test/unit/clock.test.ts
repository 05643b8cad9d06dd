import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of the clock module: it reads GT_NOW once per process (here: per import). */
async function freshClock(): Promise<typeof import('../../src/clock.js')> {
  vi.resetModules();
  return import('../../src/clock.js');
}

describe('the clock (src/clock.ts)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('parses GT_NOW as ISO 8601 or epoch milliseconds, and refuses anything else', async () => {
    const { parseClockTime } = await freshClock();
    expect(parseClockTime('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseClockTime('2026-01-01T01:30:00+01:00')).toBe(Date.UTC(2026, 0, 1, 0, 30));
    expect(parseClockTime('1767225600000')).toBe(1767225600000);
    expect(parseClockTime(' 0 ')).toBe(0);
    for (const bad of ['', 'tomorrow', '2026-13-45', '1.5e12', 'Jan 1 2026']) expect(() => parseClockTime(bad), bad).toThrow(/^GT_NOW must be an ISO 8601 time or epoch milliseconds, not /);
  });

  it('is fixed by GT_NOW, and is the real time without it', async () => {
    vi.stubEnv('GT_NOW', '2030-06-01T12:00:00Z');
    const fixed = await freshClock();
    expect(fixed.now()).toBe(Date.UTC(2030, 5, 1, 12));
    expect(fixed.now()).toBe(Date.UTC(2030, 5, 1, 12));
    vi.stubEnv('GT_NOW', '');
    const real = await freshClock();
    const before = Date.now();
    const t = real.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
