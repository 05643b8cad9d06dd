import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, makeTempDir, runGt, useGtRepo } from '../helpers/repo.js';

interface LogEntry {
  commit: string;
  author: string;
  change: string;
  fields: string[];
  status?: string;
}

const r = useGtRepo();

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });

describe('gt log from the history index', () => {
  it('answers from an index kept up to date by what is new, agent branches included, the same as a walk of history', () => {
    const id = r.gtJson<{ id: string }>('create', 'Track me').id;
    const other = r.gtJson<{ id: string }>('create', 'Someone else').id;
    r.gtOk('update', id, '-p', '1');
    expect(r.gtJson<LogEntry[]>('log', id).map((e) => e.change)).toEqual(['updated', 'created']);
    expect(existsSync(join(r.dir, '.git', 'gt', 'history', 'commits.jsonl'))).toBe(true);
    // New commits after the index was built, on the ledger and on an agent branch, merged.
    r.gtOk('update', other, '-p', '3');
    r.gtOk('update', id, '--claim', '--as', 'alice');
    expect(r.gtJson<LogEntry[]>('log', id, '--as', 'alice').map((e) => [e.author, e.change])).toEqual([
      ['alice', 'updated'],
      ['overseer', 'updated'],
      ['overseer', 'created'],
    ]);
    // The overseer does not see alice's unmerged claim until it is merged.
    expect(r.gtJson<LogEntry[]>('log', id)).toHaveLength(2);
    r.gtOk('merge');
    r.gtOk('close', id);
    const log = r.gtJson<LogEntry[]>('log', id);
    expect(log.map((e) => [e.author, e.change, e.status])).toEqual([
      ['overseer', 'updated', 'closed'],
      ['alice', 'updated', 'in_progress'],
      ['overseer', 'updated', 'open'],
      ['overseer', 'created', 'open'],
    ]);
    expect(log[1]!.fields).toEqual(['status', 'assignee']);
    // Built from scratch without a git binary (trees walked through isomorphic-git): the same answer.
    rmSync(join(r.dir, '.git', 'gt', 'history'), { recursive: true });
    const walked = JSON.parse(runGt(['log', id, '--json'], r.dir, { GT_GIT_BACKEND: 'iso' }).stdout) as LogEntry[];
    expect(walked).toEqual(log);
    // A lost or damaged index is rebuilt.
    execFileSync('sh', ['-c', 'printf \'{"commit":"cut sh\' >> .git/gt/history/commits.jsonl'], { cwd: r.dir });
    expect(r.gtJson<LogEntry[]>('log', id)).toEqual(log);
  });

  it('works in a shallow clone, showing what it has and where its history stops, and all of it once deepened', () => {
    const id = r.gtJson<{ id: string }>('create', 'Old bead').id;
    for (let p = 0; p < 4; p++) r.gtOk('update', id, '-p', String(p));
    const full = r.gtJson<LogEntry[]>('log', id);
    expect(full).toHaveLength(5);
    const root = makeTempDir('gt-shallow-');
    const clone = join(root, 'clone');
    git(root, 'clone', '-q', '--depth', '2', '--no-single-branch', `file://${r.dir}`, clone);
    git(clone, 'branch', 'gt/ledger', 'origin/gt/ledger');
    const shallow = runGt(['log', id, '--json'], clone);
    expect(shallow.stderr).toBe('');
    const entries = JSON.parse(shallow.stdout) as LogEntry[];
    expect(entries.slice(0, -1).map((e) => e.commit)).toEqual(full.slice(0, 1).map((e) => e.commit));
    expect(entries.at(-1)).toMatchObject({ change: 'history-cut' });
    expect(runGt(['log', id], clone).stdout).toContain('earlier history is not in this shallow clone');
    git(clone, 'fetch', '-q', '--unshallow');
    git(clone, 'branch', '-f', 'gt/ledger', 'origin/gt/ledger');
    expect((JSON.parse(runGt(['log', id, '--json'], clone).stdout) as LogEntry[]).map((e) => e.commit)).toEqual(full.map((e) => e.commit));
    execFileSync('rm', ['-rf', root]);
  });
});
