import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, warn } from '../output.js';
import { SETTINGS, SETTING_KEYS, envNameOf, parseSettingText, settingSpec, settingText } from '../../settings/registry.js';
import {
  describeSettingProblem,
  localSettingsPath,
  readLocalSettings,
  resolveSettings,
  setLocalSetting,
  setSetting,
  unsetLocalSetting,
  unsetSetting,
  type EffectiveSetting,
} from '../../settings/settings-service.js';
import { splitSettingKey } from '../../ledger/settings-store.js';
import type { Ledger } from '../../ledger/ledger.js';

const KEY_HELP = `a setting: ${SETTING_KEYS.join(', ')}`;
const LOCAL_HELP = 'this machine only: the file <git dir>/gt/config.yaml, never on the ledger';

function gitDirOf(ledger: Ledger): string {
  return ledger.repo.paths.commonDir;
}

/** The local file's entries as list rows (source local). */
function localRows(ledger: Ledger): EffectiveSetting[] {
  const local = readLocalSettings(gitDirOf(ledger));
  return SETTINGS.flatMap((spec) => {
    const [section, name] = splitSettingKey(spec.key)!;
    const value = local[section]?.[name];
    return value === undefined ? [] : [{ key: spec.key, value, source: 'local' as const, default: spec.default ?? null, description: spec.description }];
  });
}

async function effectiveRows(ledger: Ledger): Promise<EffectiveSetting[]> {
  const view = await readView(ledger);
  const rows = resolveSettings(view.config, { gitDir: gitDirOf(ledger) });
  for (const row of rows) for (const problem of row.problems ?? []) warn(`${describeSettingProblem(problem)} (ignored)`);
  return rows;
}

function shown(value: EffectiveSetting['value']): string {
  return value === null ? '(none)' : settingText(value);
}

/** What overrides a value just written to `written` on this machine, if anything does. */
function overriddenBy(ledger: Ledger, key: string, written: 'ledger' | 'local'): string | undefined {
  const env = process.env[envNameOf(key)];
  if (env !== undefined && env !== '') return `${envNameOf(key)} in the environment`;
  if (written === 'local') return undefined;
  const [section, name] = splitSettingKey(key)!;
  return readLocalSettings(gitDirOf(ledger))[section]?.[name] !== undefined ? `${localSettingsPath(gitDirOf(ledger))} (--local)` : undefined;
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('settings shared by every clone (gt.yaml on the ledger), with local and environment (GT_<SECTION>_<KEY>) overrides');

  config
    .command('get')
    .description('the effective value of a setting (environment > local > ledger > default); nothing when it has none')
    .argument('<key>', KEY_HELP)
    .option('--local', `only the value set for ${LOCAL_HELP}`)
    .option('--json', 'print {key, value, source, default, description} as JSON')
    .action(async (key: string, options: { local?: boolean }, command: Command) => {
      const spec = settingSpec(key);
      await withLedger(command, async (ledger) => {
        const row = options.local
          ? (localRows(ledger).find((r) => r.key === spec.key) ?? { key: spec.key, value: null, source: 'local' as const, default: spec.default ?? null, description: spec.description })
          : (await effectiveRows(ledger)).find((r) => r.key === spec.key)!;
        if (globalsOf(command).json) return printJson({ key: row.key, value: row.value, source: row.source, default: row.default, description: row.description });
        if (row.value !== null) printLine(settingText(row.value));
      });
    });

  config
    .command('set')
    .description('set a setting on the ledger, one commit (`config set polecats.max 6`); the overseer\'s only')
    .argument('<key>', KEY_HELP)
    .argument('<value>', 'the value: a number, a duration (30s, 5m, 2h), a comma-separated list of names, or text, as the key takes')
    .option('--local', `set it for ${LOCAL_HELP}`)
    .action(async (key: string, raw: string, options: { local?: boolean }, command: Command) => {
      parseSettingText(settingSpec(key), raw); // a bad key or value fails before any lock is taken
      await withLedger(command, async (ledger) => {
        let change;
        if (options.local) change = await setLocalSetting(gitDirOf(ledger), ledger.actor, key, raw);
        else {
          ({ result: change } = await ledger.write((tx) => {
            const result = setSetting(tx, key, raw);
            return { result, message: `config set ${result.key} ${settingText(result.value!)}` };
          }));
        }
        const where = options.local ? 'locally' : 'on the ledger';
        printLine(change.changed ? `${change.key} = ${settingText(change.value!)} ${where}` : `${change.key} is already ${settingText(change.value!)} ${where}; nothing changed`);
        const over = overriddenBy(ledger, change.key, options.local ? 'local' : 'ledger');
        if (over !== undefined) warn(`${over} overrides ${change.key} here`);
      });
    });

  config
    .command('unset')
    .description('remove a setting from the ledger, one commit: it falls back to its default; the overseer\'s only')
    .argument('<key>', KEY_HELP)
    .option('--local', `remove it from ${LOCAL_HELP}`)
    .action(async (key: string, options: { local?: boolean }, command: Command) => {
      settingSpec(key);
      await withLedger(command, async (ledger) => {
        let change;
        if (options.local) change = await unsetLocalSetting(gitDirOf(ledger), ledger.actor, key);
        else {
          ({ result: change } = await ledger.write((tx) => {
            const result = unsetSetting(tx, key);
            return { result, message: `config unset ${result.key}` };
          }));
        }
        const where = options.local ? 'locally' : 'on the ledger';
        printLine(change.changed ? `unset ${change.key} ${where}` : `${change.key} is not set ${where}; nothing changed`);
      });
    });

  config
    .command('list')
    .description('every setting with its effective value and where it came from (default, ledger, local, env)')
    .option('--local', `only the settings of ${LOCAL_HELP}`)
    .option('--json', 'print [{key, value, source, default, description}] as JSON')
    .action(async (options: { local?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const rows = options.local ? localRows(ledger) : await effectiveRows(ledger);
        if (globalsOf(command).json) return printJson(rows.map(({ key, value, source, default: d, description }) => ({ key, value, source, default: d, description })));
        if (rows.length === 0) return printLine('no local settings');
        const width = Math.max(...rows.map((r) => r.key.length));
        const valueWidth = Math.max(...rows.map((r) => shown(r.value).length));
        for (const r of rows) printLine(`${r.key.padEnd(width)}  ${shown(r.value).padEnd(valueWidth)}  ${r.source}`);
      });
    });
}
