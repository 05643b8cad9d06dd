/**
 * Parses one formula file (TOML, with @iarna/toml) and checks every key: unknown keys at any level,
 * wrong value types, missing or duplicate step ids, malformed loops, gates and advice. Each problem is
 * one FormulaError naming the file, the line and the key path.
 */
import TOML from '@iarna/toml';
import { readFileSync } from 'node:fs';
import { FORMULA_TYPES, type FormulaType, type GateSpec } from './protomolecule.js';
import { FormulaError, didYouMean, type Origin } from './formula-error.js';
import { buildLineIndex, type LineIndex } from './source-index.js';
import { patternProblem } from './var-pattern.js';
import type {
  AdviceDef,
  AdviceStepDef,
  ComposeDef,
  FormulaDef,
  LegDef,
  LoopDef,
  NamedRef,
  PointcutDef,
  PresetDef,
  StepDef,
  SynthesisDef,
  VarDef,
} from './formula-types.js';

const TOP_KEYS = [
  'formula', 'description', 'version', 'type', 'extends', 'vars', 'steps', 'template', 'compose', 'advice',
  'pointcuts', 'phase', 'pour', 'source', 'agent', 'review_only', 'squash', 'inputs', 'prompts', 'output',
  'legs', 'synthesis', 'presets',
] as const;
const STEP_KEYS = [
  'id', 'title', 'description', 'notes', 'type', 'priority', 'labels', 'metadata', 'needs', 'depends_on',
  'waits_for', 'assignee', 'acceptance', 'expand', 'expand_vars', 'condition', 'children', 'gate', 'loop',
  'on_complete', 'parallel', 'interactive',
] as const;
const VAR_KEYS = ['description', 'default', 'required', 'enum', 'pattern', 'type'] as const;
const INPUT_KEYS = ['description', 'default', 'required', 'required_unless', 'type'] as const;
const GATE_KEYS = ['type', 'id', 'await_id', 'timeout', 'condition'] as const;
const LOOP_KEYS = ['count', 'range', 'var', 'until', 'max', 'body'] as const;
const ON_COMPLETE_KEYS = ['for_each', 'bond', 'vars', 'parallel', 'sequential'] as const;
const COMPOSE_KEYS = ['expand', 'map', 'branch', 'gate', 'aspects', 'bond_points', 'hooks'] as const;
const ADVICE_KEYS = ['target', 'before', 'after', 'around'] as const;
const ADVICE_STEP_KEYS = ['id', 'title', 'description', 'type', 'args', 'output'] as const;
const POINTCUT_KEYS = ['glob', 'type', 'label'] as const;
const LEG_KEYS = ['id', 'title', 'focus', 'description', 'agent', 'review_only'] as const;
const SYNTHESIS_KEYS = ['title', 'description', 'depends_on'] as const;
const PRESET_KEYS = ['description', 'legs'] as const;
const OUTPUT_KEYS = ['directory', 'leg_pattern', 'synthesis'] as const;
const SQUASH_KEYS = ['trigger', 'template_type', 'include_metrics'] as const;
const BOND_POINT_KEYS = ['id', 'description', 'after_step', 'before_step', 'parallel'] as const;
const HOOK_KEYS = ['trigger', 'attach', 'at', 'vars'] as const;

type Table = Record<string, unknown>;

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** Reads values out of the parsed TOML, failing with the file, line and key path of anything wrong. */
class Reader {
  constructor(
    readonly file: string,
    readonly lineOf: LineIndex,
  ) {}

  origin(path: string): Origin {
    return { file: this.file, path, lineOf: this.lineOf };
  }

  fail(path: string, problem: string, hint?: string): never {
    throw new FormulaError(this.file, this.lineOf(path), path || undefined, problem, hint);
  }

