import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeTempDir, runGt, type TestRepo } from '../helpers/repo.js';

const repos: TestRepo[] = [];
function repo(options?: Parameters<typeof makeRepo>[0]): TestRepo {
  const r = makeRepo(options);
  repos.push(r);
  return r;
}
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

describe('gt init', () => {
  it('creates an orphan ledger branch holding only gt.yaml and its .gitattributes, prefix from the directory name', () => {
    const r = repo({ name: 'My-Web_App2' });
    expect(r.gtOk('init')).toContain('initialized ledger gt/ledger (prefix mywebapp)');
    expect(r.git('ls-tree', '--name-only', 'gt/ledger').trim()).toBe('.gitattributes\ngt.yaml');
    expect(r.git('show', 'gt/ledger:gt.yaml')).toBe('schema: 2\nprefix: mywebapp\n');
    expect(r.git('rev-list', '--count', 'gt/ledger').trim()).toBe('1');
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe('init ledger (prefix mywebapp)');
  });

  it('changes nothing when run again', () => {
    const r = repo();
    r.gtOk('init', '--prefix', 'web');
    const before = r.git('rev-parse', 'gt/ledger');
    expect(r.gtOk('init')).toContain('already exists (prefix web)');
    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);
  });

  it('works in a repository without commits and on a detached HEAD', () => {
    const empty = repo({ empty: true });
    empty.gtOk('init', '--prefix', 'ab');
    expect(empty.gtJson<{ id: string }>('create', 'first').id).toMatch(/^ab-[0-9a-z]{4}$/);
    const detached = repo();
    detached.git('checkout', '-q', '--detach');
    detached.gtOk('init');
    expect(detached.git('status', '--porcelain')).toBe('');
  });

  it('refuses a bad prefix and explains outside a repository', () => {
    const r = repo();
    const bad = r.gt(['init', '--prefix', 'Web1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("invalid prefix 'Web1'");
    const outside = runGt(['init'], makeTempDir());
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toMatch(/^gt: not a git repository/);
    expect(outside.stderr).not.toContain('    at ');
  });

  it('commands before init say to run gt init', () => {
    const r = repo();
    const result = r.gt(['list']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('run `gt init` first');
  });

  it('never touches the working tree, index or HEAD, even mid-conflict', () => {
    const r = repo();
    writeFileSync(join(r.dir, 'a.txt'), 'base\n');
    r.git('add', 'a.txt');
    r.git('commit', '-qm', 'base');
    r.git('checkout', '-qb', 'other');
    writeFileSync(join(r.dir, 'a.txt'), 'other\n');
    r.git('commit', '-qam', 'other');
    r.git('checkout', '-q', 'main');
    writeFileSync(join(r.dir, 'a.txt'), 'main\n');
    r.git('commit', '-qam', 'main');
    try {
      r.git('merge', 'other');
    } catch {
      // The conflict is the point.
    }
    const status = r.git('status', '--porcelain');
    const head = r.git('rev-parse', 'HEAD');
    const index = r.git('ls-files', '-s');
    r.gtOk('init');
    r.gtOk('create', 'work during a conflict');
    expect(r.git('status', '--porcelain')).toBe(status);
    expect(r.git('rev-parse', 'HEAD')).toBe(head);
    expect(r.git('ls-files', '-s')).toBe(index);
    expect(status).toContain('UU a.txt');
  });
});
