/** `gt.yaml` at the root of the ledger: what every reader needs to interpret the other files. */
export const LEDGER_SCHEMA_VERSION = 1;

export interface LedgerConfig {
  schema: number;
  /** Id prefix of new entities: 2 to 8 lowercase letters. */
  prefix: string;
  /** Bead types declared in addition to the built-in ones. Sorted, unique. */
  types: string[];
}

export const CONFIG_KEY_ORDER: readonly (keyof LedgerConfig)[] = ['schema', 'prefix', 'types'];

export const PREFIX_PATTERN = /^[a-z]{2,8}$/;

/** A type name declared in `types`. */
export const TYPE_PATTERN = /^[a-z][a-z0-9_-]*$/;
