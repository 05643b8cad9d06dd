/**
 * The sharded layout (schema 2): a ledger of the flat layout (schema 1) reads as it is, moves to
 * shards with its first write, then merges an agent branch still in the flat layout field by field,
 * without a file twice; gt check finds files out of place and gt doctor --fix moves them. After
 * writes, git's auto gc packs the loose objects in the background.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GIT_ENV, ledgerFile, makeRepo, type TestRepo } from '../helpers/repo.js';
import { waitFor } from '../helpers/wait.js';
import { logicalPath } from '../../src/ledger/layout.js';

let r: TestRepo;
beforeEach(() => {
  r = makeRepo();
});
afterEach(() => r.cleanup());

interface BeadJson {
  id: string;
  title: string;
  priority: number;
}

function gitIn(input: string, env: Record<string, string>, ...args: string[]): string {
  return execFileSync('git', args, { cwd: r.dir, input, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env } }).trim();
}

/** The tree of `rev` as gt wrote it before schema 2: every entity file flat in its folder, gt.yaml at schema 1. */
function flatTree(rev: string): string {
  const index = join(r.dir, '.git', 'flat-index');
  const env = { GIT_INDEX_FILE: index };
  gitIn('', env, 'read-tree', '--empty');
  const lines = r.git('ls-tree', '-r', rev).trim().split('\n');
  const entries = lines.map((line) => {
    const [meta, path] = line.split('\t') as [string, string];
    const [mode, , oid] = meta.split(' ') as [string, string, string];
    if (path !== 'gt.yaml') return `${mode} ${oid}\t${logicalPath(path)}`;
    const config = r.git('show', `${rev}:gt.yaml`).replace(/^schema: 2$/m, 'schema: 1');
    return `${mode} ${gitIn(config, {}, 'hash-object', '-w', '--stdin')}\t${path}`;
  });
  gitIn(`${entries.join('\n')}\n`, env, 'update-index', '--add', '--index-info');
  return gitIn('', env, 'write-tree');
}

/** `commit` again with the flat tree of its own tree, on `parent` (none: a root commit); message and authors kept. */
function flatCommit(commit: string, parent: string | undefined): string {
  const message = r.git('log', '-1', '--format=%B', commit);
  const [name, email, date] = r.git('log', '-1', '--format=%an%x00%ae%x00%ad', '--date=raw', commit).trim().split('\0') as [string, string, string];
  const env = { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email, GIT_COMMITTER_DATE: date };
  return gitIn(message, env, 'commit-tree', flatTree(commit), ...(parent ? ['-p', parent] : []));
}

/** Every stored path under the kinds' folders. */
function entityFiles(rev = 'gt/ledger'): string[] {
  return r.git('ls-tree', '-r', '--name-only', rev).trim().split('\n').filter((p) => p.includes('/')).sort();
}

/**
 * A ledger of beads A and B made by an older gt (flat, schema 1), and alice's branch off it, also
 * flat: A's priority changed, C created.
 */
function oldLedger(): { a: string; b: string; c: string } {
  r.gtOk('init', '--prefix', 'gt');
  const a = r.gtJson<BeadJson>('create', 'Alpha').id;
  const b = r.gtJson<BeadJson>('create', 'Beta').id;
  const base = r.git('rev-parse', 'gt/ledger').trim();
  r.gtOk('--as', 'alice', 'update', a, '-p', '0');
  const c = r.gtJson<BeadJson>('--as', 'alice', 'create', 'Gamma').id;
  const aliceCommits = r.git('rev-list', '--reverse', `${base}..gt/agents/alice`).trim().split('\n');
  const flatBase = flatCommit(base, undefined);
  let flatAlice = flatBase;
  for (const commit of aliceCommits) flatAlice = flatCommit(commit, flatAlice);
  r.git('update-ref', 'refs/heads/gt/ledger', flatBase);
  r.git('update-ref', 'refs/heads/gt/agents/alice', flatAlice);
  expect(entityFiles()).toEqual([`beads/${a}.yaml`, `beads/${b}.yaml`].sort());
  return { a, b, c };
}

