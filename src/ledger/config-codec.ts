/** `gt.yaml`: the ledger's configuration file. */
import { CONFIG_KEY_ORDER, LEDGER_SCHEMA_VERSION, SETTING_NAME_PATTERN, TYPE_PATTERN, type LedgerConfig, type SettingValue, type SettingsMap } from './config.js';
import { parseLedgerYaml, toCanonicalYaml } from './canonical-yaml.js';
import { prefixProblem, shownName } from './names.js';
import { Checker, describe, fileError, formatKeyPath, summary, type KeyPath, type Problem } from './validate.js';
import { UsageError } from '../errors.js';

/**
 * Every problem of a parsed config, with the key path it is at, or the config. A schema newer than
 * this gt is reported alone: the rest of the file may follow rules this gt does not know.
 */
export function checkConfig(value: unknown): { config: LedgerConfig; problems?: undefined } | { problems: Problem[] } {
  const c = new Checker();
  const fields = c.map(value, []);
  if (fields === undefined) return { problems: c.problems };
  const schema = fields.schema;
  if (schema === undefined) c.add([], "missing required key 'schema'");
  else if (typeof schema !== 'number' || !Number.isInteger(schema) || schema < 1) {
    c.add(['schema'], `schema must be an integer of at least 1, got ${describe(schema)}`);
  } else if (schema > LEDGER_SCHEMA_VERSION) {
    c.add(['schema'], `this ledger uses schema ${schema}, but this gt only understands schema ${LEDGER_SCHEMA_VERSION}: upgrade gt`);
    return { problems: c.problems };
  }
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined && !(CONFIG_KEY_ORDER as readonly string[]).includes(key)) c.unknownKey([key], key, CONFIG_KEY_ORDER);
  }
  const prefix = fields.prefix;
  if (prefix === undefined) c.add([], "missing required key 'prefix'");
  else if (typeof prefix !== 'string' || prefixProblem(prefix) !== undefined) {
    c.add(['prefix'], `prefix must be 2 to 8 lowercase letters, got ${describe(prefix)}`);
  }
  const rawTypes = fields.types ?? [];
  const types = new Set<string>();
  c.list(rawTypes, ['types'])?.forEach((t: unknown, i) => {
    if (typeof t === 'string' && TYPE_PATTERN.test(t)) types.add(t);
    else c.add(['types', i], `types[${i}] must be a type name (lowercase letters, digits, '_' and '-', starting with a letter), got ${describe(t)}`);
  });
  const settings = fields.settings === undefined ? undefined : checkSections(c, fields.settings, 'settings', (v, keyPath) => settingValue(c, v, keyPath));
  const stamps = fields.settings_edited === undefined ? undefined : checkSections(c, fields.settings_edited, 'settings_edited', (v, keyPath) => c.time(v, keyPath));
  if (!c.ok) return { problems: c.problems };
  const config: LedgerConfig = { schema: schema as number, prefix: prefix as string, types: [...types].sort() };
  if (settings && Object.keys(settings).length > 0) config.settings = settings;
  if (stamps && Object.keys(stamps).length > 0) config.settings_edited = stamps;
  return { config };
}

/** A stored setting: text, a whole number, or a list of texts (checked for meaning by src/settings/). */
function settingValue(c: Checker, v: unknown, keyPath: KeyPath): SettingValue | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (Array.isArray(v)) {
    const items = v.filter((item): item is string => typeof item === 'string');
    if (items.length === v.length) return items;
  }
  c.add(keyPath, `${formatKeyPath(keyPath)} must be a string, a whole number or a list of strings, got ${describe(v)}`);
  return undefined;
}

/**
 * `section: {key: value}` maps (settings and their edit times), checked by name and value; returned
 * with sections and keys in sorted order (the canonical order), empty sections left out.
 */
function checkSections<V>(c: Checker, raw: unknown, field: string, value: (v: unknown, keyPath: KeyPath) => V | undefined): Record<string, Record<string, V>> | undefined {
  const sections = c.map(raw, [field]);
  if (sections === undefined) return undefined;
  const out: Record<string, Record<string, V>> = {};
  for (const section of Object.keys(sections).sort()) {
    if (sections[section] === undefined) continue;
    if (!SETTING_NAME_PATTERN.test(section)) {
      c.add([field, section], `${field}: ${shownName(section)} is not a section name (lowercase letters, digits and '_', starting with a letter)`);
      continue;
    }
    const keys = c.map(sections[section], [field, section]);
    if (keys === undefined) continue;
    const inner: Record<string, V> = {};
    for (const key of Object.keys(keys).sort()) {
      if (keys[key] === undefined) continue;
      if (!SETTING_NAME_PATTERN.test(key)) {
        c.add([field, section, key], `${field}.${section}: ${shownName(key)} is not a key name (lowercase letters, digits and '_', starting with a letter)`);
        continue;
      }
      const checked = value(keys[key], [field, section, key]);
      if (checked !== undefined) inner[key] = checked;
    }
    if (Object.keys(inner).length > 0) out[section] = inner;
  }
  return out;
}

/** Parses and validates `gt.yaml`; throws LedgerFileError naming the path and line. */
export function decodeConfig(text: string, path = 'gt.yaml'): LedgerConfig {
  const parsed = parseLedgerYaml(text, path);
  const checked = checkConfig(parsed.value);
  if (checked.problems) throw fileError(path, parsed.lineOf, checked.problems);
  return checked.config;
}

/**
 * The canonical text of `gt.yaml`: keys in CONFIG_KEY_ORDER, types sorted, settings by section and key
 * name; types and settings left out when empty.
 */
export function encodeConfig(config: LedgerConfig): string {
  const result = checkConfig({ schema: config.schema, prefix: config.prefix, types: config.types, settings: config.settings, settings_edited: config.settings_edited });
  if (result.problems) throw new UsageError(`cannot write gt.yaml: ${summary(result.problems)}`);
  const checked = result.config;
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEY_ORDER) {
    if (key === 'types') {
      if (checked.types.length > 0) out.types = checked.types;
    } else if (checked[key] !== undefined) out[key] = checked[key];
  }
  return toCanonicalYaml(out);
}

/**
 * A machine-local settings file (`.git/gt/config.yaml`): the same `section: {key: value}` map as
 * `settings:` in gt.yaml. Missing text reads as no settings; throws LedgerFileError naming the path and line.
 */
export function decodeSettingsFile(text: string, path: string): SettingsMap {
  const parsed = parseLedgerYaml(text, path);
  if (parsed.value === null || parsed.value === undefined) return {};
  const c = new Checker();
  const settings = checkSections(c, parsed.value, 'settings', (v, keyPath) => settingValue(c, v, keyPath));
  if (!c.ok) throw fileError(path, (keyPath) => parsed.lineOf(keyPath.slice(1)), c.problems.map((p) => ({ ...p, message: p.message.replace(/^settings[.:] ?/, '') })));
  return settings ?? {};
}

/** The canonical text of a local settings file (sections and keys sorted). */
export function encodeSettingsFile(settings: SettingsMap): string {
  const c = new Checker();
  const checked = checkSections(c, settings, 'settings', (v, keyPath) => settingValue(c, v, keyPath));
  if (!c.ok) throw new UsageError(`cannot write the settings file: ${summary(c.problems)}`);
  return Object.keys(checked ?? {}).length > 0 ? toCanonicalYaml(checked!) : '';
}
