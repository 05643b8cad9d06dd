/**
 * The one way gt checks a value read from outside (a ledger file, an import, a value built from user
 * input): a `Checker` walks the value, records every problem with the key path it is at
 * (`steps[2].gate.timeout`), and a file's decoder turns the first one into a LedgerFileError naming
 * the path and line (`lineOf` of the parsed YAML document) and how many more there are.
 *
 * Values are checked by hand-written rules rather than a schema library (valibot, zod): the rules
 * that matter are gt's own (names.ts for ids and agent names, `timeProblem` for times), messages
 * must keep naming the field as the file calls it, and the CLI loads this module on every start, so
 * a library would add start-up time and a dependency for a few dozen lines of checks.
 *
 * Two ways to use it, both recording into the same Checker:
 * - field specs (`FieldSpecs`, `Checker.record`) for kinds described by a table: convoys, agents,
 *   mail (record-kind.ts), molecules and their steps and gates;
 * - the primitives (`string`, `checked`, `time`, `int`, `oneOf`, `list`, `map`, `unknownKey`) for
 *   codecs that word their messages field by field: beads (bead-codec.ts) and gt.yaml.
 *
 * Values typed by a user go through `parse…` functions that use the same `…Problem` checks and
 * throw one UsageError with a hint (bead-input.ts, names.ts `check…`, `parseChoice` below).
 */
import { LedgerFileError, UsageError } from '../errors.js';
import { agentNameProblem, idProblem, shownName } from './names.js';

export type KeyPath = (string | number)[];

export interface Problem {
  keyPath: KeyPath;
  message: string;
}

/** What is wrong with a string value (names.ts, timeProblem…), or undefined when it is fine. */
export type ValueCheck = (value: string) => string | undefined;

/** `deps[1].id`, `labels[0]`, `title` */
export function formatKeyPath(keyPath: readonly (string | number)[]): string {
  let out = '';
  for (const step of keyPath) out += typeof step === 'number' ? `[${step}]` : out === '' ? step : `.${step}`;
  return out;
}

/** A value as a message shows what was found instead: `the number 42`, `a list`. */
export function describe(v: unknown): string {
  if (v === null) return 'an empty value (null)';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `the string '${v}'`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return `the boolean ${v}`;
    case 'object':
      return 'a map';
    default:
      return typeof v;
  }
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The one time rule of every kind: ISO 8601 in its internet form (RFC 3339), e.g.
 * 2026-01-31T12:00:00.000Z or 2026-01-31T13:00:00+01:00, and a date that exists.
 * Says what is wrong with `value`, or undefined when it is fine.
 */
export function timeProblem(value: string): string | undefined {
  // Every time of every file passes through here on a cold read: the message is built only on failure.
  const m = RFC3339.exec(value);
  if (m && dateExists(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60) return undefined;
  return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}' is not an ISO 8601 time like 2026-01-31T12:00:00.000Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function dateExists(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0);
}

/** Explains a value that should have been a string; numbers and booleans are never coerced. */
function notAString(subject: string, v: unknown, nonEmpty: boolean): string {
  const want = nonEmpty ? 'a non-empty string' : 'a string';
  if (typeof v === 'number' || typeof v === 'boolean') {
    return `${subject} must be ${want}, got ${describe(v)} (write it in quotes: "${String(v)}")`;
  }
  if (v === null) return `${subject} must be ${want}, got ${describe(v)}${nonEmpty ? '' : ' (leave the key out instead)'}`;
  return `${subject} must be ${want}, got ${describe(v)}`;
}

/** How one field's value is checked. */
export type Rule =
  /** A string; `pattern` (with `hint` saying what fits) and `check` narrow it. */
  | { type: 'string'; nonEmpty?: boolean; pattern?: RegExp; hint?: string; check?: ValueCheck }
  /** One path segment (names.ts): every id becomes a file name. */
  | { type: 'id' }
  /** An agent name (names.ts), or `overseer` where `check` says so. */
  | { type: 'name' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'time' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'list'; of: Rule }
  /** A nested map of known fields; `what` names it in messages ("a step"). */
  | { type: 'record'; fields: FieldSpecs; what: string }
  /** A map of names (checked by `key`) to values (checked by `of`): vars, edit stamps. */
  | { type: 'dict'; key: (name: string) => string | undefined; of: Rule };

