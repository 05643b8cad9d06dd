/** `gt.yaml`: the ledger's configuration file. */
import { CONFIG_KEY_ORDER, LEDGER_SCHEMA_VERSION, TYPE_PATTERN, type LedgerConfig } from './config.js';
import { parseLedgerYaml, toCanonicalYaml } from './canonical-yaml.js';
import { prefixProblem } from './names.js';
import { Checker, describe, fileError, summary, type Problem } from './validate.js';
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
  if (!c.ok) return { problems: c.problems };
  return { config: { schema: schema as number, prefix: prefix as string, types: [...types].sort() } };
}

/** Parses and validates `gt.yaml`; throws LedgerFileError naming the path and line. */
export function decodeConfig(text: string, path = 'gt.yaml'): LedgerConfig {
  const parsed = parseLedgerYaml(text, path);
  const checked = checkConfig(parsed.value);
  if (checked.problems) throw fileError(path, parsed.lineOf, checked.problems);
  return checked.config;
}

/** The canonical text of `gt.yaml`: keys in CONFIG_KEY_ORDER, types sorted and left out when empty. */
export function encodeConfig(config: LedgerConfig): string {
  const result = checkConfig({ schema: config.schema, prefix: config.prefix, types: config.types });
  if (result.problems) throw new UsageError(`cannot write gt.yaml: ${summary(result.problems)}`);
  const checked = result.config;
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEY_ORDER) {
    if (key === 'types') {
      if (checked.types.length > 0) out.types = checked.types;
    } else out[key] = checked[key];
  }
  return toCanonicalYaml(out);
}
