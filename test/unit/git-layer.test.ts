import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCommit, decodeTree, encodeCommit, encodeTree, hashObject } from '../../src/git/object-format.js';
import { LooseObjectWriter } from '../../src/git/object-writer.js';
import { RefStore } from '../../src/git/refs.js';
import { LedgerIndex } from '../../src/ledger/index-cache.js';
import { RefConflictError } from '../../src/errors.js';
import { makeTempDir } from '../helpers/repo.js';

const dirs: string[] = [];
function repo(): string {
  const dir = makeTempDir();
  dirs.push(dir);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
const who = { name: 't', email: 't@x', timestamp: 1_700_000_000, timezoneOffset: 60 };

describe('objects', () => {
  it('writes blobs, trees and commits that native git reads and fsck accepts', () => {
    const dir = repo();
    const writer = new LooseObjectWriter(join(dir, '.git', 'objects'));
    const blob = writer.write('blob', Buffer.from('hello\n'));
    expect(blob).toBe(execFileSync('git', ['-C', dir, 'hash-object', '--stdin'], { input: 'hello\n', encoding: 'utf8' }).trim());
    const sub = writer.write('tree', encodeTree([{ mode: '100644', name: 'b.yaml', oid: blob }]));
    // Git orders a tree named "a" after a file named "a.yaml" ("a/" > "a.yaml").
    const root = writer.write('tree', encodeTree([{ mode: '40000', name: 'a', oid: sub }, { mode: '100644', name: 'a.yaml', oid: blob }]));
    expect(git(dir, 'ls-tree', root)).toBe(`100644 blob ${blob}\ta.yaml\n040000 tree ${sub}\ta\n`);
    const commit = writer.write('commit', encodeCommit({ tree: root, parents: [], author: who, committer: who, message: 'msg' }));
    expect(git(dir, 'log', '-1', '--format=%an %ae %at %s', commit).trim()).toBe('t t@x 1700000000 msg');
    git(dir, 'update-ref', 'refs/heads/x', commit);
    git(dir, 'fsck', '--strict');
    const rawTree = execFileSync('git', ['-C', dir, 'cat-file', 'tree', root]);
    expect(encodeTree(decodeTree(rawTree)).equals(rawTree)).toBe(true);
    expect(decodeCommit(encodeCommit({ tree: root, parents: [commit], author: who, committer: who, message: 'two\n\nbody\n' }))).toMatchObject({ parents: [commit], message: 'two\n\nbody\n', author: who });
    expect(hashObject('blob', Buffer.from('hello\n'))).toBe(blob);
  });

  it('writes through a temporary file and leaves none behind', () => {
    const dir = repo();
    const objects = join(dir, '.git', 'objects');
    const writer = new LooseObjectWriter(objects);
    const oids = Array.from({ length: 50 }, (_, i) => writer.write('blob', Buffer.from(`blob ${i}`)));
    for (const oid of oids) expect(existsSync(join(objects, oid.slice(0, 2), oid.slice(2)))).toBe(true);
    const leftovers = readdirSync(objects, { recursive: true }).filter((f) => String(f).includes('tmp_obj_'));
    expect(leftovers).toEqual([]);
    git(dir, 'fsck', '--strict');
  });
});

describe('refs', () => {
  it('compare-and-swap: succeeds from the expected value, refuses a stale one, honours packed refs', () => {
    const dir = repo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'a');
    const a = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'b');
    const b = git(dir, 'rev-parse', 'HEAD').trim();
    const refs = new RefStore(join(dir, '.git'), { staleLockMs: 2000 });
    refs.compareAndSwap({ ref: 'refs/heads/gt/ledger', expected: null, next: a, who, message: 'create' });
    expect(() => refs.compareAndSwap({ ref: 'refs/heads/gt/ledger', expected: null, next: b, who, message: 'x' })).toThrow(RefConflictError);
    git(dir, 'pack-refs', '--all');
    expect(existsSync(join(dir, '.git', 'refs', 'heads', 'gt', 'ledger'))).toBe(false);
    expect(refs.resolve('refs/heads/gt/ledger')).toBe(a);
    expect([...refs.list('refs/heads/gt/').entries()]).toEqual([['refs/heads/gt/ledger', a]]);
    refs.compareAndSwap({ ref: 'refs/heads/gt/ledger', expected: a, next: b, who, message: 'move' });
    expect(git(dir, 'rev-parse', 'gt/ledger').trim()).toBe(b);
    expect(git(dir, 'reflog', '--format=%gs', 'gt/ledger').trim().split('\n')).toEqual(['move', 'create']);
  });

  it('excludes native git while held, and takes over a stale lock left by a killed process', () => {
    const dir = repo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'a');
    const a = git(dir, 'rev-parse', 'HEAD').trim();
    const lock = join(dir, '.git', 'refs', 'heads', 'main.lock');
    writeFileSync(lock, '');
    expect(() => git(dir, 'update-ref', 'refs/heads/main', a)).toThrow();
    const old = (Date.now() - 10_000) / 1000;
    utimesSync(lock, old, old);
    new RefStore(join(dir, '.git'), { staleLockMs: 2000 }).compareAndSwap({ ref: 'refs/heads/main', expected: a, next: a, who, message: 'same' });
    expect(existsSync(lock)).toBe(false);
  });

  it('measures a lock\'s age on the clock it is given: a just-made lock is stale on a clock 3 s ahead', () => {
    const dir = repo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'a');
    const a = git(dir, 'rev-parse', 'HEAD').trim();
    const lock = join(dir, '.git', 'refs', 'heads', 'main.lock');
    writeFileSync(lock, '');
    const lockedAt = statSync(lock).mtimeMs;
    new RefStore(join(dir, '.git'), { staleLockMs: 2000, now: () => lockedAt + 3000 }).compareAndSwap({ ref: 'refs/heads/main', expected: a, next: a, who, message: 'same' });
    expect(existsSync(lock)).toBe(false);
  });
});