  table(value: unknown, path: string, known: readonly string[] | null, what = 'a table'): Table {
    if (!isTable(value)) this.fail(path, `must be ${what}`);
    if (known) {
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) {
          this.fail(join(path, key), `unknown key '${key}'${didYouMean(key, known)}`, `keys allowed here: ${known.join(', ')}`);
        }
      }
    }
    return value;
  }

  str(t: Table, key: string, path: string, required = false): string | undefined {
    const v = t[key];
    if (v === undefined) {
      if (required) this.fail(join(path, key), `'${key}' is missing`);
      return undefined;
    }
    if (typeof v !== 'string') this.fail(join(path, key), `must be a string, not ${describe(v)}`);
    if (required && v.trim() === '') this.fail(join(path, key), `'${key}' must not be empty`);
    return v;
  }

  int(t: Table, key: string, path: string, min?: number, max?: number): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(join(path, key), `must be a whole number, not ${describe(v)}`);
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      this.fail(join(path, key), `must be ${max !== undefined ? `between ${min} and ${max}` : `at least ${min}`}, not ${v}`);
    }
    return v;
  }

  bool(t: Table, key: string, path: string): boolean | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(join(path, key), `must be true or false, not ${describe(v)}`);
    return v;
  }

  strings(t: Table, key: string, path: string): string[] | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.fail(join(path, key), `must be a list of strings, not ${describe(v)}`);
    v.forEach((item, i) => {
      if (typeof item !== 'string') this.fail(join(join(path, key), i), `must be a string, not ${describe(item)}`);
    });
    return v as string[];
  }

  /** A table of scalar values, read as strings (`expand_vars`, rule `vars`). */
  stringMap(t: Table, key: string, path: string): Record<string, string> | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    const table = this.table(v, join(path, key), null);
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(table)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        this.fail(join(join(path, key), k), `must be a string, number or boolean, not ${describe(value)}`);
      }
      out[k] = String(value);
    }
    return out;
  }

  tables(value: unknown, path: string): Table[] {
    if (!Array.isArray(value)) this.fail(path, `must be a list of tables ([[${path.replace(/\[\d+\]/g, '')}]]), not ${describe(value)}`);
    value.forEach((item, i) => {
      if (!isTable(item)) this.fail(join(path, i), `must be a table, not ${describe(item)}`);
    });
    return value as Table[];
  }

  /** A table or a list of tables (advice `before`/`after` accept both). */
  oneOrMany(value: unknown, path: string): { value: Table; path: string }[] {
    if (isTable(value)) return [{ value, path }];
    return this.tables(value, path).map((v, i) => ({ value: v, path: join(path, i) }));
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (v === null) return 'nothing';
  if (typeof v === 'object') return 'a table';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseVar(r: Reader, name: string, value: unknown, path: string, input: boolean): VarDef {
  if (!VAR_NAME.test(name)) r.fail(path, `'${name}' is not a valid variable name`, 'use letters, digits and _ (not starting with a digit)');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return { default: String(value), origin: r.origin(path) };
  }
  const t = r.table(value, path, input ? INPUT_KEYS : VAR_KEYS, 'a string (the default) or a table');
  const spec: VarDef = { origin: r.origin(path) };
  const description = r.str(t, 'description', path);
  if (description !== undefined) spec.description = description;
  if (t.default !== undefined) {
    const d = t.default;
    if (typeof d !== 'string' && typeof d !== 'number' && typeof d !== 'boolean') r.fail(join(path, 'default'), `must be a string, not ${describe(d)}`);
    spec.default = String(d);
  }
  const required = r.bool(t, 'required', path);
  if (required !== undefined) spec.required = required;
  if (!input) {
    const values = r.strings(t, 'enum', path);
    if (values !== undefined) {
      if (values.length === 0) r.fail(join(path, 'enum'), 'must list at least one value');
      spec.enum = values;
    }
    const pattern = r.str(t, 'pattern', path);
    if (pattern !== undefined) {
      const problem = patternProblem(pattern);
      if (problem !== undefined) r.fail(join(path, 'pattern'), problem);
      spec.pattern = pattern;
    }
  } else {
    const unless = r.strings(t, 'required_unless', path);
    if (unless !== undefined) spec.required_unless = unless;
  }
  const type = r.str(t, 'type', path);
  if (type !== undefined) {
    const normal = normalType(type, input);
    if (!normal) {
      r.fail(join(path, 'type'), `unknown variable type '${type}'`, input ? 'use string, number, int or bool' : 'use string, int or bool');
    }
    spec.type = normal;
  }
  return spec;
}

