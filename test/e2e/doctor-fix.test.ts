import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGtRepo } from '../helpers/repo.js';

interface Finding {
  severity: string;
  message: string;
}
interface FixReport {
  fixed: string[];
  left: string[];
  findings: Finding[];
}

const r = useGtRepo();

const gtDir = (): string => join(r.dir, '.git', 'gt');
const findings = (): Finding[] => JSON.parse(r.gt(['doctor', '--json']).stdout) as Finding[];
const fix = (): FixReport => JSON.parse(r.gt(['doctor', '--fix', '--json']).stdout) as FixReport;
/** Sets a file's or folder's times this many seconds back (what a killed process leaves behind, aged). */
const age = (path: string, seconds: number): void => {
  const t = Date.now() / 1000 - seconds;
  utimesSync(path, t, t);
};
/** A process id that was just used and is gone. */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());

describe('gt doctor --fix', () => {
  it('removes stale locks, leaves a ref lock that may still be git\'s, and says what it did', () => {
    const writeLock = join(gtDir(), 'write.lock');
    mkdirSync(writeLock, { recursive: true });
    age(writeLock, 3600);
    const refLock = join(r.dir, '.git', 'refs', 'heads', 'gt', 'agents', 'ann.lock');
    mkdirSync(join(refLock, '..'), { recursive: true });
    writeFileSync(refLock, '');
    age(refLock, 20);
    expect(findings().filter((f) => f.message.startsWith('stale lock')).length).toBe(2);

    const human = r.gt(['doctor', '--fix']);
    expect(human.stdout).toContain(`fixed: removed stale lock ${writeLock}`);
    expect(human.stdout).toContain(`not fixed: left ${refLock}: a ref lock younger than a minute may belong to a running git`);
    expect(existsSync(writeLock)).toBe(false);
    expect(existsSync(refLock)).toBe(true);

    age(refLock, 3600);
    expect(fix().fixed).toEqual([expect.stringContaining(`removed stale lock ${refLock}`)]);
    expect(existsSync(refLock)).toBe(false);
    // The ledger still takes writes.
    r.gtOk('create', 'After the fix');
  });

  it("removes what killed gt config set --local runs left; an unreadable local settings file is reported, never moved", () => {
    const tmp = join(gtDir(), `config.yaml.${deadPid()}.0a1b2c3d.tmp`);
    writeFileSync(tmp, 'polecats:\n  max: 3\n');
    expect(findings()).toContainEqual(expect.objectContaining({ message: expect.stringContaining(`${tmp} was left by a gt config set --local that was killed`) }));
    expect(fix().fixed).toContainEqual(expect.stringContaining(`removed ${tmp}`));
    expect(existsSync(tmp)).toBe(false);

    const local = join(gtDir(), 'config.yaml');
    writeFileSync(local, 'polecats: [oops\n');
    const doctor = r.gt(['doctor', '--json']);
    expect(doctor.status).toBe(1);
    expect(JSON.parse(doctor.stdout)).toContainEqual(expect.objectContaining({ severity: 'error', message: expect.stringContaining(`${local}:`) }));
    expect(JSON.parse(doctor.stdout)[0].message).toContain("this machine's settings file");
    fix();
    expect(readFileSync(local, 'utf8')).toBe('polecats: [oops\n');
  });

  it("puts back gt's git hooks only where they were installed, and never moves a hook of yours", () => {
    const hooks = join(r.dir, '.git', 'hooks');
    // Never installed: doctor neither complains nor installs.
    expect(fix().fixed.filter((l) => l.includes('hook'))).toEqual([]);
    expect(existsSync(join(hooks, 'post-commit'))).toBe(false);

    r.gtOk('hooks', 'install');
    rmSync(join(hooks, 'post-commit'));
    writeFileSync(join(hooks, 'post-merge'), '#!/bin/sh\necho mine\n');
    const before = findings().map((f) => f.message);
    expect(before).toContainEqual(expect.stringContaining("gt's post-commit hook is missing"));
    expect(before).toContainEqual(expect.stringContaining('post-merge in'));

    const report = fix();
    expect(report.fixed).toContainEqual(expect.stringContaining("installed gt's post-commit hook"));
    expect(report.left).toContainEqual(expect.stringContaining('left your post-merge hook'));
    expect(readFileSync(join(hooks, 'post-commit'), 'utf8')).toContain('# gt-managed-hook v1');
    expect(readFileSync(join(hooks, 'post-merge'), 'utf8')).toBe('#!/bin/sh\necho mine\n');
    expect(existsSync(join(hooks, 'post-merge.gt-chained'))).toBe(false);
  });

  it('prunes worktrees whose folders are gone, keeping their branches', () => {
    const gone = join(r.dir, '..', 'gone');
    r.git('worktree', 'add', '-q', '-b', 'side', gone);
    rmSync(gone, { recursive: true, force: true });
    expect(findings()).toContainEqual(expect.objectContaining({ message: expect.stringContaining(`worktree ${gone} is registered but`) }));
    expect(fix().fixed).toContainEqual(expect.stringContaining('pruned 1 worktree entry whose folders are gone'));
    expect(r.git('worktree', 'list', '--porcelain')).not.toContain(gone);
    expect(r.git('branch', '--list', 'side')).toContain('side');
  });

  it('removes a sandbox no polecat owns after saving its work to a rescue ref; leaves young ones and those of polecats on the ledger', () => {
    const polecats = join(gtDir(), 'polecats');
    const ghost = join(polecats, 'ghost');
    r.git('worktree', 'add', '-q', '-b', 'polecat/ghost', ghost);
    const inGhost = (...args: string[]): string => r.git('-C', ghost, ...args);
    writeFileSync(join(ghost, 'done.txt'), 'committed\n');
    inGhost('add', 'done.txt');
    inGhost('commit', '-q', '-m', 'ghost work');
    writeFileSync(join(ghost, 'wip.txt'), 'not committed\n');
    // A polecat the ledger knows, with a sandbox: gt polecat gc's to judge, not doctor's.
    r.gtOk('agents', 'add', 'nux', '--role', 'polecat');
    const nux = join(polecats, 'nux');
    r.git('worktree', 'add', '-q', '-b', 'polecat/nux', nux);
    age(nux, 3600);

    // Fresh from a spawn that may not have written its record yet: left.
    expect(fix().left).toContainEqual(expect.stringContaining(`left ${ghost}: changed in the last ten minutes`));
    expect(existsSync(ghost)).toBe(true);

    age(ghost, 3600);
    expect(findings().map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringContaining(`sandbox ${ghost} belongs to no polecat`)]));
    expect(findings().map((f) => f.message).join('\n')).not.toContain(nux);
    const report = fix();
    const line = report.fixed.find((l) => l.includes(ghost));
    expect(line).toContain('removed orphaned sandbox');
    expect(line).toContain('1 uncommitted change, 1 commit');
    const ref = /saved at (refs\/gt\/rescue\/ghost\/\S+)/.exec(line!)![1]!;
    expect(existsSync(ghost)).toBe(false);
    expect(r.git('branch', '--list', 'polecat/ghost')).toBe('');
    // Everything is in the rescue commit: the committed file, and the uncommitted one.
    expect(r.git('show', `${ref}:done.txt`)).toBe('committed\n');
    expect(r.git('show', `${ref}:wip.txt`)).toBe('not committed\n');
    expect(existsSync(nux)).toBe(true);
    expect(findings().map((f) => f.message).join('\n')).not.toContain('belongs to no polecat');
  });
});