describe('index', () => {
  it('survives a round trip through its log, resolves tree deltas, and compacts to what is live', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const one = LedgerIndex.open(dir);
    one.setTree('t1', [{ mode: '100644', name: 'a.yaml', oid: 'o1' }, { mode: '100644', name: 'b.yaml', oid: 'o2' }]);
    one.setCommit('c1', 'root1', []);
    one.setFile('beads/a.yaml', 'o1', { value: { id: 'a' } });
    one.save(() => ['c1']); // No base yet: compacts (keeps nothing unreachable).
    const two = LedgerIndex.open(dir);
    expect(two.commit('c1')).toEqual({ tree: 'root1', parents: [] });
    two.setTree('t1', [{ mode: '100644', name: 'a.yaml', oid: 'o1' }, { mode: '100644', name: 'b.yaml', oid: 'o2' }]);
    two.setTreeDelta('t2', 't1', [{ mode: '100644', name: 'c.yaml', oid: 'o3' }], ['a.yaml']);
    two.setTreeDelta('t3', 't2', [{ mode: '100644', name: 'b.yaml', oid: 'o4' }], []);
    two.save(() => ['c1']);
    expect(readdirSync(dir).sort()).toEqual(['index.json', 'index.log']);
    const three = LedgerIndex.open(dir);
    expect(three.tree('t3')!.map((e) => `${e.name}=${e.oid}`).sort()).toEqual(['b.yaml=o4', 'c.yaml=o3']);
    expect(three.tree('missing')).toBeUndefined();
  });

  it('is read only when a lookup needs it: a writer that only adds appends to the log', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const first = LedgerIndex.open(dir);
    first.setCommit('c1', 'root1', []);
    first.save(() => ['c1']);
    const writer = LedgerIndex.open(dir);
    writer.rememberTree('big', [{ mode: '100644', name: 'a.yaml', oid: 'o1' }]);
    expect(writer.tree('big')).toHaveLength(1);
    writer.setCommit('c2', 'root2', ['c1']);
    writer.save(() => {
      throw new Error('compaction must not run while the log is small');
    });
    expect(writer.isLoaded).toBe(false);
    const reader = LedgerIndex.open(dir);
    expect(reader.commit('c2')).toEqual({ tree: 'root2', parents: ['c1'] });
    expect(reader.isLoaded).toBe(true);
    expect(reader.commit('c1')).toEqual({ tree: 'root1', parents: [] });
    // Remembered trees are this process's only: they would bloat the log.
    expect(reader.tree('big')).toBeUndefined();
  });

  it('leaves a log past its size to the next process that reads the index, up to a hard limit', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const first = LedgerIndex.open(dir);
    first.setCommit('c1', 'root1', []);
    first.save(() => ['c1']);
    // A merge that never read the index, with a log already past the size a reader folds at.
    const line = (n: number) => `${JSON.stringify({ version: 7, files: { [`beads/x${n}.yaml o`]: `v${'x'.repeat(200 * 1024)}` } })}\n`;
    writeFileSync(join(dir, 'index.log'), line(1) + line(2) + line(3));
    const merge = LedgerIndex.open(dir);
    merge.setCommit('c2', 'root2', ['c1']);
    merge.save(() => {
      throw new Error('a process that never read the index must not fold its log below the hard limit');
    });
    expect(merge.isLoaded).toBe(false);
    // One that reads it folds it when it saves.
    const reader = LedgerIndex.open(dir);
    expect(reader.commit('c2')).toEqual({ tree: 'root2', parents: ['c1'] });
    reader.setCommit('c3', 'root3', ['c2']);
    reader.save(() => ['c3']);
    expect(statSync(join(dir, 'index.log')).size).toBe(0);
    // Past the hard limit, even one that never read it folds it.
    writeFileSync(join(dir, 'index.log'), Array.from({ length: 11 }, (_, i) => line(i)).join(''));
    const late = LedgerIndex.open(dir);
    late.setCommit('c4', 'root4', ['c3']);
    late.save(() => ['c4']);
    expect(statSync(join(dir, 'index.log')).size).toBe(0);
    expect(LedgerIndex.open(dir).commit('c4')).toEqual({ tree: 'root4', parents: ['c3'] });
  });
  /**
   * A large write (`add` to an index with commit c2) saved by a process that never read the index: it
   * must not load the index to fold it, and appends a short line. Returns the index as read after.
   */
  const afterUnreadLargeWrite = (add: (index: LedgerIndex) => void): LedgerIndex => {
    const dir = makeTempDir();
    dirs.push(dir);
    const first = LedgerIndex.open(dir);
    first.setCommit('c1', 'root1', []);
    first.save(() => ['c1']);
    const importer = LedgerIndex.open(dir);
    importer.setCommit('c2', 'root2', ['c1']);
    add(importer);
    importer.save(() => {
      throw new Error('a process that never read the index must not load it to fold one large write');
    });
    expect(importer.isLoaded).toBe(false);
    expect(statSync(join(dir, 'index.log')).size).toBeLessThan(1024);
    const reader = LedgerIndex.open(dir);
    expect(reader.commit('c2')).toEqual({ tree: 'root2', parents: ['c1'] });
    return reader;
  };

  it('a write of more files than the log takes, by a process that never read the index, keeps all but the files and does not load it', () => {
    const reader = afterUnreadLargeWrite((index) => {
      for (let i = 0; i < 12; i++) index.setFile(`beads/x${i}.yaml`, `o${i}`, { value: { id: `x${i}`, notes: 'x'.repeat(200 * 1024) } });
    });
    expect(reader.file('beads/x0.yaml', 'o0')).toBeUndefined();
  });

  it('a write whose trees alone are more than the log takes keeps its commits only, and does not load the index', () => {
    // 256 shard trees of 200 entries each: what an import rewriting every bead of 50,000 leaves.
    const reader = afterUnreadLargeWrite((index) => {
      for (let t = 0; t < 256; t++) index.setTree(`s${t}`, Array.from({ length: 200 }, (_, i) => ({ mode: '100644', name: `bead-${t}-${i}.yaml`, oid: `${t}`.padStart(40, '0') })));
    });
    expect(reader.tree('s0')).toBeUndefined();
  });
});