function normalType(type: string, input: boolean): 'string' | 'int' | 'bool' | undefined {
  switch (type) {
    case 'string':
      return 'string';
    case 'int':
      return 'int';
    case 'bool':
      return 'bool';
    case 'number':
    case 'integer':
      return input ? 'int' : undefined;
    case 'boolean':
      return input ? 'bool' : undefined;
    default:
      return undefined;
  }
}

function parseVars(r: Reader, t: Table, key: 'vars' | 'inputs'): Record<string, VarDef> {
  const out: Record<string, VarDef> = {};
  if (t[key] === undefined) return out;
  const table = r.table(t[key], key, null);
  for (const [name, value] of Object.entries(table)) out[name] = parseVar(r, name, value, join(key, name), key === 'inputs');
  return out;
}

function parseGate(r: Reader, value: unknown, path: string): GateSpec {
  const t = r.table(value, path, GATE_KEYS);
  const gate: GateSpec = { type: r.str(t, 'type', path, true)! };
  const id = r.str(t, 'id', path);
  if (id !== undefined) gate.id = id;
  const awaitId = r.str(t, 'await_id', path);
  if (awaitId !== undefined) gate.await_id = awaitId;
  const timeout = r.str(t, 'timeout', path);
  if (timeout !== undefined) {
    if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/.test(timeout.trim())) r.fail(join(path, 'timeout'), `'${timeout}' is not a duration`, 'write it like 30s, 30m, 2h or 1d');
    gate.timeout = timeout;
  }
  const condition = r.str(t, 'condition', path);
  if (condition !== undefined) gate.condition = condition;
  return gate;
}

function parseLoop(r: Reader, value: unknown, path: string): LoopDef {
  const t = r.table(value, path, LOOP_KEYS);
  const loop: LoopDef = { body: [], origin: r.origin(path) };
  const count = r.int(t, 'count', path, 1);
  const range = r.str(t, 'range', path);
  const until = r.str(t, 'until', path);
  const kinds = [count, range, until].filter((k) => k !== undefined).length;
  if (kinds === 0) r.fail(path, 'a loop needs one of count, range or until');
  if (kinds > 1) r.fail(path, 'a loop takes only one of count, range or until');
  if (count !== undefined) loop.count = count;
  if (range !== undefined) {
    if (!range.includes('..')) r.fail(join(path, 'range'), `'${range}' is not a range`, 'write it as start..end, e.g. "1..2^{disks}-1"');
    loop.range = range;
  }
  if (until !== undefined) {
    loop.until = until;
    const max = r.int(t, 'max', path, 1);
    if (max === undefined) r.fail(join(path, 'max'), "an 'until' loop needs 'max', the most iterations it may run");
    loop.max = max;
  } else if (t.max !== undefined) {
    r.fail(join(path, 'max'), "'max' belongs to 'until' loops");
  }
  const v = r.str(t, 'var', path);
  if (v !== undefined) {
    if (!VAR_NAME.test(v)) r.fail(join(path, 'var'), `'${v}' is not a valid variable name`);
    loop.var = v;
  }
  if (t.body === undefined) r.fail(join(path, 'body'), 'a loop needs a body ([[steps.loop.body]])');
  loop.body = r.tables(t.body, join(path, 'body')).map((b, i) => parseStep(r, b, join(join(path, 'body'), i)));
  if (loop.body.length === 0) r.fail(join(path, 'body'), 'the loop body is empty');
  checkUniqueIds(r, loop.body);
  return loop;
}

