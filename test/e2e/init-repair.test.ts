import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { makeRepo, GIT_ENV, type TestRepo } from '../helpers/repo.js';

/** A ledger whose gt.yaml is missing or broken: the error names gt init, and gt init repairs it, keeping every bead. */

let r: TestRepo;
beforeEach(() => {
  r = makeRepo({ name: 'project' });
});
afterEach(() => r.cleanup());

/** Commits a hand edit of the ledger: gt.yaml replaced by `text`, or removed. */
function handEditConfig(text: string | null): void {
  const env = { ...process.env, ...GIT_ENV, GIT_INDEX_FILE: `${r.dir}/../hand-index` };
  const git = (args: string[], input = ''): string => execFileSync('git', args, { cwd: r.dir, env, input, encoding: 'utf8' }).trim();
  git(['read-tree', 'gt/ledger']);
  if (text === null) git(['rm', '-q', '--cached', 'gt.yaml']);
  else git(['update-index', '--cacheinfo', `100644,${git(['hash-object', '-w', '--stdin'], text)},gt.yaml`]);
  const commit = git(['commit-tree', git(['write-tree']), '-p', 'gt/ledger', '-m', 'hand edit']);
  r.git('update-ref', 'refs/heads/gt/ledger', commit);
}

function setUp(): string[] {
  r.gtOk('init', '--prefix', 'shop');
  const ids = ['One', 'Two', 'Three'].map((t) => r.gtJson<{ id: string }>('create', t).id);
  r.gtOk('close', ids[0]!);
  return ids;
}

describe('gt init repairs gt.yaml', () => {
  for (const [name, text, problem] of [
    ['missing', null, /has no gt\.yaml/],
    ['unparseable', 'schema: [1\nprefix: shop\n', /^gt: gt\.yaml:\d+: /],
    ['invalid', 'schema: 1\nprefix: 42\n', /gt\.yaml:2: prefix must be 2 to 8 lowercase letters/],
  ] as const) {
    it(`when it is ${name}: the hint names gt init, which writes a valid one keeping every bead`, () => {
      const ids = setUp();
      const beadsBefore = r.git('ls-tree', 'gt/ledger', 'beads/');
      handEditConfig(text);
      const broken = r.gt(['list']);
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toMatch(problem);
      expect(broken.stderr).toContain('hint: run gt init to write');
      expect(broken.stderr).not.toContain('internal error');

      const tip = r.git('rev-parse', 'gt/ledger').trim();
      expect(r.gtOk('init')).toContain('repaired gt/ledger: wrote a new gt.yaml (prefix shop)');
      expect(r.git('rev-parse', 'gt/ledger^').trim()).toBe(tip);
      expect(r.git('show', '--name-only', '--format=', 'gt/ledger').trim()).toBe('gt.yaml');
      expect(r.git('show', 'gt/ledger:gt.yaml')).toBe('schema: 2\nprefix: shop\n');
      expect(r.git('ls-tree', 'gt/ledger', 'beads/')).toBe(beadsBefore);
      expect(r.gtJson<{ id: string }[]>('list', '--all').map((b) => b.id).sort()).toEqual([...ids].sort());
      expect(r.gtJson<{ id: string }>('create', 'Four').id).toMatch(/^shop-/);
      // Repaired once: running it again changes nothing.
      const repaired = r.git('rev-parse', 'gt/ledger').trim();
      r.gtOk('doctor');
      expect(r.gtOk('init')).toContain('already exists');
      expect(r.git('rev-parse', 'gt/ledger').trim()).toBe(repaired);
    });
  }

  it('an explicit --prefix wins; a gt.yaml from a newer gt is not overwritten', () => {
    setUp();
    handEditConfig(null);
    expect(r.gtOk('init', '--prefix', 'web')).toContain('(prefix web)');
    handEditConfig('schema: 99\nprefix: shop\n');
    const tip = r.git('rev-parse', 'gt/ledger').trim();
    const out = r.gt(['init']);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('upgrade gt');
    expect(out.stderr).not.toContain('gt init');
    expect(r.git('rev-parse', 'gt/ledger').trim()).toBe(tip);
  });
});
