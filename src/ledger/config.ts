/**
 * `gt.yaml` at the root of the ledger: what every reader needs to interpret the other files.
 * Schema 2: entity files stored in shards, `<dir>/<shard>/<id>.yaml` (layout.ts); schema 1 kept them flat.
 */
export const LEDGER_SCHEMA_VERSION = 2;

export interface LedgerConfig {
  schema: number;
  /** Id prefix of new entities: 2 to 8 lowercase letters. */
  prefix: string;
  /** Bead types declared in addition to the built-in ones. Sorted, unique. */
  types: string[];
  /**
   * Settings shared by every clone, by section then key (`polecats: {max: 6}`): stored generically
   * here (settings-store.ts); which keys exist and what their values mean is src/settings/'s business.
   * Left out of the file when empty, so a gt.yaml without settings keeps its bytes.
   */
  settings?: SettingsMap;
  /** When each setting was last set (same nesting, ISO times): the later edit wins a merge. */
  settings_edited?: SettingsStamps;
}

/** A setting's stored value: text, a whole number, or a list of names. */
export type SettingValue = string | number | string[];
export type SettingsMap = Record<string, Record<string, SettingValue>>;
export type SettingsStamps = Record<string, Record<string, string>>;

export const CONFIG_KEY_ORDER: readonly (keyof LedgerConfig)[] = ['schema', 'prefix', 'types', 'settings', 'settings_edited'];

/** A section or key name of a setting: `polecats`, `idle_exit`. */
export const SETTING_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

export const PREFIX_PATTERN = /^[a-z]{2,8}$/;

/** A type name declared in `types`. */
export const TYPE_PATTERN = /^[a-z][a-z0-9_-]*$/;