export function parseStep(r: Reader, value: unknown, path: string): StepDef {
  const t = r.table(value, path, STEP_KEYS);
  const id = r.str(t, 'id', path, true)!;
  const step: StepDef = { id, needs: [], origin: r.origin(path) };
  for (const key of ['title', 'description', 'notes', 'type', 'waits_for', 'assignee', 'acceptance', 'expand', 'condition'] as const) {
    const v = r.str(t, key, path);
    if (v !== undefined) step[key] = v;
  }
  const priority = r.int(t, 'priority', path, 0, 4);
  if (priority !== undefined) step.priority = priority;
  const labels = r.strings(t, 'labels', path);
  if (labels !== undefined) step.labels = labels;
  if (t.metadata !== undefined) step.metadata = r.table(t.metadata, join(path, 'metadata'), null);
  const declared = r.strings(t, 'needs', path) ?? [];
  const dependsOn = (r.strings(t, 'depends_on', path) ?? []).filter((n) => !declared.includes(n));
  step.needs = [...new Set([...declared, ...dependsOn])];
  if (dependsOn.length > 0) step.dependsOn = new Set(dependsOn);
  if (step.needs.includes(id)) r.fail(join(path, t.needs !== undefined ? 'needs' : 'depends_on'), `step '${id}' needs itself`);
  const expandVars = r.stringMap(t, 'expand_vars', path);
  if (expandVars !== undefined) {
    if (step.expand === undefined) r.fail(join(path, 'expand_vars'), "'expand_vars' goes with 'expand'");
    step.expand_vars = expandVars;
  }
  if (t.gate !== undefined) step.gate = parseGate(r, t.gate, join(path, 'gate'));
  if (t.loop !== undefined) step.loop = parseLoop(r, t.loop, join(path, 'loop'));
  if (t.children !== undefined) {
    step.children = r.tables(t.children, join(path, 'children')).map((c, i) => parseStep(r, c, join(join(path, 'children'), i)));
  }
  if (t.on_complete !== undefined) {
    const oc = r.table(t.on_complete, join(path, 'on_complete'), ON_COMPLETE_KEYS);
    r.str(oc, 'for_each', join(path, 'on_complete'));
    r.str(oc, 'bond', join(path, 'on_complete'));
    r.bool(oc, 'parallel', join(path, 'on_complete'));
    r.bool(oc, 'sequential', join(path, 'on_complete'));
    r.stringMap(oc, 'vars', join(path, 'on_complete'));
    step.on_complete = oc;
  }
  const extras: Record<string, unknown> = {};
  for (const key of ['parallel', 'interactive'] as const) {
    const v = r.bool(t, key, path);
    if (v !== undefined) extras[key] = v;
  }
  if (Object.keys(extras).length > 0) step.extras = extras;
  if (step.loop && step.children) r.fail(join(path, 'loop'), 'a step has either a loop or children, not both');
  if (step.expand !== undefined && (step.loop || step.children)) r.fail(join(path, 'expand'), 'a step that is expanded cannot also have a loop or children');
  return step;
}

/** Step ids are unique across a tree of steps and their children (loop bodies have their own scope). */
function checkUniqueIds(r: Reader, steps: readonly StepDef[]): void {
  const seen = new Map<string, StepDef>();
  const visit = (list: readonly StepDef[]): void => {
    for (const s of list) {
      const first = seen.get(s.id);
      if (first) {
        const line = first.origin.lineOf?.(first.origin.path);
        r.fail(join(s.origin.path, 'id'), `duplicate step id '${s.id}'${line !== undefined ? ` (first at line ${line})` : ''}`);
      }
      seen.set(s.id, s);
      if (s.children) visit(s.children);
    }
  };
  visit(steps);
}

