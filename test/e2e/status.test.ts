import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGt, useGtRepo } from '../helpers/repo.js';
import { until, alive } from '../helpers/sessions.js';

interface Town {
  convoys: { id: string; closed: number; total: number; stranded: boolean }[];
  needs: { kind: string; id: string; hint: string }[];
  mail: { unread: number; escalations: number };
  loops: Record<'observer' | 'witness' | 'refinery', { running: boolean; pid?: number; command?: string }>;
}

const r = useGtRepo();
const started: { kill: (signal?: NodeJS.Signals) => boolean; exitCode: number | null }[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const town = (): Town => r.gtJson<Town>('status');

/** Starts a long-running gt, collecting its output. */
function start(...args: string[]): { out: () => string; exited: () => number | null; stop: () => void } {
  const child = spawnGt(args, r.dir);
  started.push(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return { out: () => out, exited: () => child.exitCode, stop: () => child.kill('SIGTERM') };
}

describe('gt status', () => {
  it('shows convoy progress and puts escalation mail and stranded convoys first', () => {
    const [a, b] = [create('Build the API'), create('Write the docs')];
    const convoy = r.gtJson<{ id: string }>('convoy', 'create', 'Release', a!, b!).id;
    r.gtOk('close', a!);
    r.gtOk('--as', 'witness', 'mail', 'send', 'overseer', '-s', 'nux stuck on gt-x after 3 restarts');
    r.gtOk('--as', 'bob', 'mail', 'send', 'overseer', '-s', 'lunch?');
    r.gtOk('merge');

    const t = town();
    expect(t.convoys).toEqual([expect.objectContaining({ id: convoy, closed: 1, total: 2, stranded: true })]);
    expect(t.mail).toEqual(expect.objectContaining({ unread: 2, escalations: 1 }));
    expect(t.needs.map((n) => n.kind)).toEqual(['escalation', 'stranded']);
    expect(t.loops.observer.running).toBe(false);

    const text = r.gtOk('status');
    expect(text).toContain('Needs you (2)');
    expect(text).toContain('nux stuck on gt-x after 3 restarts');
    expect(text).toMatch(new RegExp(`${convoy} +█+░+ +1/2 +Release +\\(stranded\\)`));
    expect(text).toContain('2 unread messages (1 escalation)');
    // Not a terminal, no FORCE_COLOR: no escape sequences in a pipe.
    expect(text).not.toContain('\x1b[');
  });

  it('lets no ledger text drive the terminal, coloured or not', () => {
    const evil = 'Evil \x1b]0;pwned\x07 \x1b[2J title';
    const a = create(evil);
    r.gtOk('convoy', 'create', evil, a);
    r.gtOk('--as', 'witness', 'mail', 'send', 'overseer', '-s', evil);
    r.gtOk('merge');
    expect(r.gtOk('status')).not.toMatch(/[\x07\x1b]/);
    // CI runners set CI (picocolors alone would colour a pipe then); a pipe is still a pipe.
    expect(r.gt(['status'], { env: { CI: '1' } }).stdout).not.toMatch(/[\x07\x1b]/);
    const coloured = r.gt(['status'], { env: { FORCE_COLOR: '1' } }).stdout;
    expect(coloured).toContain('\x1b[');
    // Colour codes only (SGR: ESC [ digits m); the title's own escapes are shown as text.
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x07\x1b]/);
    expect(coloured).toContain('Evil \\x1b]0;pwned\\x07');
  });

  it('sees gt watch running while it runs, and not after it stopped', async () => {
    const watch = start('watch', '--no-witness');
    await until('gt watch to record itself', () => town().loops.observer.running);
    expect(town().loops).toMatchObject({ observer: { running: true, command: 'gt watch' }, witness: { running: false }, refinery: { running: false } });
    const pid = town().loops.observer.pid!;
    watch.stop();
    await until('gt watch to stop', () => watch.exited() !== null && !alive(pid));
    expect(watch.exited()).toBe(0);
    expect(town().loops.observer.running).toBe(false);
    expect(readdirSync(join(r.dir, '.git', 'gt', 'running'))).toEqual([]);
  });

  it('--watch redraws when the ledger moves, and stops with exit 0 on SIGTERM', async () => {
    const [a, b] = [create('Build the API'), create('Write the docs')];
    r.gtOk('convoy', 'create', 'Release', a!, b!);
    const watch = start('status', '--watch');
    await until('the first frame', () => / 0\/2 +Release/.test(watch.out()));
    expect(watch.out()).not.toMatch(/ 1\/2 +Release/);
    r.gtOk('close', a!);
    await until('a frame after the close', () => / 1\/2 +Release/.test(watch.out()));
    watch.stop();
    await until('gt status --watch to stop', () => watch.exited() !== null);
    expect(watch.exited()).toBe(0);
  });
});