export interface Field {
  rule: Rule;
  required?: boolean;
}

/** A record's fields by name, in file order. */
export type FieldSpecs = Readonly<Record<string, Field>>;

export class Checker {
  readonly problems: Problem[] = [];

  /**
   * `nullIsUnset`: an empty value (`key:` with nothing after it) counts as the key left out, as
   * convoys, agents, mail and molecules have always read it; beads and gt.yaml refuse it.
   */
  constructor(readonly options: { nullIsUnset?: boolean } = {}) {}

  get ok(): boolean {
    return this.problems.length === 0;
  }

  add(keyPath: KeyPath, message: string): void {
    this.problems.push({ keyPath, message });
  }

  /** The string at keyPath, or undefined after recording a problem. */
  string(v: unknown, keyPath: KeyPath, nonEmpty = false): string | undefined {
    if (typeof v === 'string' && (!nonEmpty || v.length > 0)) return v;
    this.add(keyPath, notAString(formatKeyPath(keyPath), v, nonEmpty));
    return undefined;
  }

  /** A string that passes `check`, or undefined after recording the problem. */
  checked(v: unknown, keyPath: KeyPath, check: ValueCheck, nonEmpty = false): string | undefined {
    const s = this.string(v, keyPath, nonEmpty);
    if (s === undefined) return undefined;
    const problem = check(s);
    if (problem === undefined) return s;
    this.add(keyPath, `${formatKeyPath(keyPath)}: ${problem}`);
    return undefined;
  }

  time(v: unknown, keyPath: KeyPath): string | undefined {
    return this.checked(v, keyPath, timeProblem);
  }

  /** A whole number from `min` to `max`. */
  int(v: unknown, keyPath: KeyPath, min = -Infinity, max = Infinity): number | undefined {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    const range = min === -Infinity ? (max === Infinity ? '' : ` of at most ${max}`) : max === Infinity ? ` of at least ${min}` : ` from ${min} to ${max}`;
    this.add(keyPath, `${formatKeyPath(keyPath)} must be a whole number${range}, got ${describe(v)}`);
    return undefined;
  }

  oneOf<T extends string>(v: unknown, keyPath: KeyPath, values: readonly T[]): T | undefined {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.add(keyPath, `${formatKeyPath(keyPath)} must be one of ${values.join(', ')}, not ${typeof v === 'string' ? shownName(v) : describe(v)}`);
    return undefined;
  }

  list(v: unknown, keyPath: KeyPath): unknown[] | undefined {
    if (Array.isArray(v)) return v;
    this.add(keyPath, `${formatKeyPath(keyPath)} must be a list, got ${describe(v)}`);
    return undefined;
  }

  map(v: unknown, keyPath: KeyPath): Record<string, unknown> | undefined {
    if (isMap(v)) return v;
    this.add(keyPath, `${formatKeyPath(keyPath)} must be a map, got ${describe(v)}`);
    return undefined;
  }

  unknownKey(keyPath: KeyPath, key: string, expected: readonly string[]): void {
    const where = keyPath.length > 1 ? ` in ${formatKeyPath(keyPath.slice(0, -1))}` : '';
    this.add(keyPath, `unknown key '${key}'${where} (expected one of ${expected.join(', ')})`);
  }

