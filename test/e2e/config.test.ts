import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, gtRepo, makeTempDir, runGt, type TestRepo } from '../helpers/repo.js';

const repos: TestRepo[] = [];
function repo(): TestRepo {
  const r = gtRepo();
  repos.push(r);
  return r;
}
const tempDirs: string[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Row {
  key: string;
  value: unknown;
  source: string;
  default: unknown;
  description: string;
}

describe('gt config', () => {
  it('set → get → list --json, one commit per change, then unset back to the default', () => {
    const r = repo();
    expect(r.gtOk('config', 'set', 'polecats.max', '6')).toBe('polecats.max = 6 on the ledger\n');
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe('config set polecats.max 6');
    expect(r.gtOk('config', 'get', 'polecats.max')).toBe('6\n');
    expect(r.gtJson<Row>('config', 'get', 'polecats.max')).toEqual({
      key: 'polecats.max',
      value: 6,
      source: 'ledger',
      default: 4,
      description: 'at most this many polecat sessions at once',
    });
    r.gtOk('config', 'set', 'polecats.names', 'nux,slit');
    const rows = r.gtJson<Row[]>('config', 'list');
    expect(rows.map((row) => row.key)).toContain('refinery.test_timeout');
    expect(rows.find((row) => row.key === 'polecats.names')).toMatchObject({ value: ['nux', 'slit'], source: 'ledger' });
    expect(rows.find((row) => row.key === 'witness.stall_after')).toMatchObject({ value: '5m', source: 'default', default: '5m' });
    expect(r.git('show', 'gt/ledger:gt.yaml')).toMatch(/^schema: 2\nprefix: gt\nsettings:\n {2}polecats:\n {4}max: 6\n {4}names:\n {6}- nux\n {6}- slit\nsettings_edited:\n/);

    const before = r.git('rev-parse', 'gt/ledger');
    expect(r.gtOk('config', 'set', 'polecats.max', '6')).toContain('already 6');
    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);

    expect(r.gtOk('config', 'unset', 'polecats.max')).toBe('unset polecats.max on the ledger\n');
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe('config unset polecats.max');
    expect(r.gtJson<Row>('config', 'get', 'polecats.max')).toMatchObject({ value: 4, source: 'default' });
    r.gtOk('config', 'unset', 'polecats.names');
    expect(r.git('show', 'gt/ledger:gt.yaml')).toBe('schema: 2\nprefix: gt\n');
  });

  it('--local overrides the ledger on this machine only; the environment overrides both', () => {
    const r = repo();
    r.gtOk('config', 'set', 'polecats.max', '6');
    expect(r.gtOk('config', 'set', '--local', 'polecats.max', '2')).toBe('polecats.max = 2 locally\n');
    const localFile = join(r.dir, '.git', 'gt', 'config.yaml');
    expect(readFileSync(localFile, 'utf8')).toBe('polecats:\n  max: 2\n');
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe('config set polecats.max 6');
    expect(r.gtJson<Row>('config', 'get', 'polecats.max')).toMatchObject({ value: 2, source: 'local' });
    expect(r.gtOk('config', 'get', '--local', 'polecats.max')).toBe('2\n');
    expect(r.gtJson<Row[]>('config', 'list', '--local')).toEqual([expect.objectContaining({ key: 'polecats.max', value: 2, source: 'local' })]);

    const env = { GT_POLECATS_MAX: '9', GT_RUNTIME_COMMAND: 'claude -p' };
    const list = JSON.parse(r.gt(['config', 'list', '--json'], { env }).stdout) as Row[];
    expect(list.find((row) => row.key === 'polecats.max')).toMatchObject({ value: 9, source: 'env' });
    expect(list.find((row) => row.key === 'runtime.command')).toMatchObject({ value: 'claude -p', source: 'env' });
    const text = r.gt(['config', 'list'], { env }).stdout;
    expect(text).toMatch(/^polecats\.max +9 +env$/m);
    expect(text).toMatch(/^refinery\.strategy +merge +default$/m);

    const set = r.gt(['config', 'set', 'polecats.max', '7'], { env });
    expect(set.stderr).toContain('GT_POLECATS_MAX in the environment overrides polecats.max here');
    expect(r.gtOk('config', 'unset', '--local', 'polecats.max')).toBe('unset polecats.max locally\n');
    expect(existsSync(localFile)).toBe(false);
    expect(r.gtJson<Row>('config', 'get', 'polecats.max')).toMatchObject({ value: 7, source: 'ledger' });
  });

  it('refuses unknown keys (naming the closest and every key) and bad values, exit 2, one line, nothing written', () => {
    const r = repo();
    const before = r.git('rev-parse', 'gt/ledger');
    const typo = r.gt(['config', 'set', 'polecat.max', '3']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toBe(
      "gt: unknown setting 'polecat.max' (did you mean polecats.max?); known keys: runtime.command, polecats.max, polecats.names, polecats.idle_exit, polecats.backoff, witness.stall_after, witness.max_restarts, observer.branches, refinery.target, refinery.strategy, refinery.test_command, refinery.test_timeout, refinery.max_attempts, refinery.batch_max, refinery.remote\n",
    );
    expect(r.gt(['config', 'get', 'witness.stal_after']).stderr).toContain('did you mean witness.stall_after?');
    for (const [key, value, message] of [
      ['polecats.max', '0', 'polecats.max takes a whole number of at least 1, not 0'],
      ['polecats.max', 'lots', "polecats.max takes a whole number of at least 1, not 'lots'"],
      ['witness.max_restarts', '-1', "witness.max_restarts takes a whole number of at least 0, not '-1'"],
      ['witness.stall_after', '5 minutes', "witness.stall_after takes a duration such as 30s, 5m, 2h, 1h30m or 500ms, not '5 minutes'"],
      ['polecats.names', 'nux,Furiosa', "polecats.names: 'Furiosa' is not an agent name"],
      ['refinery.strategy', 'squash', "refinery.strategy takes one of merge, rebase, not 'squash'"],
      ['refinery.target', 'bad..branch', "refinery.target takes a branch name, e.g. main, not 'bad..branch'"],
      ['observer.branches', 'refs/heads/*,origin/*', "observer.branches: 'origin/*' is not a ref pattern: it must be a full ref name starting with refs/"],
    ]) {
      for (const local of [[], ['--local']]) {
        const result = r.gt(['config', 'set', ...local, key!, value!]);
        expect(result.status, `${key} ${value}`).toBe(2);
        expect(result.stderr).toContain(`gt: ${message}`);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
    }
    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);
    expect(existsSync(join(r.dir, '.git', 'gt', 'config.yaml'))).toBe(false);
    const env = r.gt(['config', 'get', 'polecats.max'], { env: { GT_POLECATS_MAX: 'many' } });
    expect(env.stdout).toBe('4\n');
    expect(env.stderr).toContain("GT_POLECATS_MAX: polecats.max takes a whole number of at least 1, not 'many' (ignored)");
  });

  it('gt doctor names every setting gt refuses or does not know, in gt.yaml, the local file and the environment', () => {
    const r = repo();
    r.gtOk('config', 'set', 'polecats.max', '6');
    // Hand edits gt would refuse: a bad value and an unknown key in gt.yaml, an unknown key locally.
    const edited = r.git('show', 'gt/ledger:gt.yaml').replace('max: 6', 'max: 0').replace('settings:\n', 'settings:\n  polecat:\n    max: 3\n');
    expect(edited).toContain('polecat:\n    max: 3');
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: r.dir, input: edited, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
    const tree = execFileSync('git', ['mktree'], { cwd: r.dir, input: r.git('ls-tree', 'gt/ledger').replace(/^(100644 blob )[0-9a-f]+(\tgt\.yaml)$/m, `$1${blob}$2`), encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
    const commit = execFileSync('git', ['commit-tree', tree, '-p', 'gt/ledger', '-m', 'hand edit'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
    r.git('update-ref', 'refs/heads/gt/ledger', commit);
    r.gtOk('config', 'set', '--local', 'witness.max_restarts', '2');
    const local = join(r.dir, '.git', 'gt', 'config.yaml');
    execFileSync('sh', ['-c', `printf 'runtime:\n  comand: x\n' >> '${local}'`]);

    const doctor = r.gt(['doctor', '--json'], { env: { GT_WITNESS_STALL_AFTER: 'soon' } });
    expect(doctor.status, doctor.stderr).toBe(0);
    const findings = JSON.parse(doctor.stdout) as { severity: string; path?: string; message: string }[];
    const messages = findings.map((f) => `${f.severity} ${f.path ?? '-'} ${f.message}`);
    expect(messages.some((m) => m.startsWith('warning gt.yaml') && m.includes('polecats.max') && m.includes('(ignored)')), messages.join('\n')).toBe(true);
    expect(messages.some((m) => m.startsWith('warning gt.yaml unknown setting polecat.max')), messages.join('\n')).toBe(true);
    expect(messages.some((m) => m.includes('config.yaml: unknown setting runtime.comand')), messages.join('\n')).toBe(true);
    expect(messages.some((m) => m.includes('GT_WITNESS_STALL_AFTER')), messages.join('\n')).toBe(true);
    // Nothing refused means nothing said.
    expect(repo().gtJson<unknown[]>('doctor')).toEqual([]);
  });

  it('settings are the overseer\'s: an agent\'s config set is refused', () => {
    const r = repo();
    const result = r.gt(['--as', 'alice', 'config', 'set', 'polecats.max', '3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("gt: settings are the overseer's: agent alice cannot change them");
    expect(r.git('branch', '--list', 'gt/agents/*').trim()).toBe('');
    expect(r.gt(['--as', 'alice', 'config', 'set', '--local', 'polecats.max', '3']).status).toBe(1);
    expect(r.gtJson<Row>('--as', 'alice', 'config', 'get', 'polecats.max')).toMatchObject({ value: 4 });
  });

  it('leaves the bytes of a gt.yaml without settings alone through reads and other writes', () => {
    const r = repo();
    const blob = r.git('rev-parse', 'gt/ledger:gt.yaml');
    r.gtOk('config', 'list');
    r.gtOk('config', 'get', 'polecats.max');
    r.gtOk('config', 'set', '--local', 'polecats.max', '2');
    r.gtOk('create', 'a bead');
    r.gtOk('--as', 'bob', 'create', 'his bead');
    r.gtOk('merge');
    expect(r.git('rev-parse', 'gt/ledger:gt.yaml')).toBe(blob);
    expect(r.git('show', 'gt/ledger:gt.yaml')).toBe('schema: 2\nprefix: gt\n');
  });

  it('merges two clones\' settings key by key: different keys both survive, the later edit of one key wins', () => {
    const a = repo();
    const root = makeTempDir();
    tempDirs.push(root);
    const cloneDir = join(root, 'b');
    execFileSync('git', ['clone', '-q', a.dir, cloneDir], { env: { ...process.env, ...GIT_ENV } });
    execFileSync('git', ['fetch', '-q', 'origin', 'gt/ledger:gt/ledger'], { cwd: cloneDir, env: { ...process.env, ...GIT_ENV } });
    const inB = (args: string[], now: string) => {
      const result = runGt(args, cloneDir, { GT_NOW: now });
      expect(result.stderr).toBe('');
    };
    inB(['config', 'set', 'polecats.max', '6'], '2026-03-01T10:00:00.000Z');
    inB(['config', 'set', 'witness.max_restarts', '5'], '2026-03-01T10:01:00.000Z');
    inB(['config', 'set', 'refinery.strategy', 'rebase'], '2026-03-01T12:00:00.000Z');
    a.env = { GT_NOW: '2026-03-01T11:00:00.000Z' };
    a.gtOk('config', 'set', 'polecats.max', '8');
    a.gtOk('config', 'set', 'polecats.names', 'nux,slit');
    a.gtOk('config', 'set', 'refinery.strategy', 'merge');
    // The other clone's ledger arrives as an agent branch and merges like one.
    a.git('fetch', '-q', cloneDir, 'gt/ledger:refs/heads/gt/agents/bob');
    a.gtOk('merge', 'bob');
    const values = Object.fromEntries(a.gtJson<Row[]>('config', 'list').map((row) => [row.key, row.value]));
    expect(values).toMatchObject({ 'polecats.max': 8, 'polecats.names': ['nux', 'slit'], 'witness.max_restarts': 5, 'refinery.strategy': 'rebase' });
    const message = a.git('log', '-1', '--format=%B', 'gt/ledger');
    expect(message).toContain('gt.yaml settings.polecats.max: kept 8 over 6');
    expect(message).toContain('gt.yaml settings.refinery.strategy: kept "rebase" over "merge"');
  });
});
