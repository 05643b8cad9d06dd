/**
 * Binding variables: defaults applied, then required, enum, pattern and type checked, each failure one
 * FormulaError naming the variable and the file where it is declared. (Upstream declares these checks
 * but never runs them.)
 */
import { errorAt } from './formula-error.js';
import type { VarDef } from './formula-types.js';
import { matchesPattern } from './var-pattern.js';

const INT = /^-?\d+$/;
const BOOL = /^(true|false)$/;

function describeSpec(name: string, spec: VarDef): string {
  return spec.description ? `${name}: ${spec.description}` : name;
}

/** Checks one value against its declaration; returns the problem, if any. */
export function checkValue(name: string, value: string, spec: VarDef): string | undefined {
  if (spec.type === 'int' && !INT.test(value)) return `variable '${name}' must be a whole number (type int), not '${value}'`;
  if (spec.type === 'bool' && !BOOL.test(value)) return `variable '${name}' must be true or false (type bool), not '${value}'`;
  if (spec.enum && !spec.enum.includes(value)) return `variable '${name}' is '${value}', which is not one of: ${spec.enum.join(', ')}`;
  if (spec.pattern !== undefined && !matchesPattern(spec.pattern, value)) return `variable '${name}' is '${value}', which does not match the pattern ${spec.pattern}`;
  return undefined;
}

/**
 * The values of the declared variables: given ones, else defaults. Given values for undeclared names are
 * kept too (they still fill their `{{name}}`s). Declarations are checked in name order, so the first
 * problem reported is always the same one.
 */
export function bindVars(vars: Readonly<Record<string, VarDef>>, given: Readonly<Record<string, string>>): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(given)) values.set(name, value);
  const names = Object.keys(vars).sort();
  for (const name of names) {
    const spec = vars[name]!;
    if (!values.has(name) && spec.default !== undefined) values.set(name, spec.default);
  }
  for (const name of names) {
    const spec = vars[name]!;
    const value = values.get(name);
    if (value === undefined) {
      if (spec.required) {
        throw errorAt(spec.origin, spec.origin.path, `missing required variable '${name}'`, `pass --var ${name}=<value> (${describeSpec(name, spec)})`);
      }
      if (spec.required_unless && spec.required_unless.length > 0 && !spec.required_unless.some((other) => values.has(other))) {
        const all = [name, ...spec.required_unless];
        throw errorAt(spec.origin, spec.origin.path, `one of the variables ${all.join(', ')} is required`, `pass --var ${name}=<value> (or one of the others)`);
      }
      continue;
    }
    const problem = checkValue(name, value, spec);
    if (problem) {
      const fromDefault = given[name] === undefined;
      throw errorAt(spec.origin, spec.origin.path, fromDefault ? `${problem} (its default)` : problem, spec.enum ? `choose one of: ${spec.enum.join(', ')}` : undefined);
    }
  }
  return values;
}

/** Only the defaults, for compile mode (loop ranges still need numbers). */
export function defaultValues(vars: Readonly<Record<string, VarDef>>): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of Object.keys(vars).sort()) {
    const d = vars[name]!.default;
    if (d !== undefined) values.set(name, d);
  }
  return values;
}