function parseAdviceStep(r: Reader, value: Table, path: string): AdviceStepDef {
  const t = r.table(value, path, ADVICE_STEP_KEYS);
  const step: AdviceStepDef = { id: r.str(t, 'id', path, true)!, origin: r.origin(path) };
  for (const key of ['title', 'description', 'type'] as const) {
    const v = r.str(t, key, path);
    if (v !== undefined) step[key] = v;
  }
  if (t.args !== undefined) step.args = t.args;
  if (t.output !== undefined) step.output = t.output;
  return step;
}

function parsePointcuts(r: Reader, t: Table): PointcutDef[] {
  if (t.pointcuts === undefined) return [];
  return r.tables(t.pointcuts, 'pointcuts').map((p, i) => {
    const path = join('pointcuts', i);
    r.table(p, path, POINTCUT_KEYS);
    const pc: PointcutDef = {};
    for (const key of POINTCUT_KEYS) {
      const v = r.str(p, key, path);
      if (v !== undefined) pc[key] = v;
    }
    if (Object.keys(pc).length === 0) r.fail(path, 'a pointcut needs glob, type or label');
    return pc;
  });
}

function parseAdvice(r: Reader, t: Table, pointcuts: PointcutDef[]): AdviceDef[] {
  if (t.advice === undefined) return [];
  return r.tables(t.advice, 'advice').map((a, i) => {
    const path = join('advice', i);
    r.table(a, path, ADVICE_KEYS);
    const advice: AdviceDef = { target: r.str(a, 'target', path, true)!, before: [], after: [], pointcuts, origin: r.origin(path) };
    for (const side of ['before', 'after'] as const) {
      if (a[side] !== undefined) {
        for (const item of r.oneOrMany(a[side], join(path, side))) advice[side].push(parseAdviceStep(r, item.value, item.path));
      }
    }
    if (a.around !== undefined) {
      const around = r.table(a.around, join(path, 'around'), ['before', 'after']);
      for (const side of ['before', 'after'] as const) {
        if (around[side] !== undefined) {
          for (const item of r.oneOrMany(around[side], join(join(path, 'around'), side))) advice[side].push(parseAdviceStep(r, item.value, item.path));
        }
      }
    }
    if (advice.before.length === 0 && advice.after.length === 0) r.fail(path, 'advice needs before, after or around steps');
    return advice;
  });
}

function parseCompose(r: Reader, t: Table): ComposeDef {
  const compose: ComposeDef = { expand: [], map: [], branch: [], gate: [], aspects: [], bond_points: [], hooks: [] };
  if (t.compose === undefined) return compose;
  const c = r.table(t.compose, 'compose', COMPOSE_KEYS);
  const list = (key: string) => (c[key] === undefined ? [] : r.tables(c[key], join('compose', key)).map((value, i) => ({ value, path: join(join('compose', key), i) })));
  for (const { value, path } of list('expand')) {
    r.table(value, path, ['target', 'with', 'vars']);
    const vars = r.stringMap(value, 'vars', path);
    compose.expand.push({ target: r.str(value, 'target', path, true)!, with: r.str(value, 'with', path, true)!, ...(vars ? { vars } : {}), origin: r.origin(path) });
  }
  for (const { value, path } of list('map')) {
    r.table(value, path, ['select', 'with', 'vars']);
    const vars = r.stringMap(value, 'vars', path);
    compose.map.push({ select: r.str(value, 'select', path, true)!, with: r.str(value, 'with', path, true)!, ...(vars ? { vars } : {}), origin: r.origin(path) });
  }
  for (const { value, path } of list('branch')) {
    r.table(value, path, ['from', 'steps', 'join']);
    const steps = r.strings(value, 'steps', path);
    if (!steps || steps.length === 0) r.fail(join(path, 'steps'), 'a branch needs the steps that run in parallel');
    compose.branch.push({ from: r.str(value, 'from', path, true)!, steps, join: r.str(value, 'join', path, true)!, origin: r.origin(path) });
  }
  for (const { value, path } of list('gate')) {
    r.table(value, path, ['before', 'condition']);
    compose.gate.push({ before: r.str(value, 'before', path, true)!, condition: r.str(value, 'condition', path, true)!, origin: r.origin(path) });
  }
  for (const { value, path } of list('bond_points')) {
    r.table(value, path, BOND_POINT_KEYS);
    r.str(value, 'id', path, true);
    if (value.after_step !== undefined && value.before_step !== undefined) r.fail(path, 'a bond point is after_step or before_step, not both');
    compose.bond_points.push(value);
  }
  for (const { value, path } of list('hooks')) {
    r.table(value, path, HOOK_KEYS);
    r.str(value, 'trigger', path, true);
    r.str(value, 'attach', path, true);
    compose.hooks.push(value);
  }
  const aspects = r.strings(c, 'aspects', 'compose');
  if (aspects) compose.aspects = aspects.map((name, i) => ({ name, origin: r.origin(join('compose.aspects', i)) }));
  return compose;
}