describe('the sharded layout', () => {
  it('reads a flat ledger, moves it with its first write, and merges a flat agent branch without a file twice', () => {
    const { a, b, c } = oldLedger();
    expect(r.gtJson<BeadJson[]>('list').map((x) => x.id).sort()).toEqual([a, b].sort());
    const oldCheck = r.gt(['check']);
    expect(oldCheck.status, oldCheck.stdout).toBe(0);
    expect(oldCheck.stdout).toContain('flat layout of schema 1 (fix: gt doctor --fix, or the next write');

    r.gtOk('update', b, '-p', '1');
    expect(entityFiles()).toEqual([ledgerFile('beads', a), ledgerFile('beads', b)].sort());
    expect(r.git('show', 'gt/ledger:gt.yaml')).toMatch(/^schema: 2$/m);
    expect(r.git('log', '-1', '--format=%B', 'gt/ledger')).toContain('Ledger layout: schema 1 → 2, 2 entity files moved to <folder>/<shard>/<id>.yaml.');

    expect(r.gtOk('merge')).toContain('alice: merged');
    expect(entityFiles()).toEqual([ledgerFile('beads', a), ledgerFile('beads', b), ledgerFile('beads', c)].sort());
    const beads = r.gtJson<BeadJson[]>('list');
    expect(beads.map((x) => [x.id, x.priority]).sort()).toEqual([[a, 0], [b, 1], [c, 2]].sort());
    expect(r.gtOk('check')).toMatch(/^ledger at [0-9a-f]+ is clean$/m);
    // The commit that moved the files is no change to any bead's history.
    const moved = r.git('log', '--format=%H', '--grep', 'Ledger layout', 'gt/ledger').trim();
    const history = r.gtJson<{ commit: string; change: string }[]>('log', a);
    expect(history.map((e) => e.commit)).not.toContain(moved);
    expect(history[history.length - 1]!.change).toBe('created');
    // Git's attributes reach the files in their shards: merges and diffs go through gt's drivers.
    const wt = join(r.dir, '..', 'ledger-wt');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    expect(execFileSync('git', ['check-attr', 'merge', 'diff', '--', ledgerFile('beads', a)], { cwd: wt, encoding: 'utf8' })).toBe(
      `${ledgerFile('beads', a)}: merge: gt\n${ledgerFile('beads', a)}: diff: gt\n`,
    );
    r.git('worktree', 'remove', '--force', wt);
  });

  it('gt doctor --fix moves a flat ledger in one commit; gt check names a file out of place, and doctor --fix moves it', () => {
    const { a, b } = oldLedger();
    const before = r.git('rev-parse', 'gt/ledger').trim();
    const fix = r.gtOk('doctor', '--fix');
    expect(fix).toContain('fixed: Ledger layout: schema 1 → 2, 2 entity files moved');
    expect(r.git('rev-parse', 'gt/ledger~1').trim()).toBe(before);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe('ledger: move to the sharded layout');
    expect(entityFiles()).toEqual([ledgerFile('beads', a), ledgerFile('beads', b)].sort());
    expect(r.gt(['check']).status).toBe(0);

    // A flat file in a sharded ledger, as a native merge of an old agent branch would leave it.
    const tip = r.git('rev-parse', 'gt/ledger').trim();
    const index = join(r.dir, '.git', 'hand-index');
    const env = { GIT_INDEX_FILE: index };
    gitIn('', env, 'read-tree', 'gt/ledger');
    const blob = r.git('rev-parse', `gt/ledger:${ledgerFile('beads', a)}`).trim();
    gitIn('', env, 'update-index', '--add', '--cacheinfo', `100644,${blob},beads/${a}.yaml`);
    gitIn('', env, 'update-index', '--force-remove', ledgerFile('beads', a));
    const commit = gitIn('', {}, 'commit-tree', gitIn('', env, 'write-tree'), '-p', tip, '-m', 'native merge of an old branch');
    r.git('update-ref', 'refs/heads/gt/ledger', commit);
    expect(r.gtJson<BeadJson[]>('show', a)[0]!.title).toBe('Alpha');
    const check = r.gt(['check']);
    expect(check.status).toBe(1);
    expect(check.stdout.trim()).toBe(`beads/${a}.yaml: stored flat, as before schema 2: it belongs at ${ledgerFile('beads', a)} (fix: gt doctor --fix)`);
    expect(r.gtOk('doctor', '--fix')).toContain('fixed: Ledger layout: 1 entity file moved');
    expect(entityFiles()).toEqual([ledgerFile('beads', a), ledgerFile('beads', b)].sort());
    expect(r.gt(['check']).status).toBe(0);
  });

  it('a ledger written by a newer gt is refused with one line', () => {
    r.gtOk('init', '--prefix', 'gt');
    const config = gitIn('schema: 3\nprefix: gt\n', {}, 'hash-object', '-w', '--stdin');
    const index = join(r.dir, '.git', 'hand-index');
    const env = { GIT_INDEX_FILE: index };
    gitIn('', env, 'read-tree', 'gt/ledger');
    gitIn('', env, 'update-index', '--cacheinfo', `100644,${config},gt.yaml`);
    const commit = gitIn('', {}, 'commit-tree', gitIn('', env, 'write-tree'), '-p', 'gt/ledger', '-m', 'from the future');
    r.git('update-ref', 'refs/heads/gt/ledger', commit);
    const out = r.gt(['list']);
    expect(out.status).not.toBe(0);
    expect(out.stderr.split('\n')[0]).toBe('gt: gt.yaml:1: this ledger uses schema 3, but this gt only understands schema 2: upgrade gt');
  });
});

describe('packing the object store', () => {
  it('after writes past gc.auto, git gc --auto packs the loose objects in the background', async () => {
    r.git('config', 'gc.auto', '20');
    // Enough loose objects that git's estimate (objects/17 against gc.auto / 256) calls for a gc.
    mkdirSync(join(r.dir, 'files'));
    for (let i = 0; i < 1500; i++) writeFileSync(join(r.dir, 'files', `${i}`), `${i}\n`);
    r.git('add', 'files');
    r.git('commit', '-qm', 'many files');
    expect(r.git('count-objects', '-v')).toMatch(/^packs: 0$/m);
    r.gtOk('init', '--prefix', 'gt');
    r.gtOk('create', 'Packed');
    const counts = (): Record<string, number> => Object.fromEntries(r.git('count-objects', '-v').trim().split('\n').map((line) => [line.split(':')[0]!, Number(line.split(':')[1])]));
    await waitFor('the loose objects to be packed', () => {
      const { count, packs } = counts();
      return packs! >= 1 && count! < 100 ? true : undefined;
    });
    await waitFor('git gc to finish', () => (existsSync(join(r.dir, '.git', 'gc.pid')) ? undefined : true));
    expect(r.gtJson<BeadJson[]>('list').map((b) => b.title)).toEqual(['Packed']);
  });
});
