/** `gt.yaml`: the ledger's configuration file. */
import { CONFIG_KEY_ORDER, LEDGER_SCHEMA_VERSION, PREFIX_PATTERN, TYPE_PATTERN, type LedgerConfig } from './config.js';
import { parseLedgerYaml, toCanonicalYaml } from './canonical-yaml.js';
import { LedgerFileError, UsageError } from '../errors.js';

type Problem = { keyPath: (string | number)[]; message: string };

function describe(v: unknown): string {
  if (v === null) return 'an empty value (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'object') return 'a map';
  return `${String(v)}`;
}

/** The config, or the first problem with it. A schema newer than this gt is reported before anything else. */
function checkConfig(value: Record<string, unknown>): LedgerConfig | Problem {
  const schema = value.schema;
  if (schema === undefined) return { keyPath: [], message: "missing required key 'schema'" };
  if (typeof schema !== 'number' || !Number.isInteger(schema) || schema < 1) {
    return { keyPath: ['schema'], message: `schema must be an integer of at least 1, got ${describe(schema)}` };
  }
  if (schema > LEDGER_SCHEMA_VERSION) {
    return {
      keyPath: ['schema'],
      message: `this ledger uses schema ${schema}, but this gt only understands schema ${LEDGER_SCHEMA_VERSION}: upgrade gt`,
    };
  }
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined && !(CONFIG_KEY_ORDER as readonly string[]).includes(key)) {
      return { keyPath: [key], message: `unknown key '${key}' (expected one of ${CONFIG_KEY_ORDER.join(', ')})` };
    }
  }
  const prefix = value.prefix;
  if (prefix === undefined) return { keyPath: [], message: "missing required key 'prefix'" };
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    return { keyPath: ['prefix'], message: `prefix must be 2 to 8 lowercase letters, got ${describe(prefix)}` };
  }
  const rawTypes = value.types ?? [];
  if (!Array.isArray(rawTypes)) return { keyPath: ['types'], message: `types must be a list, got ${describe(rawTypes)}` };
  const types = new Set<string>();
  for (let i = 0; i < rawTypes.length; i++) {
    const t: unknown = rawTypes[i];
    if (typeof t !== 'string' || !TYPE_PATTERN.test(t)) {
      return {
        keyPath: ['types', i],
        message: `types[${i}] must be a type name (lowercase letters, digits, '_' and '-', starting with a letter), got ${describe(t)}`,
      };
    }
    types.add(t);
  }
  return { schema, prefix, types: [...types].sort() };
}

/** Parses and validates `gt.yaml`; throws LedgerFileError naming the path and line. */
export function decodeConfig(text: string, path = 'gt.yaml'): LedgerConfig {
  const parsed = parseLedgerYaml(text, path);
  const result = checkConfig(parsed.value as Record<string, unknown>);
  if ('message' in result) throw new LedgerFileError(path, parsed.lineOf(result.keyPath), result.message);
  return result;
}

/** The canonical text of `gt.yaml`: keys in CONFIG_KEY_ORDER, types sorted and left out when empty. */
export function encodeConfig(config: LedgerConfig): string {
  const checked = checkConfig({ schema: config.schema, prefix: config.prefix, types: config.types });
  if ('message' in checked) throw new UsageError(`cannot write gt.yaml: ${checked.message}`);
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEY_ORDER) {
    if (key === 'types') {
      if (checked.types.length > 0) out.types = checked.types;
    } else out[key] = checked[key];
  }
  return toCanonicalYaml(out);
}
