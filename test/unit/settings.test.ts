import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeConfig, encodeConfig } from '../../src/ledger/config-codec.js';
import type { LedgerConfig } from '../../src/ledger/config.js';
import { mergeSettings, storedSetting, withSetting, withoutSetting } from '../../src/ledger/settings-store.js';
import { mergeConfig } from '../../src/ledger/merge/tree-merge.js';
import { envNameOf, parseSettingText, refPatternMatches, settingSpec } from '../../src/settings/registry.js';
import { localSettingsPath, resolveSettings, settingsOf } from '../../src/settings/settings-service.js';
import { GtError, UsageError } from '../../src/errors.js';

const T1 = '2026-01-01T10:00:00.000Z';
const T2 = '2026-01-01T11:00:00.000Z';
const plain: LedgerConfig = { schema: 1, prefix: 'gt', types: [] };

const dirs: string[] = [];
function gitDir(local?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gt-settings-'));
  dirs.push(dir);
  if (local !== undefined) {
    mkdirSync(join(dir, 'gt'));
    writeFileSync(join(dir, 'gt', 'config.yaml'), local);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('gt.yaml settings storage', () => {
  it('a gt.yaml without settings reads and writes back to the same bytes', () => {
    for (const text of ['schema: 1\nprefix: gt\n', 'schema: 1\nprefix: web\ntypes:\n  - spike\n  - story\n']) {
      expect(encodeConfig(decodeConfig(text))).toBe(text);
      expect(decodeConfig(text)).not.toHaveProperty('settings');
    }
  });

  it('writes settings by section and key name, then their edit times, and reads them back', () => {
    let config = withSetting(plain, 'witness.max_restarts', 5, T1);
    config = withSetting(config, 'polecats.names', ['slit', 'nux'], T2);
    config = withSetting(config, 'polecats.max', 6, T2);
    const text = encodeConfig(config);
    expect(text).toBe(
      'schema: 1\nprefix: gt\nsettings:\n  polecats:\n    max: 6\n    names:\n      - slit\n      - nux\n  witness:\n    max_restarts: 5\n' +
        `settings_edited:\n  polecats:\n    max: "${T2}"\n    names: "${T2}"\n  witness:\n    max_restarts: "${T1}"\n`,
    );
    expect(decodeConfig(text)).toEqual(config);
    expect(encodeConfig(decodeConfig(text))).toBe(text);
  });

  it('setting the same value changes nothing; unsetting the last key gives back the plain file', () => {
    const config = withSetting(plain, 'polecats.max', 6, T1);
    expect(withSetting(config, 'polecats.max', 6, T2)).toBe(config);
    expect(encodeConfig(withoutSetting(config, 'polecats.max'))).toBe(encodeConfig(plain));
    expect(withoutSetting(plain, 'polecats.max')).toBe(plain);
  });

  it('refuses settings that are not name → value maps, naming the line', () => {
    expect(() => decodeConfig('schema: 1\nprefix: gt\nsettings:\n  polecats:\n    max: true\n')).toThrow(/gt\.yaml:5: settings\.polecats\.max must be a string, a whole number or a list of strings/);
    expect(() => decodeConfig('schema: 1\nprefix: gt\nsettings:\n  Polecats:\n    max: 1\n')).toThrow(/not a section name/);
  });
});

describe('merging settings', () => {
  const base = withSetting(plain, 'polecats.max', 4, T1);

  it('keeps keys set on different sides', () => {
    const ours = withSetting(base, 'witness.max_restarts', 5, T2);
    const theirs = withSetting(base, 'polecats.names', ['nux'], T2);
    const merged = mergeConfig(base, ours, theirs);
    expect(storedSetting(merged.config, 'witness.max_restarts')).toBe(5);
    expect(storedSetting(merged.config, 'polecats.names')).toEqual(['nux']);
    expect(storedSetting(merged.config, 'polecats.max')).toBe(4);
    expect(merged.notes).toEqual([]);
  });

  it('same key on both sides: the later edit wins, whatever the merge order, and the loser is noted', () => {
    const early = withSetting(base, 'polecats.max', 6, '2026-01-01T10:30:00.000Z');
    const late = withSetting(base, 'polecats.max', 8, T2);
    for (const [ours, theirs] of [[early, late], [late, early]] as const) {
      const merged = mergeConfig(base, ours, theirs);
      expect(storedSetting(merged.config, 'polecats.max')).toBe(8);
      expect(merged.config.settings_edited?.polecats?.max).toBe(T2);
      expect(merged.notes).toEqual([{ id: 'gt.yaml', field: 'settings.polecats.max', kept: 8, superseded: 6 }]);
    }
  });

  it('same key, same edit time (or none): a stable choice, the same in both orders', () => {
    const a = withSetting(base, 'refinery.strategy', 'merge', T2);
    const b = withSetting(base, 'refinery.strategy', 'rebase', T2);
    const one = mergeSettings(base, a, b);
    const two = mergeSettings(base, b, a);
    expect(one.settings).toEqual(two.settings);
    expect(one.settings?.refinery?.strategy).toBe('rebase');
  });

  it('a one-sided unset is taken; an unset against a change keeps the change', () => {
    expect(storedSetting(mergeConfig(base, withoutSetting(base, 'polecats.max'), base).config, 'polecats.max')).toBeUndefined();
    const changed = withSetting(base, 'polecats.max', 7, T2);
    expect(storedSetting(mergeConfig(base, withoutSetting(base, 'polecats.max'), changed).config, 'polecats.max')).toBe(7);
    expect(storedSetting(mergeConfig(base, changed, withoutSetting(base, 'polecats.max')).config, 'polecats.max')).toBe(7);
  });
});

describe('the registry', () => {
  it('parses each type as it is stored, and refuses bad values with the accepted form', () => {
    expect(parseSettingText(settingSpec('polecats.max'), '6')).toBe(6);
    expect(parseSettingText(settingSpec('witness.max_restarts'), '0')).toBe(0);
    expect(parseSettingText(settingSpec('polecats.idle_exit'), '1h30M')).toBe('1h30m');
    expect(parseSettingText(settingSpec('polecats.names'), 'nux, slit,ace')).toEqual(['nux', 'slit', 'ace']);
    expect(parseSettingText(settingSpec('refinery.strategy'), 'Rebase')).toBe('rebase');
    expect(parseSettingText(settingSpec('refinery.target'), 'release/1.0')).toBe('release/1.0');
    expect(() => parseSettingText(settingSpec('polecats.max'), '0')).toThrow('polecats.max takes a whole number of at least 1, not 0');
    expect(() => parseSettingText(settingSpec('polecats.max'), 'six')).toThrow(UsageError);
    expect(() => parseSettingText(settingSpec('witness.stall_after'), '5')).toThrow(/takes a duration such as 30s, 5m/);
    expect(() => parseSettingText(settingSpec('polecats.names'), 'nux,Bad')).toThrow(/'Bad' is not an agent name/);
    expect(() => parseSettingText(settingSpec('polecats.names'), 'nux,nux')).toThrow(/named twice/);
    expect(() => parseSettingText(settingSpec('refinery.strategy'), 'squash')).toThrow('refinery.strategy takes one of merge, rebase');
    expect(() => parseSettingText(settingSpec('refinery.target'), 'a..b')).toThrow(/takes a branch name/);
    expect(() => parseSettingText(settingSpec('runtime.command'), '')).toThrow(UsageError);
    expect(parseSettingText(settingSpec('observer.branches'), 'refs/heads/*, refs/remotes/origin/*')).toEqual(['refs/heads/*', 'refs/remotes/origin/*']);
    expect(() => parseSettingText(settingSpec('observer.branches'), 'main')).toThrow(/'main' is not a ref pattern: it must be a full ref name starting with refs\//);
    expect(() => parseSettingText(settingSpec('observer.branches'), 'refs/heads/a..b')).toThrow(/git refuses it as a ref name/);
    expect(() => parseSettingText(settingSpec('observer.branches'), ',')).toThrow(/observer.branches takes a comma-separated list of ref patterns/);
  });

  it('matches ref patterns: each * any run of characters, slashes included', () => {
    expect(refPatternMatches('refs/remotes/*', 'refs/remotes/origin/feature/x')).toBe(true);
    expect(refPatternMatches('refs/heads/*', 'refs/remotes/origin/main')).toBe(false);
    expect(refPatternMatches('refs/remotes/origin/main', 'refs/remotes/origin/main')).toBe(true);
    expect(refPatternMatches('refs/remotes/origin/main', 'refs/remotes/origin/main2')).toBe(false);
    expect(refPatternMatches('refs/heads/release-*', 'refs/heads/release-1.2')).toBe(true);
    expect(refPatternMatches('refs/remotes/*/main', 'refs/remotes/upstream/main')).toBe(true);
    expect(refPatternMatches('refs/remotes/*/main', 'refs/remotes/upstream/maint')).toBe(false);
    expect(refPatternMatches('refs/*/x*x', 'refs/a/x')).toBe(false);
    expect(refPatternMatches('refs/*/x*x', 'refs/a/xx')).toBe(true);
  });

  it('refuses an unknown key naming the closest and listing every key', () => {
    expect(() => settingSpec('polecats.mx')).toThrow(/^unknown setting 'polecats\.mx' \(did you mean polecats\.max\?\); known keys: runtime\.command, polecats\.max, /);
    try {
      settingSpec('nope');
    } catch (error) {
      expect((error as GtError).exitCode).toBe(2);
    }
  });

  it('names environment variables GT_<SECTION>_<KEY>', () => {
    expect(envNameOf('polecats.max')).toBe('GT_POLECATS_MAX');
    expect(envNameOf('refinery.test_timeout')).toBe('GT_REFINERY_TEST_TIMEOUT');
  });
});

describe('effective settings', () => {
  it('defaults with nothing set', () => {
    const s = settingsOf({ config: plain }, { gitDir: gitDir(), env: {} });
    expect(s.polecats).toEqual({ max: 4, names: ['nux', 'furiosa', 'slit', 'rictus', 'dag', 'toast', 'capable', 'cheedo', 'ace', 'morsov'], idleExitMs: 300_000, backoffMs: 2000 });
    expect(s.witness).toEqual({ stallAfterMs: 300_000, maxRestarts: 3 });
    expect(s.refinery).toEqual({ target: undefined, strategy: 'merge', testCommand: undefined, testTimeoutMs: 600_000, maxAttempts: 3, batchMax: 8, remote: undefined });
    expect(s.runtime.command).toBeUndefined();
  });

  it('env > local > ledger > default, each source named', () => {
    let config = withSetting(plain, 'polecats.max', 6, T1);
    config = withSetting(config, 'witness.max_restarts', 5, T1);
    config = withSetting(config, 'runtime.command', 'claude -p', T1);
    const dir = gitDir('polecats:\n  max: 2\nwitness:\n  max_restarts: 1\n');
    const env = { GT_POLECATS_MAX: '9', GT_WITNESS_STALL_AFTER: '' };
    const rows = new Map(resolveSettings(config, { gitDir: dir, env }).map((r) => [r.key, r]));
    expect(rows.get('polecats.max')).toMatchObject({ value: 9, source: 'env', default: 4 });
    expect(rows.get('witness.max_restarts')).toMatchObject({ value: 1, source: 'local' });
    expect(rows.get('runtime.command')).toMatchObject({ value: 'claude -p', source: 'ledger', default: null });
    expect(rows.get('witness.stall_after')).toMatchObject({ value: '5m', source: 'default' });
    expect(settingsOf({ config }, { gitDir: dir, env }).polecats.max).toBe(9);
  });

  it('a bad value falls through in list, and settingsOf refuses it naming where it is', () => {
    const dir = gitDir('polecats:\n  max: 0\n');
    const rows = resolveSettings(plain, { gitDir: dir, env: { GT_WITNESS_MAX_RESTARTS: 'many' } });
    expect(rows.find((r) => r.key === 'polecats.max')).toMatchObject({ value: 4, source: 'default', problems: [{ source: 'local', where: localSettingsPath(dir) }] });
    expect(() => settingsOf({ config: plain }, { gitDir: dir, env: {} })).toThrow(/config\.yaml: polecats\.max takes a whole number of at least 1, not 0/);
    expect(() => settingsOf({ config: plain }, { gitDir: gitDir(), env: { GT_WITNESS_MAX_RESTARTS: 'many' } })).toThrow(UsageError);
  });

  it('a worktree git dir finds the local file in the common dir', () => {
    const common = gitDir('polecats:\n  max: 3\n');
    const worktree = join(common, 'worktrees', 'wt');
    mkdirSync(worktree, { recursive: true });
    writeFileSync(join(worktree, 'commondir'), '../..\n');
    expect(localSettingsPath(worktree)).toBe(join(common, 'gt', 'config.yaml'));
    expect(settingsOf({ config: plain }, { gitDir: worktree, env: {} }).polecats.max).toBe(3);
  });
});
