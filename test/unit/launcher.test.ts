import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLauncher } from '../../src/polecats/sessions.js';

// Sessions exec the launcher while other spawns write it: rewriting it in place made their exec fail
// with ETXTBSY ("Text file busy"), so it must be left alone when unchanged and replaced, not rewritten.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gt-launcher-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeLauncher', () => {
  it('leaves an identical launcher untouched and replaces a different one with a new file', () => {
    const bin = writeLauncher(dir, '/opt/gt/dist/gt.mjs');
    const file = join(bin, 'gt');
    expect(readFileSync(file, 'utf8')).toContain("'/opt/gt/dist/gt.mjs' \"$@\"");
    expect(statSync(file).mode & 0o777).toBe(0o755);
    const first = statSync(file);
    writeLauncher(dir, '/opt/gt/dist/gt.mjs');
    expect(statSync(file).ino).toBe(first.ino);
    expect(statSync(file).mtimeMs).toBe(first.mtimeMs);
    writeLauncher(dir, '/srv/other/gt.mjs');
    expect(statSync(file).ino).not.toBe(first.ino);
    expect(readFileSync(file, 'utf8')).toContain("'/srv/other/gt.mjs'");
    // A launcher spoiled by hand is replaced too.
    writeFileSync(file, 'junk');
    writeLauncher(dir, '/srv/other/gt.mjs');
    expect(readFileSync(file, 'utf8')).toContain("'/srv/other/gt.mjs'");
  });
});
