/**
 * `--var name=value` for a name the formula neither declares nor uses is a mistake (a typo, usually):
 * refused before cooking, naming the closest variable. Known = the formula's `vars` and `inputs` after
 * `extends`, those of the expansions and aspects it uses, and the `{{name}}` placeholders its cooked
 * steps (or its file) use without declaring them, as upstream formulas do.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { varsIn } from './text.js';
import { closest } from './formula-error.js';
import { cookLoaded, resolveLoaded, type LoadedFormula } from './cook.js';

function declaredVars(loaded: LoadedFormula, wanted: readonly string[]): Set<string> {
  const { def } = resolveLoaded(loaded);
  const names = new Set([...Object.keys(def.vars), ...Object.keys(def.inputs)]);
  if (wanted.every((n) => names.has(n))) return names;
  // Expansions and aspects declare variables of their own, and steps may use undeclared ones: cook
  // without binding to find them.
  try {
    const proto = cookLoaded(loaded, undefined);
    for (const name of Object.keys(proto.vars)) names.add(name);
    for (const name of varsIn(JSON.stringify(proto))) names.add(name);
  } catch {
    // A formula that does not cook unbound reports its own error when it is cooked for real.
  }
  try {
    for (const name of varsIn(readFileSync(loaded.def.file, 'utf8'))) names.add(name);
  } catch {
    // Not a file on disk: the cooked steps were enough.
  }
  return names;
}

export function checkVarNames(loaded: LoadedFormula, given: Iterable<string>): void {
  const wanted = [...given];
  if (wanted.length === 0) return;
  const declared = declaredVars(loaded, wanted);
  const unknown = wanted.find((n) => !declared.has(n));
  if (unknown === undefined) return;
  const near = closest(unknown, declared);
  const all = [...declared].sort();
  throw new UsageError(
    `formula ${loaded.def.name} has no variable '${unknown}'${near ? `; did you mean '${near}'?` : ''}`,
    all.length > 0 ? `its variables: ${all.join(', ')}` : 'it declares no variables',
  );
}