  /** Whether `v` fits `rule`, recording every problem it has. */
  value(v: unknown, keyPath: KeyPath, rule: Rule): boolean {
    const before = this.problems.length;
    const name = formatKeyPath(keyPath);
    switch (rule.type) {
      case 'string': {
        const s = this.string(v, keyPath, rule.nonEmpty);
        if (s === undefined) break;
        if (rule.pattern && !rule.pattern.test(s)) this.add(keyPath, `${name} ${shownName(s)} is not valid${rule.hint ? ` (${rule.hint})` : ''}`);
        else if (rule.check) {
          const problem = rule.check(s);
          if (problem !== undefined) this.add(keyPath, `${name} ${shownName(s)} is not valid: ${problem}`);
        }
        break;
      }
      case 'id':
      case 'name': {
        const s = this.string(v, keyPath, true);
        const problem = s === undefined ? undefined : rule.type === 'id' ? idProblem(s) : agentNameProblem(s);
        if (problem !== undefined) this.add(keyPath, `${name} ${shownName(s!)} is not valid: ${problem}`);
        break;
      }
      case 'enum':
        this.oneOf(v, keyPath, rule.values);
        break;
      case 'time':
        this.time(v, keyPath);
        break;
      case 'int':
        this.int(v, keyPath, rule.min, rule.max);
        break;
      case 'list': {
        const items = this.list(v, keyPath);
        items?.forEach((item, i) => this.value(item, [...keyPath, i], rule.of));
        break;
      }
      case 'record':
        this.record(v, keyPath, rule.fields, rule.what);
        break;
      case 'dict': {
        const map = this.map(v, keyPath);
        if (map === undefined) break;
        for (const [key, item] of Object.entries(map)) {
          if (item === undefined) continue;
          const problem = rule.key(key);
          if (problem !== undefined) this.add([...keyPath, key], `${name}.${key}: ${problem}`);
          else this.value(item, [...keyPath, key], rule.of);
        }
        break;
      }
    }
    return this.problems.length === before;
  }

  /**
   * Whether `v` is a map holding only `fields`, each required one present and every value fitting
   * its rule; records every problem (unknown keys first, then fields in spec order).
   */
  record(v: unknown, keyPath: KeyPath, fields: FieldSpecs, what: string): v is Record<string, unknown> {
    if (!isMap(v)) {
      this.add(keyPath, `${what} must be a mapping of fields, got ${describe(v)}`);
      return false;
    }
    const before = this.problems.length;
    const where = keyPath.length > 0 ? ` in ${what}` : '';
    for (const key of Object.keys(v)) {
      if (v[key] !== undefined && !Object.hasOwn(fields, key)) this.add([...keyPath, key], `unknown field '${key}'${where}`);
    }
    for (const [key, field] of Object.entries(fields)) {
      const item = v[key];
      if (item === undefined || (item === null && this.options.nullIsUnset)) {
        if (field.required) this.add([...keyPath, key], `${formatKeyPath([...keyPath, key])} is missing`);
        continue;
      }
      this.value(item, [...keyPath, key], field.rule);
    }
    return this.problems.length === before;
  }
}

/** `message (and 2 more problems)`: the first problem, and how many follow. */
export function summary(problems: readonly Problem[]): string {
  const [first, ...rest] = problems;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
  return `${first!.message}${more}`;
}

/** A file's problems as one LedgerFileError: its path, the line of the first problem, and the count of the others. */
export function fileError(path: string, lineOf: (keyPath: KeyPath) => number | undefined, problems: readonly Problem[]): LedgerFileError {
  return new LedgerFileError(path, lineOf(problems[0]!.keyPath), summary(problems));
}

/** Every problem of a file with the line it is at (for reports listing them all, and tests). */
export function locate(lineOf: (keyPath: KeyPath) => number | undefined, problems: readonly Problem[]): (Problem & { line: number | undefined })[] {
  return problems.map((p) => ({ ...p, line: lineOf(p.keyPath) }));
}

/** The id a file must hold: its file name without `.yaml`; undefined when the path says nothing. */
export function idFromFileName(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.endsWith('.yaml') && name.length > 5 ? name.slice(0, -5) : undefined;
}

/**
 * A value typed by a user that must be one of `values` (status, dependency type, role): trimmed and
 * lowercased (and `-` read as `_` when `values` use `_`), or a UsageError `invalid <what> '<raw>'`
 * whose hint lists the values.
 */
export function parseChoice<T extends string>(raw: string, values: readonly T[], what: string): T {
  const value = raw.trim().toLowerCase().replace(/-/g, values.some((v) => v.includes('_')) ? '_' : '-');
  if (!(values as readonly string[]).includes(value)) throw new UsageError(`invalid ${what} ${shownName(raw)}`, `use one of: ${values.join(', ')}`);
  return value as T;
}