function parseLegs(r: Reader, t: Table): LegDef[] {
  if (t.legs === undefined) return [];
  const legs = r.tables(t.legs, 'legs').map((l, i) => {
    const path = join('legs', i);
    r.table(l, path, LEG_KEYS);
    const id = r.str(l, 'id', path, true)!;
    const leg: LegDef = { id, title: r.str(l, 'title', path) ?? id, origin: r.origin(path) };
    for (const key of ['description', 'focus', 'agent'] as const) {
      const v = r.str(l, key, path);
      if (v !== undefined) leg[key] = v;
    }
    const reviewOnly = r.bool(l, 'review_only', path);
    if (reviewOnly !== undefined) leg.review_only = reviewOnly;
    return leg;
  });
  const seen = new Set<string>();
  for (const leg of legs) {
    if (seen.has(leg.id)) r.fail(join(leg.origin.path, 'id'), `duplicate leg id '${leg.id}'`);
    seen.add(leg.id);
  }
  return legs;
}

function parseSynthesis(r: Reader, t: Table): SynthesisDef | undefined {
  if (t.synthesis === undefined) return undefined;
  const s = r.table(t.synthesis, 'synthesis', SYNTHESIS_KEYS);
  const out: SynthesisDef = { origin: r.origin('synthesis') };
  const title = r.str(s, 'title', 'synthesis');
  if (title !== undefined) out.title = title;
  const description = r.str(s, 'description', 'synthesis');
  if (description !== undefined) out.description = description;
  const deps = r.strings(s, 'depends_on', 'synthesis');
  if (deps !== undefined) out.depends_on = deps;
  return out;
}

function parsePresets(r: Reader, t: Table): Record<string, PresetDef> {
  const out: Record<string, PresetDef> = {};
  if (t.presets === undefined) return out;
  for (const [name, value] of Object.entries(r.table(t.presets, 'presets', null))) {
    const path = join('presets', name);
    const p = r.table(value, path, PRESET_KEYS);
    const legs = r.strings(p, 'legs', path);
    if (!legs || legs.length === 0) r.fail(join(path, 'legs'), 'a preset needs the legs it runs');
    const description = r.str(p, 'description', path);
    out[name] = { legs, ...(description !== undefined ? { description } : {}), origin: r.origin(path) };
  }
  return out;
}

function stringTable(r: Reader, t: Table, key: string, known: readonly string[] | null): Record<string, string> | undefined {
  if (t[key] === undefined) return undefined;
  const table = r.table(t[key], key, known);
  const out: Record<string, string> = {};
  for (const k of Object.keys(table)) out[k] = r.str(table, k, key)!;
  return out;
}

/** The message of a TOML syntax error without the parser's own position and excerpt. */
function syntaxProblem(error: { message: string }): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/\s+at row \d+, col \d+, pos \d+:?\s*$/, '').trim();
}

