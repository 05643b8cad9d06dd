import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { GIT_ENV, useGtRepo } from '../helpers/repo.js';

const r = useGtRepo();

describe('the observer reads every commit since its last pass', () => {
  it('records all 250 Closes: commits of one pull, not only the newest 200', () => {
    const ids = Array.from({ length: 250 }, (_, i) => `gt-c${String(i).padStart(3, '0')}`);
    r.gt(['import', '-', '--format', 'json'], { input: JSON.stringify(ids.map((id) => ({ id, title: `Task ${id}` }))) });
    expect(r.gtJson<unknown[]>('list', '--status', 'open')).toHaveLength(250);
    r.gtOk('observe');
    // One pull bringing 250 commits: built in one shell so the test does not start 250 processes from node.
    const script = ids.map((id) => `git commit -q --allow-empty -m 'work on ${id}' -m 'Closes: ${id}'`).join('\n');
    execFileSync('sh', ['-c', script], { cwd: r.dir, env: { ...process.env, ...GIT_ENV } });
    r.gtOk('observe');
    expect(r.gtJson<unknown[]>('list', '--status', 'open')).toEqual([]);
    expect(r.gtJson<unknown[]>('list', '--status', 'closed')).toHaveLength(250);
  });
});