describe('index compaction', () => {
  it('keeps trees far down a delta chain as a delta against an anchor tree, not whole', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const index = LedgerIndex.open(dir);
    const entries = Array.from({ length: 200 }, (_, i) => ({ mode: '100644', name: `b${i}.yaml`, oid: `o${i}` }));
    index.setTree('t0', entries);
    for (let i = 1; i <= 40; i++) index.setTreeDelta(`t${i}`, `t${i - 1}`, [{ mode: '100644', name: `b${i}.yaml`, oid: `new${i}` }], []);
    index.setCommit('c0', 't0', []);
    index.setCommit('c40', 't40', ['c0']);
    index.save(() => ['c0', 'c40']);
    const stored = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { trees: Record<string, unknown>; deltas: Record<string, { base: string; set: unknown[] }> };
    expect(Object.keys(stored.trees)).toEqual(['t0']);
    expect(stored.deltas.t40).toMatchObject({ base: 't0' });
    expect(stored.deltas.t40!.set).toHaveLength(40);
    const reread = LedgerIndex.open(dir);
    const t40 = reread.tree('t40')!;
    expect(t40).toHaveLength(200);
    expect(t40.find((e) => e.name === 'b7.yaml')!.oid).toBe('new7');
    expect(t40.find((e) => e.name === 'b100.yaml')!.oid).toBe('o100');
  });
});
