import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let library: typeof Yaml | undefined;

/**
 * The `yaml` library, loaded on first use. Canonical ledger files never need it (gt reads and writes
 * them itself); only hand-edited files, errors and import/export do, and loading it costs ~20 ms that
 * every command would otherwise pay.
 */
export function yamlLibrary(): typeof Yaml {
  library ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return library;
}