export function parseFormulaText(text: string, file: string): FormulaDef {
  let data: Table;
  try {
    data = TOML.parse(text) as Table;
  } catch (error) {
    const e = error as { message: string; line?: number; col?: number };
    const line = typeof e.line === 'number' ? e.line + 1 : undefined;
    throw new FormulaError(file, line, undefined, `TOML syntax error: ${syntaxProblem(e)}${typeof e.col === 'number' ? ` (column ${e.col + 1})` : ''}`, 'fix the TOML syntax (https://toml.io)');
  }
  const lineOf = buildLineIndex(text);
  const r = new Reader(file, lineOf);
  r.table(data, '', TOP_KEYS);
  const name = r.str(data, 'formula', '', true)!;
  const typeText = r.str(data, 'type', '');
  if (typeText !== undefined && !(FORMULA_TYPES as readonly string[]).includes(typeText)) {
    r.fail('type', `unknown formula type '${typeText}'`, `use one of: ${FORMULA_TYPES.join(', ')}`);
  }
  const phase = r.str(data, 'phase', '');
  if (phase !== undefined && phase !== 'liquid' && phase !== 'vapor') r.fail('phase', `unknown phase '${phase}'`, 'use liquid (poured, kept on the ledger) or vapor (a wisp)');
  const pointcuts = parsePointcuts(r, data);
  const steps = data.steps === undefined ? [] : r.tables(data.steps, 'steps').map((s, i) => parseStep(r, s, join('steps', i)));
  checkUniqueIds(r, steps);
  const template = data.template === undefined ? [] : r.tables(data.template, 'template').map((s, i) => parseStep(r, s, join('template', i)));
  checkUniqueIds(r, template);
  const extendsList: NamedRef[] = (r.strings(data, 'extends', '') ?? []).map((n, i) => ({ name: n, origin: r.origin(join('extends', i)) }));
  const extras: Record<string, unknown> = {};
  if (data.squash !== undefined) {
    const squash = r.table(data.squash, 'squash', SQUASH_KEYS);
    r.str(squash, 'trigger', 'squash');
    r.str(squash, 'template_type', 'squash');
    r.bool(squash, 'include_metrics', 'squash');
    extras.squash = squash;
  }
  const agent = r.str(data, 'agent', '');
  if (agent !== undefined) extras.agent = agent;
  const reviewOnly = r.bool(data, 'review_only', '');
  if (reviewOnly !== undefined) extras.review_only = reviewOnly;
  r.str(data, 'source', '');
  const def: FormulaDef = {
    name,
    file,
    version: r.int(data, 'version', '', 1) ?? 1,
    extends: extendsList,
    vars: parseVars(r, data, 'vars'),
    steps,
    template,
    compose: parseCompose(r, data),
    advice: parseAdvice(r, data, pointcuts),
    pointcuts,
    legs: parseLegs(r, data),
    inputs: parseVars(r, data, 'inputs'),
    prompts: stringTable(r, data, 'prompts', null) ?? {},
    presets: parsePresets(r, data),
    extras,
    lineOf,
    origin: r.origin(''),
  };
  const description = r.str(data, 'description', '');
  if (description !== undefined) def.description = description;
  if (typeText !== undefined) def.type = typeText as FormulaType;
  if (phase !== undefined) def.phase = phase as 'liquid' | 'vapor';
  const pour = r.bool(data, 'pour', '');
  if (pour !== undefined) def.pour = pour;
  const synthesis = parseSynthesis(r, data);
  if (synthesis) def.synthesis = synthesis;
  const output = stringTable(r, data, 'output', OUTPUT_KEYS);
  if (output) def.output = output;
  if (def.type === 'expansion' && template.length === 0) r.fail('template', 'an expansion formula needs [[template]] steps');
  if (def.type === 'aspect' && def.advice.length === 0) r.fail('advice', 'an aspect formula needs [[advice]]');
  if (def.type === 'convoy' && def.legs.length === 0 && extendsList.length === 0) r.fail('legs', 'a convoy formula needs [[legs]]');
  return def;
}

export function parseFormulaFile(file: string): FormulaDef {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FormulaError(file, undefined, undefined, `cannot read the formula: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseFormulaText(text, file);
}
