/**
 * The settings map of `gt.yaml`, generically: values by `section.key`, each with the time it was last
 * set, and their three-way merge. Which keys exist and what their values mean is src/settings/'s
 * business; this layer only stores and merges them.
 *
 * Merge rule, key by key (the same whatever the order in which branches merge):
 * - changed on one side only (set, changed or unset): that side's value;
 * - set to different values on both sides: the later edit (`settings_edited`) wins; with equal or
 *   missing edit times, the value whose JSON text sorts last wins (a stable choice, not a meaningful one);
 * - unset on one side and changed on the other: the change wins (a merge never loses a value, as a
 *   file deleted on one side and changed on the other is kept).
 * Every value a merge did not keep is named in the merge commit (`gt.yaml settings.polecats.max: kept 8 over 6`).
 */
import { CONFIG_PATH } from './layout.js';
import { SETTING_NAME_PATTERN, type LedgerConfig, type SettingValue, type SettingsMap, type SettingsStamps } from './config.js';
import type { MergeNote } from './entity-kind.js';

/** `polecats.max` → `['polecats', 'max']`, or undefined when it is not `section.key`. */
export function splitSettingKey(key: string): [string, string] | undefined {
  const dot = key.indexOf('.');
  if (dot < 0) return undefined;
  const section = key.slice(0, dot);
  const name = key.slice(dot + 1);
  return SETTING_NAME_PATTERN.test(section) && SETTING_NAME_PATTERN.test(name) ? [section, name] : undefined;
}

function parts(key: string): [string, string] {
  const split = splitSettingKey(key);
  if (!split) throw new Error(`not a setting key: ${key}`);
  return split;
}

/** Every stored setting as `section.key` → value, in canonical (sorted) order. */
export function storedSettings(config: LedgerConfig): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>();
  for (const [section, keys] of Object.entries(config.settings ?? {})) for (const [key, value] of Object.entries(keys)) out.set(`${section}.${key}`, value);
  return out;
}

export function storedSetting(config: LedgerConfig, key: string): SettingValue | undefined {
  const [section, name] = parts(key);
  return config.settings?.[section]?.[name];
}

export function settingEditedAt(config: LedgerConfig, key: string): string | undefined {
  const [section, name] = parts(key);
  return config.settings_edited?.[section]?.[name];
}

function sameValue(a: SettingValue | undefined, b: SettingValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Sections and keys in sorted order, empty sections dropped; undefined when nothing is left. */
function sortedSections<V>(flat: Map<string, V>): Record<string, Record<string, V>> | undefined {
  const out: Record<string, Record<string, V>> = {};
  for (const key of [...flat.keys()].sort()) {
    const [section, name] = parts(key);
    (out[section] ??= {})[name] = flat.get(key)!;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function stampsOf(config: LedgerConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const [section, keys] of Object.entries(config.settings_edited ?? {})) for (const [key, at] of Object.entries(keys)) out.set(`${section}.${key}`, at);
  return out;
}

function withMaps(config: LedgerConfig, values: Map<string, SettingValue>, stamps: Map<string, string>): LedgerConfig {
  const { settings: _settings, settings_edited: _edited, ...rest } = config;
  const settings: SettingsMap | undefined = sortedSections(values);
  const edited: SettingsStamps | undefined = sortedSections(stamps);
  return { ...rest, ...(settings ? { settings } : {}), ...(edited ? { settings_edited: edited } : {}) };
}

/** The config with `key` set to `value`, stamped `now`; the same object when the value is already that. */
export function withSetting(config: LedgerConfig, key: string, value: SettingValue, now: string): LedgerConfig {
  if (sameValue(storedSetting(config, key), value)) return config;
  const values = storedSettings(config);
  const stamps = stampsOf(config);
  values.set(key, value);
  stamps.set(key, now);
  return withMaps(config, values, stamps);
}

/** The config without `key` (and its edit time); the same object when it was not set. */
export function withoutSetting(config: LedgerConfig, key: string): LedgerConfig {
  if (storedSetting(config, key) === undefined) return config;
  const values = storedSettings(config);
  const stamps = stampsOf(config);
  values.delete(key);
  stamps.delete(key);
  return withMaps(config, values, stamps);
}

/** Which of two different values set on both sides wins: the later edit, else the one whose JSON sorts last. */
function laterEdit(ours: { value: SettingValue; at: string | undefined }, theirs: { value: SettingValue; at: string | undefined }): 'ours' | 'theirs' {
  const [o, t] = [ours.at === undefined ? NaN : Date.parse(ours.at), theirs.at === undefined ? NaN : Date.parse(theirs.at)];
  if (!Number.isNaN(o) || !Number.isNaN(t)) {
    if (Number.isNaN(t) || o > t) return 'ours';
    if (Number.isNaN(o) || t > o) return 'theirs';
  }
  return JSON.stringify(ours.value) >= JSON.stringify(theirs.value) ? 'ours' : 'theirs';
}

/** The three-way merge of the settings of `gt.yaml`, key by key (rules above), with a note per value not kept. */
export function mergeSettings(
  base: LedgerConfig | undefined,
  ours: LedgerConfig,
  theirs: LedgerConfig,
): { settings?: SettingsMap; settings_edited?: SettingsStamps; notes: MergeNote[] } {
  const [b, o, t] = [base ? storedSettings(base) : new Map<string, SettingValue>(), storedSettings(ours), storedSettings(theirs)];
  const [os, ts] = [stampsOf(ours), stampsOf(theirs)];
  const values = new Map<string, SettingValue>();
  const stamps = new Map<string, string>();
  const notes: MergeNote[] = [];
  const take = (key: string, value: SettingValue | undefined, at: string | undefined): void => {
    if (value === undefined) return;
    values.set(key, value);
    if (at !== undefined) stamps.set(key, at);
  };
  for (const key of new Set([...b.keys(), ...o.keys(), ...t.keys()])) {
    const [bv, ov, tv] = [b.get(key), o.get(key), t.get(key)];
    if (sameValue(ov, tv)) {
      const [oa, ta] = [os.get(key), ts.get(key)];
      take(key, ov, oa === undefined ? ta : ta === undefined || oa >= ta ? oa : ta);
    } else if (sameValue(ov, bv)) take(key, tv, ts.get(key));
    else if (sameValue(tv, bv)) take(key, ov, os.get(key));
    else if (ov === undefined) take(key, tv, ts.get(key));
    else if (tv === undefined) take(key, ov, os.get(key));
    else {
      const winner = laterEdit({ value: ov, at: os.get(key) }, { value: tv, at: ts.get(key) });
      const [kept, superseded] = winner === 'ours' ? [ov, tv] : [tv, ov];
      take(key, kept, (winner === 'ours' ? os : ts).get(key));
      notes.push({ id: CONFIG_PATH, field: `settings.${key}`, kept, superseded });
    }
  }
  const settings = sortedSections(values);
  const edited = sortedSections(stamps);
  return { ...(settings ? { settings } : {}), ...(edited ? { settings_edited: edited } : {}), notes };
}
