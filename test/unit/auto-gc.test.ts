import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { looseObjectsDue, parseGcAuto, startAutoGcIfDue } from '../../src/git/auto-gc.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gt-gc-'));
  execFileSync('git', ['init', '-q', '--bare', dir]);
  execFileSync('git', ['config', 'gc.auto', '20'], { cwd: dir });
  mkdirSync(join(dir, 'objects', '17'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function looseIn17(count: number): void {
  for (let i = 0; i < count; i++) writeFileSync(join(dir, 'objects', '17', i.toString(16).padStart(38, '0')), '');
}

function fakeSpawner() {
  const calls: { command: string; args: readonly string[]; options: SpawnOptions; unref: boolean }[] = [];
  const spawn = (command: string, args: readonly string[], options: SpawnOptions): ChildProcess => {
    const call = { command, args, options, unref: false };
    calls.push(call);
    const child = new EventEmitter() as ChildProcess;
    child.unref = () => {
      call.unref = true;
    };
    return child;
  };
  return { calls, spawn };
}

describe('automatic packing', () => {
  it("reads gc.auto as git does: k/m/g suffixes, 0 to disable, git's default otherwise", () => {
    expect(parseGcAuto(undefined)).toBe(6700);
    expect(parseGcAuto('20')).toBe(20);
    expect(parseGcAuto('2k')).toBe(2048);
    expect(parseGcAuto('0')).toBe(0);
    expect(parseGcAuto('nonsense')).toBe(6700);
  });

  it("estimates from objects/17 as git does: more than gc.auto / 256 loose objects there", () => {
    looseIn17(27);
    expect(looseObjectsDue(dir, 6700)).toBe(false);
    looseIn17(28);
    expect(looseObjectsDue(dir, 6700)).toBe(true);
    expect(looseObjectsDue(dir, 0)).toBe(false);
  });

  it('starts git gc --auto detached, silent and unreferenced, so the command never waits for it', () => {
    looseIn17(2);
    const { calls, spawn } = fakeSpawner();
    const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(startAutoGcIfDue({ gitDir: dir, commonDir: dir }, Date.now(), spawn)).toBe(true);
    } finally {
      process.env = saved;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]!.command).toBe('git');
    expect(calls[0]!.args).toEqual([`--git-dir=${dir}`, 'gc', '--auto', '--quiet']);
    expect(calls[0]!.options).toMatchObject({ detached: true, stdio: 'ignore' });
    expect(calls[0]!.unref).toBe(true);
  });

  it('starts none while a gc runs (a fresh gc.pid), and none below the estimate', () => {
    const { calls, spawn } = fakeSpawner();
    const saved = { ...process.env };
    Object.assign(process.env, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
    try {
      looseIn17(1);
      expect(startAutoGcIfDue({ gitDir: dir, commonDir: dir }, Date.now(), spawn)).toBe(false);
      looseIn17(5);
      writeFileSync(join(dir, 'gc.pid'), '123 host');
      expect(startAutoGcIfDue({ gitDir: dir, commonDir: dir }, Date.now(), spawn)).toBe(false);
    } finally {
      process.env = saved;
    }
    expect(calls).toHaveLength(0);
  });
});
