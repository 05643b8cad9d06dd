/**
 * Cooking: a formula (by name or path) becomes a Protomolecule. The pipeline is upstream's:
 * resolve `extends` → control flow (loops, `compose.branch`, `compose.gate`) → the formula's advice →
 * inline `expand` → `compose.expand` / `compose.map` → `compose.aspects` → (bind mode) conditions and
 * `{{var}}` substitution → a stable topological order. The work list is flat, with maps from ids to
 * steps, so a 1,000-step formula costs milliseconds.
 *
 * Compile mode (no `vars`) leaves `{{var}}` as written and keeps conditions; bind mode (`vars`, even
 * `{}`) applies defaults, checks every variable, substitutes and decides conditions.
 */
import { dirname, resolve } from 'node:path';
import type { ConvoyPlan, FormulaType, GateSpec, ProtoStep, Protomolecule, VarSpec } from './protomolecule.js';
import { didYouMean, errorAt, FormulaError, type Origin } from './formula-error.js';
import { inferType, type AdviceDef, type AdviceStepDef, type FormulaDef, type LoopDef, type NamedRef, type PointcutDef, type StepDef, type VarDef } from './formula-types.js';
import { parseFormulaFile } from './parse.js';
import { findInDirs, isFormulaPath, searchDirs, type FormulaScope, type SearchDir } from './search.js';
import { checkId } from '../ledger/names.js';
import { evaluateCondition, evaluateRange, matchGlob, substituteBraces, substituteVars } from './text.js';
import { stableTopoSort } from './topo.js';
import { bindVars, defaultValues } from './vars.js';
import { MAX_STEPS, stepsAtLeast, tooManySteps } from './step-budget.js';
import { plural } from '../ledger/wording.js';

export interface CookOptions {
  cwd: string;
  /** Bind mode when given (even `{}`): defaults applied, every variable checked, `{{var}}` substituted. */
  vars?: Record<string, string>;
  /** The search path for formulas named by other formulas (default: repository, user, built-in). */
  dirs?: SearchDir[];
}

const MAX_EXPANSION_DEPTH = 5;

/** A step while it is being cooked: the protomolecule's step plus where it came from and what is left to expand. */
interface WorkStep extends ProtoStep {
  expand?: string;
  expand_vars?: Record<string, string>;
  origin: Origin;
  dependsOn?: ReadonlySet<string>;
  /** The expanded steps this one came from, outermost first (advice on an expanded step wraps them all). */
  groups?: string[];
}

interface GroupInfo {
  title: string;
  parent?: string;
  type?: string;
  labels?: string[];
  groups?: string[];
}

/** Everything one cook needs: where to find formulas, parsed files, the variable values known so far. */
class Kitchen {
  readonly files = new Map<string, FormulaDef>();
  readonly resolved = new Map<string, FormulaDef>();
  /** Variables declared by expansions and aspects used along the way. */
  readonly extraVars: Record<string, VarDef> = {};
  readonly groups = new Map<string, GroupInfo>();

  /** Variable values known so far (bound, or defaults in compile mode): loop ranges use them. */
  values = new Map<string, string>();

  constructor(
    readonly dirs: SearchDir[],
    readonly bind: boolean,
  ) {}

  parse(file: string): FormulaDef {
    const key = resolve(file);
    let def = this.files.get(key);
    if (!def) {
      def = parseFormulaFile(key);
      this.files.set(key, def);
    }
    return def;
  }

  /** A formula named inside another: the naming file's own folder first, then the search path. */
  byName(ref: NamedRef, what: string): FormulaDef {
    const dirs: SearchDir[] = [{ dir: dirname(ref.origin.file), scope: 'dir' }, ...this.dirs];
    const found = findInDirs(ref.name, dirs);
    if (!found) {
      throw errorAt(ref.origin, undefined, `no ${what} formula named '${ref.name}'`, `looked for ${ref.name}.formula.toml in: ${[...new Set(dirs.map((d) => d.dir))].join(', ')}`);
    }
    return this.resolve(this.parse(found.file), []);
  }

  /** The formula with its `extends` chain merged in (parents first, the child winning). */
  resolve(def: FormulaDef, chain: string[]): FormulaDef {
    const cached = this.resolved.get(def.file);
    if (cached) return cached;
    if (def.extends.length === 0) {
      this.resolved.set(def.file, def);
      return def;
    }
    const here = [...chain, def.file];
    let merged: FormulaDef | undefined;
    for (const ref of def.extends) {
      const dirs: SearchDir[] = [{ dir: dirname(def.file), scope: 'dir' }, ...this.dirs];
      const found = findInDirs(ref.name, dirs);
      if (!found) throw errorAt(ref.origin, undefined, `extends '${ref.name}', but no formula of that name was found`, `looked for ${ref.name}.formula.toml in: ${[...new Set(dirs.map((d) => d.dir))].join(', ')}`);
      const parentFile = resolve(found.file);
      if (here.includes(parentFile)) {
        const names = [...here.slice(here.indexOf(parentFile)), parentFile].map((f) => this.parse(f).name);
        throw errorAt(ref.origin, undefined, `extends cycle: ${names.join(' → ')}`);
      }
      const parent = this.resolve(this.parse(parentFile), here);
      merged = merged ? mergeFormulas(merged, parent) : parent;
    }
    const result = mergeFormulas(merged!, def);
    this.resolved.set(def.file, result);
    return result;
  }
}

function byIdMerge<T extends { id: string }>(base: readonly T[], over: readonly T[]): T[] {
  const out = [...base];
  const at = new Map(out.map((s, i) => [s.id, i]));
  for (const s of over) {
    const i = at.get(s.id);
    if (i !== undefined) out[i] = s;
    else {
      at.set(s.id, out.length);
      out.push(s);
    }
  }
  return out;
}

/** `over` extends `base`: vars merged (over wins), steps overridden by id in place or appended, compose rules, advice and the rest merged. */
function mergeFormulas(base: FormulaDef, over: FormulaDef): FormulaDef {
  const aspects: NamedRef[] = [];
  for (const a of [...base.compose.aspects, ...over.compose.aspects]) if (!aspects.some((x) => x.name === a.name)) aspects.push(a);
  const bondPoints = byIdMerge(base.compose.bond_points as { id: string }[], over.compose.bond_points as { id: string }[]);
  const merged: FormulaDef = {
    ...over,
    version: over.version,
    extends: [],
    vars: { ...base.vars, ...over.vars },
    inputs: { ...base.inputs, ...over.inputs },
    steps: byIdMerge(base.steps, over.steps),
    template: byIdMerge(base.template, over.template),
    compose: {
      expand: [...base.compose.expand, ...over.compose.expand],
      map: [...base.compose.map, ...over.compose.map],
      branch: [...base.compose.branch, ...over.compose.branch],
      gate: [...base.compose.gate, ...over.compose.gate],
      aspects,
      bond_points: bondPoints,
      hooks: [...base.compose.hooks, ...over.compose.hooks],
    },
    advice: [...base.advice, ...over.advice],
    pointcuts: [...base.pointcuts, ...over.pointcuts],
    legs: byIdMerge(base.legs, over.legs),
    prompts: { ...base.prompts, ...over.prompts },
    presets: { ...base.presets, ...over.presets },
    extras: { ...base.extras, ...over.extras },
  };
  const description = over.description ?? base.description;
  if (description !== undefined) merged.description = description;
  const type = over.type ?? base.type;
  if (type !== undefined) merged.type = type;
  const phase = over.phase ?? base.phase;
  if (phase !== undefined) merged.phase = phase;
  const pour = over.pour ?? base.pour;
  if (pour !== undefined) merged.pour = pour;
  const synthesis = over.synthesis ?? base.synthesis;
  if (synthesis !== undefined) merged.synthesis = synthesis;
  const output = over.output || base.output ? { ...base.output, ...over.output } : undefined;
  if (output !== undefined) merged.output = output;
  return merged;
}

function dedupe(list: readonly string[]): string[] {
  return list.length < 2 ? [...list] : [...new Set(list)];
}

// ---------------------------------------------------------------------------------------------
// Lowering: the tree of steps (children, loops) becomes the flat work list.

interface Scope {
  /** Inside a loop iteration: `<loop>.iter<N>.` and the body's ids, which get that prefix. */
  prefix: string;
  bodyIds: ReadonlySet<string>;
  outer?: Scope;
  /** `{name}` values: loop variables, `{target…}` in expansions. */
  braces: Map<string, string>;
  /** `{{name}}` values fixed here: an expansion's `vars`, a step's `expand_vars`. */
  fixed?: Map<string, string>;
}

const ROOT_SCOPE: Scope = { prefix: '', bodyIds: new Set(), braces: new Map() };

function allIds(defs: readonly StepDef[], into = new Set<string>()): Set<string> {
  for (const d of defs) {
    into.add(d.id);
    if (d.children) allIds(d.children, into);
  }
  return into;
}

function mapId(id: string, scope: Scope): string {
  for (let s: Scope | undefined = scope; s; s = s.outer) if (s.bodyIds.has(id)) return s.prefix + id;
  return id;
}

class Lowering {
  readonly out: WorkStep[] = [];
  /** A loop's id → the ids that stand for it (its last iteration's last steps, or its needs when it ran zero times). */
  readonly rewrite = new Map<string, string[]>();
  private produced = 0;

  constructor(private readonly kitchen: Kitchen) {}

  /** Follows loop rewrites to real step ids. */
  resolveNeed(id: string, into: string[], depth = 0): void {
    const r = this.rewrite.get(id);
    if (r === undefined || depth > 64) into.push(id);
    else for (const x of r) this.resolveNeed(x, into, depth + 1);
  }

  resolveNeeds(needs: readonly string[]): string[] {
    const out: string[] = [];
    for (const n of needs) this.resolveNeed(n, out);
    return dedupe(out);
  }

  text(value: string | undefined, scope: Scope): string | undefined {
    if (value === undefined) return undefined;
    let v = substituteBraces(value, scope.braces);
    if (scope.fixed) v = substituteVars(v, scope.fixed);
    return v;
  }

  /** Lowers one list of sibling steps; returns the top-level steps it produced (children hang below their container). */
  lower(defs: readonly StepDef[], scope: Scope, parent: WorkStep | undefined, inherit: readonly string[]): WorkStep[] {
    const siblings = new Set(defs.map((d) => mapId(d.id, scope)));
    const tops: WorkStep[] = [];
    for (const def of defs) {
      let needs = def.needs.map((n) => mapId(n, scope));
      if (inherit.length > 0 && !needs.some((n) => siblings.has(n))) needs = dedupe([...inherit, ...needs]);
      if (def.loop) tops.push(...this.lowerLoop(def, scope, parent, needs));
      else tops.push(this.lowerStep(def, scope, parent, needs));
    }
    return tops;
  }

  private lowerStep(def: StepDef, scope: Scope, parent: WorkStep | undefined, needs: string[]): WorkStep {
    const step: WorkStep = { id: mapId(def.id, scope), title: this.text(def.title, scope) ?? mapId(def.id, scope), needs, origin: def.origin };
    if (def.dependsOn) step.dependsOn = def.dependsOn;
    const description = this.text(def.description, scope);
    if (description !== undefined) step.description = description;
    const notes = this.text(def.notes, scope);
    if (notes !== undefined) step.notes = notes;
    const acceptance = this.text(def.acceptance, scope);
    if (acceptance !== undefined) step.acceptance = acceptance;
    if (def.type !== undefined) step.type = def.type;
    if (def.priority !== undefined) step.priority = def.priority;
    if (def.labels) step.labels = def.labels.map((l) => this.text(l, scope)!);
    const assignee = this.text(def.assignee, scope);
    if (assignee !== undefined) step.assignee = assignee;
    if (def.metadata) step.metadata = def.metadata;
    if (parent) step.parent = parent.id;
    if (def.waits_for !== undefined) step.waits_for = this.text(def.waits_for, scope)!;
    if (def.gate) {
      const gate: GateSpec = { ...def.gate };
      if (gate.id !== undefined) gate.id = this.text(gate.id, scope)!;
      if (gate.await_id !== undefined) gate.await_id = this.text(gate.await_id, scope)!;
      step.gate = gate;
    }
    // Conditions keep their {{vars}}: they are decided against the bound values.
    if (def.condition !== undefined) step.condition = substituteBraces(def.condition, scope.braces);
    if (def.on_complete) step.on_complete = def.on_complete;
    if (def.extras) step.extras = def.extras;
    if (def.expand !== undefined) {
      step.expand = def.expand;
      const vars: Record<string, string> = {};
      for (const [k, v] of scope.braces) if (!k.includes('.')) vars[k] = v;
      for (const [k, v] of Object.entries(def.expand_vars ?? {})) vars[k] = this.text(v, scope)!;
      if (Object.keys(vars).length > 0) step.expand_vars = vars;
    }
    this.out.push(step);
    if (++this.produced > MAX_STEPS) throw tooManySteps(def.origin, undefined, `step '${def.id}'`, this.produced, 'check the loop counts and ranges');
    if (def.children && def.children.length > 0) {
      const kids = this.lower(def.children, scope, step, step.needs);
      // The container completes with its children: it waits for them.
      step.needs = dedupe([...step.needs, ...kids.map((k) => k.id)]);
    }
    return step;
  }

  /** A range loop's first value and number of iterations, its variables taken from the formula and the enclosing loops. */
  private range(loop: LoopDef, scope: Scope): { start: number; count: number } {
    const text = loop.range!;
    // Formula variables, then the enclosing loops' variables (an inner scope holds the outer ones too).
    const known = new Map(this.kitchen.values);
    for (const [k, v] of scope.braces) known.set(k, v);
    const filled = text.replace(/\{\{?([A-Za-z_][A-Za-z0-9_]*)\}?\}/g, (whole, name: string) => {
      const v = known.get(name);
      if (v === undefined) {
        throw errorAt(loop.origin, `${loop.origin.path}.range`, `the range '${text}' uses {${name}}, which has no value`, this.kitchen.bind ? `pass --var ${name}=<number>` : `give the variable '${name}' a default, or bind it with --var ${name}=<number>`);
      }
      return v;
    });
    let range: { start: number; end: number };
    try {
      range = evaluateRange(filled);
    } catch (error) {
      throw errorAt(loop.origin, `${loop.origin.path}.range`, `bad range '${text}': ${(error as Error).message}`);
    }
    return { start: range.start, count: Math.max(0, range.end - range.start + 1) };
  }

  /** How many times a loop runs, when that can be known in `scope` (undefined: a range over a variable not set yet). */
  private knownIterations(loop: LoopDef, scope: Scope): number | undefined {
    if (loop.count !== undefined) return loop.count;
    if (loop.until !== undefined) return 1;
    try {
      return this.range(loop, scope).count;
    } catch {
      return undefined;
    }
  }

  private iterations(def: StepDef, scope: Scope): { values: (number | undefined)[]; until: boolean } {
    const loop = def.loop!;
    let first = 1;
    let count: number;
    let key: string;
    if (loop.count !== undefined) {
      count = loop.count;
      key = `${loop.origin.path}.count`;
    } else if (loop.until !== undefined) {
      count = 1;
      key = `${loop.origin.path}.until`;
    } else {
      ({ start: first, count } = this.range(loop, scope));
      key = `${loop.origin.path}.range`;
    }
    // The size first: nothing is built for a loop that would pass the limit.
    const body = stepsAtLeast(loop.body, (inner) => this.knownIterations(inner, scope), (step) => expansionSteps(this.kitchen, step, 1));
    const total = this.produced + count * body;
    if (total > MAX_STEPS) {
      throw tooManySteps(loop.origin, key, `the loop '${def.id}' (${plural(count, 'iteration')} of ${plural(body, 'step')})`, total, 'check the loop counts and ranges');
    }
    return { values: loop.until !== undefined && loop.count === undefined ? [undefined] : Array.from({ length: count }, (_, i) => first + i), until: loop.until !== undefined && loop.count === undefined };
  }

  private lowerLoop(def: StepDef, scope: Scope, parent: WorkStep | undefined, needs: string[]): WorkStep[] {
    const loop = def.loop!;
    const loopId = mapId(def.id, scope);
    const { values, until } = this.iterations(def, scope);
    const bodyIds = allIds(loop.body);
    const tops: WorkStep[] = [];
    let previous: string[] = needs;
    values.forEach((value, i) => {
      const braces = new Map(scope.braces);
      if (loop.var !== undefined && value !== undefined) braces.set(loop.var, String(value));
      const inner: Scope = { prefix: `${loopId}.iter${i + 1}.`, bodyIds, outer: scope, braces, ...(scope.fixed ? { fixed: scope.fixed } : {}) };
      const start = this.out.length;
      const iterTops = this.lower(loop.body, inner, parent, []);
      const made = this.out.slice(start);
      const ids = new Set(made.map((s) => s.id));
      for (const id of bodyIds) ids.add(inner.prefix + id);
      const internal = (s: WorkStep) => this.resolveNeeds(s.needs).some((n) => ids.has(n));
      for (const top of iterTops) if (!internal(top)) top.needs = dedupe([...previous, ...top.needs]);
      const needed = new Set<string>();
      for (const s of made) for (const n of this.resolveNeeds(s.needs)) needed.add(n);
      previous = iterTops.filter((t) => !needed.has(t.id)).map((t) => t.id);
      if (until && iterTops[0]) iterTops[0].loop_until = { until: loop.until!, max: loop.max!, body: made.map((s) => s.id) };
      tops.push(...iterTops);
    });
    this.rewrite.set(loopId, previous);
    return tops;
  }

  /** Applies the loop rewrites to every step's needs. */
  finish(): WorkStep[] {
    if (this.rewrite.size > 0) for (const s of this.out) s.needs = this.resolveNeeds(s.needs);
    return this.out;
  }
}

// ---------------------------------------------------------------------------------------------
// The flat work list and its transforms.

class WorkList {
  list: WorkStep[];
  byId = new Map<string, WorkStep>();

  constructor(steps: WorkStep[]) {
    this.list = steps;
    for (const s of steps) this.add(s);
  }

  add(s: WorkStep): void {
    const existing = this.byId.get(s.id);
    if (existing && existing !== s) {
      const line = existing.origin.lineOf?.(existing.origin.path);
      throw errorAt(s.origin, undefined, `step id '${s.id}' is used twice${existing.origin.file !== s.origin.file ? ` (also in ${existing.origin.file}${line !== undefined ? `:${line}` : ''})` : line !== undefined ? ` (also at line ${line})` : ''}`);
    }
    this.byId.set(s.id, s);
  }

  rebuild(list: WorkStep[]): void {
    this.list = list;
    this.byId = new Map();
    for (const s of list) this.add(s);
  }

  /** Replaces ids in every step's needs (one pass; a replacement list may be empty). */
  rewriteNeeds(map: ReadonlyMap<string, readonly string[]>, skip?: (step: WorkStep, need: string) => boolean): void {
    if (map.size === 0) return;
    for (const s of this.list) {
      if (!s.needs.some((n) => map.has(n))) continue;
      const out: string[] = [];
      for (const n of s.needs) {
        const r = map.get(n);
        if (r === undefined || skip?.(s, n)) out.push(n);
        else out.push(...r);
      }
      s.needs = dedupe(out.filter((n) => n !== s.id));
    }
  }

  require(id: string, origin: Origin, key: string, what: string): WorkStep {
    const s = this.byId.get(id);
    if (!s) throw errorAt(origin, key, `${what} '${id}' is not a step${didYouMean(id, this.byId.keys())}`);
    return s;
  }
}

function applyBranches(work: WorkList, def: FormulaDef): void {
  for (const rule of def.compose.branch) {
    const key = rule.origin.path;
    const from = work.require(rule.from, rule.origin, `${key}.from`, 'branch from');
    const join = work.require(rule.join, rule.origin, `${key}.join`, 'branch join');
    for (const id of rule.steps) {
      const s = work.require(id, rule.origin, `${key}.steps`, 'branch step');
      if (!s.needs.includes(from.id)) s.needs.push(from.id);
      if (!join.needs.includes(s.id)) join.needs.push(s.id);
    }
  }
}

function applyComposeGates(work: WorkList, def: FormulaDef): void {
  for (const rule of def.compose.gate) {
    const s = work.require(rule.before, rule.origin, `${rule.origin.path}.before`, 'gate before');
    if (!s.gate) s.gate = { type: 'conditional', condition: rule.condition };
    else if (s.gate.condition === undefined) s.gate = { ...s.gate, condition: rule.condition };
    else if (s.gate.condition !== rule.condition) throw errorAt(rule.origin, `${rule.origin.path}.condition`, `step '${s.id}' already has a gate with condition '${s.gate.condition}'`);
  }
}

function matchesPointcuts(pointcuts: readonly PointcutDef[], id: string, type: string | undefined, labels: readonly string[] | undefined): boolean {
  if (pointcuts.length === 0) return true;
  return pointcuts.some(
    (pc) => (pc.glob === undefined || matchGlob(pc.glob, id)) && (pc.type === undefined || pc.type === type) && (pc.label === undefined || (labels ?? []).includes(pc.label)),
  );
}

interface AdviceUnit {
  key: string;
  title: string;
  members: WorkStep[];
  memberIds: Set<string>;
  before: AdviceStepDef[];
  after: AdviceStepDef[];
  parent?: string;
  groups?: string[];
}

/**
 * Advice: before-steps take the target's needs and the target needs them; after-steps need the target,
 * and what needed the target needs the after-steps. Only steps present before this call are matched.
 * A target that was expanded is wrapped as a whole: the advice goes around its expansion.
 */
function applyAdvice(work: WorkList, kitchen: Kitchen, rules: readonly AdviceDef[]): void {
  if (rules.length === 0) return;
  const units = new Map<string, AdviceUnit>();
  const unitOf = new Map<string, AdviceUnit>();
  const ensure = (key: string, title: string, members: WorkStep[], parent: string | undefined, groups: string[] | undefined): AdviceUnit => {
    let u = units.get(key);
    if (!u) {
      u = { key, title, members, memberIds: new Set(members.map((m) => m.id)), before: [], after: [], ...(parent !== undefined ? { parent } : {}), ...(groups ? { groups } : {}) };
      units.set(key, u);
      for (const m of members) unitOf.set(m.id, u);
    }
    return u;
  };
  // Expanded targets first: their members are not matched one by one.
  const groupIds: string[] = [];
  const membersOf = new Map<string, WorkStep[]>();
  for (const s of work.list) {
    for (const g of s.groups ?? []) {
      let m = membersOf.get(g);
      if (!m) {
        m = [];
        membersOf.set(g, m);
        groupIds.push(g);
      }
      m.push(s);
    }
  }
  for (const rule of rules) {
    for (const g of groupIds) {
      if (work.byId.has(g)) continue;
      const info = kitchen.groups.get(g);
      if (!info || !matchGlob(rule.target, g) || !matchesPointcuts(rule.pointcuts, g, info.type, info.labels)) continue;
      const members = membersOf.get(g)!;
      if (members.some((m) => unitOf.has(m.id) && unitOf.get(m.id)!.key !== g)) continue;
      const u = ensure(g, info.title, members, info.parent, info.groups);
      u.before.push(...rule.before);
      u.after.push(...rule.after);
    }
  }
  for (const s of work.list) {
    if (unitOf.has(s.id)) continue;
    for (const rule of rules) {
      if (!matchGlob(rule.target, s.id) || !matchesPointcuts(rule.pointcuts, s.id, s.type, s.labels)) continue;
      const u = ensure(s.id, s.title, [s], s.parent, s.groups);
      u.before.push(...rule.before);
      u.after.push(...rule.after);
    }
  }
  if (units.size === 0) return;
  const insertBefore = new Map<string, WorkStep[]>();
  const insertAfter = new Map<string, WorkStep[]>();
  const rewrite = new Map<string, string[]>();
  const made = (a: AdviceStepDef, u: AdviceUnit): WorkStep => {
    const braces = new Map([
      ['step.id', u.key],
      ['step.title', u.title],
    ]);
    const id = substituteBraces(a.id, braces);
    const step: WorkStep = { id, title: a.title !== undefined ? substituteBraces(a.title, braces) : id, needs: [], origin: a.origin };
    if (a.description !== undefined) step.description = substituteBraces(a.description, braces);
    if (a.type !== undefined) step.type = a.type;
    if (a.args !== undefined || a.output !== undefined) step.metadata = { ...(a.args !== undefined ? { args: a.args } : {}), ...(a.output !== undefined ? { output: a.output } : {}) };
    if (u.parent !== undefined) step.parent = u.parent;
    if (u.groups && u.groups.length > 0) step.groups = [...u.groups];
    return step;
  };
  for (const u of units.values()) {
    const roots = u.members.filter((m) => !m.needs.some((n) => u.memberIds.has(n)));
    const needed = new Set(u.members.flatMap((m) => m.needs.filter((n) => u.memberIds.has(n))));
    const sinks = u.members.filter((m) => !needed.has(m.id));
    const befores = u.before.map((a) => made(a, u));
    const afters = u.after.map((a) => made(a, u));
    if (befores.length > 0) {
      befores[0]!.needs = dedupe(roots.flatMap((r) => r.needs.filter((n) => !u.memberIds.has(n))));
      for (let i = 1; i < befores.length; i++) befores[i]!.needs = [befores[i - 1]!.id];
      const last = befores[befores.length - 1]!.id;
      for (const r of roots) r.needs = [...r.needs.filter((n) => u.memberIds.has(n)), last];
      insertBefore.set(u.members[0]!.id, befores);
    }
    if (afters.length > 0) {
      for (let i = 1; i < afters.length; i++) afters[i]!.needs = [afters[i - 1]!.id];
      const last = afters[afters.length - 1]!.id;
      for (const m of u.members) rewrite.set(m.id, [last]);
      afters[0]!.needs = sinks.map((s) => s.id);
      insertAfter.set(u.members[u.members.length - 1]!.id, afters);
    }
  }
  const list: WorkStep[] = [];
  for (const s of work.list) {
    const b = insertBefore.get(s.id);
    if (b) list.push(...b);
    list.push(s);
    const a = insertAfter.get(s.id);
    if (a) list.push(...a);
  }
  work.rebuild(list);
  // Steps outside a unit (before-steps of other units included) that needed its members now need its
  // last after-step; the after-steps keep needing what they wrap.
  const afters = new Set([...insertAfter.values()].flat());
  work.rewriteNeeds(rewrite, (step, need) => afters.has(step) || unitOf.get(need)?.memberIds.has(step.id) === true);
}

/** Deep copy of template steps with `{target}`, `{target.id|title|description}` filled. */
function fillTemplate(defs: readonly StepDef[], braces: ReadonlyMap<string, string>): StepDef[] {
  return defs.map((d) => {
    const copy: StepDef = { ...d, id: substituteBraces(d.id, braces), needs: d.needs.map((n) => substituteBraces(n, braces)) };
    for (const key of ['title', 'description', 'notes', 'acceptance', 'assignee'] as const) {
      const v = d[key];
      if (v !== undefined) copy[key] = substituteBraces(v, braces);
    }
    if (d.labels) copy.labels = d.labels.map((l) => substituteBraces(l, braces));
    if (d.children) copy.children = fillTemplate(d.children, braces);
    if (d.loop) copy.loop = { ...d.loop, body: fillTemplate(d.loop.body, braces) };
    return copy;
  });
}

interface Expanded {
  steps: WorkStep[];
  /** The steps that stand for the target from now on (what needed the target needs these). */
  sinks: string[];
}

/** Replaces `target` by the expansion's template steps; returns the steps made (in order). */
function expandStep(kitchen: Kitchen, target: WorkStep, expansion: FormulaDef, ruleVars: Record<string, string> | undefined, ref: NamedRef, depth: number): Expanded {
  if (depth > MAX_EXPANSION_DEPTH) throw errorAt(ref.origin, undefined, `expansions nest deeper than ${MAX_EXPANSION_DEPTH} levels (at step '${target.id}')`);
  if (inferType(expansion) !== 'expansion') {
    throw errorAt(ref.origin, undefined, `'${expansion.name}' is a ${inferType(expansion)} formula, not an expansion`, `${expansion.file}: expansion formulas have type = "expansion" and [[template]] steps`);
  }
  if (expansion.template.length === 0) throw errorAt(expansion.origin, 'template', `the expansion '${expansion.name}' has no [[template]] steps`);
  const braces = new Map([
    ['target', target.id],
    ['target.id', target.id],
    ['target.title', target.title],
    ['target.description', target.description ?? ''],
  ]);
  const fixed = new Map(Object.entries(ruleVars ?? {}));
  for (const [name, spec] of Object.entries(expansion.vars)) {
    if (!fixed.has(name) && !(name in kitchen.extraVars)) kitchen.extraVars[name] = spec;
  }
  kitchen.groups.set(target.id, { title: target.title, ...(target.parent !== undefined ? { parent: target.parent } : {}), ...(target.type !== undefined ? { type: target.type } : {}), ...(target.labels ? { labels: target.labels } : {}), ...(target.groups ? { groups: target.groups } : {}) });
  const lowering = new Lowering(kitchen);
  // The first template steps (and their children) take the target's needs.
  const tops = lowering.lower(fillTemplate(expansion.template, braces), { ...ROOT_SCOPE, ...(fixed.size > 0 ? { fixed } : {}) }, undefined, target.needs);
  const made = lowering.finish();
  const external = new Set(target.needs);
  const needed = new Set(made.flatMap((s) => s.needs.filter((n) => !external.has(n))));
  const groups = [...(target.groups ?? []), target.id];
  for (const s of made) {
    s.groups = [...groups, ...(s.groups ?? [])];
    if (s.parent !== undefined) continue;
    // Top-level steps of the expansion stand where the target stood: its container, its condition.
    if (target.parent !== undefined) s.parent = target.parent;
    if (target.condition !== undefined && s.condition === undefined) s.condition = target.condition;
  }
  const sinks = tops.filter((t) => !needed.has(t.id)).map((t) => t.id);
  // Nested inline expansions inside the template.
  const out: WorkStep[] = [];
  const rewrite = new Map<string, string[]>();
  for (const s of made) {
    if (s.expand === undefined) {
      out.push(s);
      continue;
    }
    const innerRef: NamedRef = { name: s.expand, origin: { ...s.origin, path: `${s.origin.path}.expand` } };
    const sub = expandStep(kitchen, s, kitchen.byName(innerRef, 'expansion'), s.expand_vars, innerRef, depth + 1);
    rewrite.set(s.id, sub.sinks);
    out.push(...sub.steps);
  }
  if (rewrite.size === 0) return { steps: out, sinks };
  for (const s of out) {
    if (s.needs.some((n) => rewrite.has(n))) s.needs = dedupe(s.needs.flatMap((n) => rewrite.get(n) ?? [n]));
  }
  return { steps: out, sinks: sinks.flatMap((id) => rewrite.get(id) ?? [id]) };
}

/**
 * Steps that expanding `step` in place makes at least: its expansion's template, nested inline
 * expansions included. A name that cannot be resolved counts as one step (the expansion itself reports it).
 */
function expansionSteps(kitchen: Kitchen, step: StepDef | WorkStep, depth: number): number {
  if (step.expand === undefined || depth > MAX_EXPANSION_DEPTH) return 1;
  let expansion: FormulaDef;
  try {
    expansion = kitchen.byName({ name: step.expand, origin: step.origin }, 'expansion');
  } catch {
    return 1;
  }
  return templateSteps(kitchen, expansion, depth);
}

function templateSteps(kitchen: Kitchen, expansion: FormulaDef, depth: number): number {
  const loops = (loop: LoopDef): number | undefined => loop.count ?? (loop.until !== undefined ? 1 : undefined);
  return stepsAtLeast(expansion.template, loops, (inner) => expansionSteps(kitchen, inner, depth + 1));
}

/** Refuses, before anything is built, expansions that would take the work list past the step limit. */
function checkExpansionSize(work: WorkList, sizes: readonly number[], origin: Origin, key: string, what: string): void {
  const added = sizes.reduce((sum, n) => sum + n, 0);
  const total = work.list.length - sizes.length + added;
  if (total <= MAX_STEPS) return;
  const each = sizes.every((n) => n === sizes[0]) ? `${sizes[0]!.toLocaleString('en-US')} steps` : `${added.toLocaleString('en-US')} steps in all`;
  throw tooManySteps(origin, key, `${what} (${sizes.length.toLocaleString('en-US')} target${sizes.length === 1 ? '' : 's'} × ${each})`, total, 'expand fewer steps, or make the expansion smaller');
}

/** Replaces several targets at once: one pass over the list and one over the needs. */
function replaceTargets(work: WorkList, replacements: Map<string, Expanded>): void {
  if (replacements.size === 0) return;
  const rewrite = new Map<string, string[]>();
  for (const [id, e] of replacements) rewrite.set(id, e.sinks);
  const list: WorkStep[] = [];
  for (const s of work.list) {
    const r = replacements.get(s.id);
    if (r) list.push(...r.steps);
    else list.push(s);
  }
  // A removed container's children now belong to its parent.
  for (const s of list) {
    if (s.parent !== undefined && replacements.has(s.parent)) {
      const p = work.byId.get(s.parent)!.parent;
      if (p !== undefined) s.parent = p;
      else delete s.parent;
    }
  }
  work.rebuild(list);
  work.rewriteNeeds(rewrite);
}

function applyInlineExpansions(work: WorkList, kitchen: Kitchen): void {
  const targets = work.list.filter((s) => s.expand !== undefined);
  if (targets.length > 0) checkExpansionSize(work, targets.map((s) => expansionSteps(kitchen, s, 1)), targets[0]!.origin, `${targets[0]!.origin.path}.expand`, 'inline expansions');
  const replacements = new Map<string, Expanded>();
  for (const s of work.list) {
    if (s.expand === undefined) continue;
    const ref: NamedRef = { name: s.expand, origin: { ...s.origin, path: `${s.origin.path}.expand` } };
    replacements.set(s.id, expandStep(kitchen, s, kitchen.byName(ref, 'expansion'), s.expand_vars, ref, 1));
  }
  replaceTargets(work, replacements);
}

function applyComposeExpansions(work: WorkList, kitchen: Kitchen, def: FormulaDef): void {
  const expanded = new Set<string>();
  for (const rule of def.compose.expand) {
    if (expanded.has(rule.target)) continue;
    const target = work.require(rule.target, rule.origin, `${rule.origin.path}.target`, 'expand target');
    const ref: NamedRef = { name: rule.with, origin: { ...rule.origin, path: `${rule.origin.path}.with` } };
    const expansion = kitchen.byName(ref, 'expansion');
    checkExpansionSize(work, [templateSteps(kitchen, expansion, 1)], rule.origin, `${rule.origin.path}.with`, `expanding '${target.id}' with '${rule.with}'`);
    replaceTargets(work, new Map([[target.id, expandStep(kitchen, target, expansion, rule.vars, ref, 1)]]));
    expanded.add(rule.target);
  }
  for (const rule of def.compose.map) {
    const ref: NamedRef = { name: rule.with, origin: { ...rule.origin, path: `${rule.origin.path}.with` } };
    const expansion = kitchen.byName(ref, 'expansion');
    const selected = work.list.filter((s) => !expanded.has(s.id) && matchGlob(rule.select, s.id));
    if (selected.length > 0) {
      const each = templateSteps(kitchen, expansion, 1);
      checkExpansionSize(work, selected.map(() => each), rule.origin, `${rule.origin.path}.with`, `mapping '${rule.with}' over '${rule.select}'`);
    }
    const replacements = new Map<string, Expanded>();
    for (const s of selected) {
      replacements.set(s.id, expandStep(kitchen, s, expansion, rule.vars, ref, 1));
      expanded.add(s.id);
    }
    replaceTargets(work, replacements);
  }
}

function applyAspects(work: WorkList, kitchen: Kitchen, def: FormulaDef): void {
  for (const ref of def.compose.aspects) {
    const aspect = kitchen.byName(ref, 'aspect');
    if (inferType(aspect) !== 'aspect') {
      throw errorAt(ref.origin, undefined, `'${aspect.name}' is a ${inferType(aspect)} formula, not an aspect`, `${aspect.file}: aspect formulas have type = "aspect" and [[advice]]`);
    }
    for (const [name, spec] of Object.entries(aspect.vars)) if (!(name in kitchen.extraVars)) kitchen.extraVars[name] = spec;
    applyAdvice(work, kitchen, aspect.advice);
  }
}

function checkReferences(work: WorkList): void {
  for (const s of work.list) {
    for (const n of s.needs) {
      if (!work.byId.has(n)) {
        throw errorAt(s.origin, `${s.origin.path}.${s.dependsOn?.has(n) ? 'depends_on' : 'needs'}`, `step '${s.id}' needs '${n}', which is not a step${didYouMean(n, work.byId.keys())}`);
      }
    }
  }
}

/** Bind mode: cook-time conditions decided; a false one drops the step (and its children), and what needed it needs what it needed. */
function applyConditions(work: WorkList, values: ReadonlyMap<string, string>): void {
  const dropped = new Set<string>();
  for (const s of work.list) {
    if (s.parent !== undefined && dropped.has(s.parent)) {
      dropped.add(s.id);
      continue;
    }
    if (s.condition === undefined) continue;
    const result = evaluateCondition(s.condition, values);
    if (!result.decided) continue;
    if (result.value) delete s.condition;
    else dropped.add(s.id);
  }
  // Children listed before their container (not the usual order) are caught here.
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of work.list) {
      if (!dropped.has(s.id) && s.parent !== undefined && dropped.has(s.parent)) {
        dropped.add(s.id);
        grew = true;
      }
    }
  }
  if (dropped.size === 0) return;
  const rewrite = new Map<string, string[]>();
  const resolveNeed = (id: string, into: string[], depth = 0): void => {
    if (!dropped.has(id) || depth > 10_000) into.push(id);
    else for (const n of work.byId.get(id)!.needs) resolveNeed(n, into, depth + 1);
  };
  for (const id of dropped) {
    const into: string[] = [];
    for (const n of work.byId.get(id)!.needs) resolveNeed(n, into);
    rewrite.set(id, dedupe(into));
  }
  work.rebuild(work.list.filter((s) => !dropped.has(s.id)));
  work.rewriteNeeds(rewrite);
}

function substituteStep(s: WorkStep, values: ReadonlyMap<string, string>): void {
  s.title = substituteVars(s.title, values);
  for (const key of ['description', 'notes', 'acceptance', 'assignee'] as const) {
    const v = s[key];
    if (v !== undefined) s[key] = substituteVars(v, values);
  }
  if (s.gate) {
    const gate = { ...s.gate };
    if (gate.id !== undefined) gate.id = substituteVars(gate.id, values);
    if (gate.await_id !== undefined) gate.await_id = substituteVars(gate.await_id, values);
    s.gate = gate;
  }
}

function toProtoStep(s: WorkStep): ProtoStep {
  // Fixed key order, so the same input always gives the same bytes.
  const ordered = { id: s.id, title: s.title } as ProtoStep;
  if (s.description !== undefined) ordered.description = s.description;
  if (s.notes !== undefined) ordered.notes = s.notes;
  if (s.acceptance !== undefined) ordered.acceptance = s.acceptance;
  if (s.type !== undefined) ordered.type = s.type;
  if (s.priority !== undefined) ordered.priority = s.priority;
  if (s.labels !== undefined) ordered.labels = [...s.labels];
  if (s.assignee !== undefined) ordered.assignee = s.assignee;
  if (s.metadata !== undefined) ordered.metadata = s.metadata;
  ordered.needs = [...s.needs];
  if (s.parent !== undefined) ordered.parent = s.parent;
  if (s.waits_for !== undefined) ordered.waits_for = s.waits_for;
  if (s.gate !== undefined) ordered.gate = orderedGate(s.gate);
  if (s.condition !== undefined) ordered.condition = s.condition;
  if (s.loop_until !== undefined) ordered.loop_until = s.loop_until;
  if (s.on_complete !== undefined) ordered.on_complete = s.on_complete;
  if (s.extras !== undefined) ordered.extras = s.extras;
  return ordered;
}

function orderedGate(g: GateSpec): GateSpec {
  const out: GateSpec = { type: g.type };
  if (g.id !== undefined) out.id = g.id;
  if (g.await_id !== undefined) out.await_id = g.await_id;
  if (g.timeout !== undefined) out.timeout = g.timeout;
  if (g.condition !== undefined) out.condition = g.condition;
  return out;
}

function toVarSpec(v: VarDef): VarSpec {
  const out: VarSpec = {};
  if (v.description !== undefined) out.description = v.description;
  if (v.default !== undefined) out.default = v.default;
  if (v.required !== undefined) out.required = v.required;
  if (v.enum !== undefined) out.enum = [...v.enum];
  if (v.pattern !== undefined) out.pattern = v.pattern;
  if (v.type !== undefined) out.type = v.type;
  if (v.required_unless !== undefined) out.required_unless = [...v.required_unless];
  return out;
}

/** A convoy formula's legs as steps (in parallel) and its synthesis (needing them). */
function convoySteps(def: FormulaDef): { steps: WorkStep[]; plan: ConvoyPlan } {
  const legIds = new Set(def.legs.map((l) => l.id));
  const steps: WorkStep[] = def.legs.map((leg) => {
    const s: WorkStep = { id: leg.id, title: leg.title, needs: [], origin: leg.origin };
    if (leg.description !== undefined) s.description = leg.description;
    const metadata: Record<string, unknown> = {};
    if (leg.focus !== undefined) metadata.focus = leg.focus;
    if (leg.agent !== undefined) metadata.agent = leg.agent;
    if (leg.review_only !== undefined) metadata.review_only = leg.review_only;
    if (Object.keys(metadata).length > 0) s.metadata = metadata;
    return s;
  });
  const plan: ConvoyPlan = {
    legs: def.legs.map((l) => ({
      id: l.id,
      title: l.title,
      ...(l.description !== undefined ? { description: l.description } : {}),
      ...(l.focus !== undefined ? { focus: l.focus } : {}),
      ...(l.agent !== undefined ? { agent: l.agent } : {}),
      ...(l.review_only !== undefined ? { review_only: l.review_only } : {}),
    })),
    presets: {},
  };
  for (const name of Object.keys(def.presets).sort()) {
    const preset = def.presets[name]!;
    preset.legs.forEach((id, i) => {
      if (!legIds.has(id)) throw errorAt(preset.origin, `${preset.origin.path}.legs[${i}]`, `preset '${name}' names leg '${id}', which is not a leg${didYouMean(id, legIds)}`);
    });
    plan.presets[name] = { ...(preset.description !== undefined ? { description: preset.description } : {}), legs: [...preset.legs] };
  }
  if (def.synthesis) {
    const syn = def.synthesis;
    const dependsOn = syn.depends_on ?? def.legs.map((l) => l.id);
    dependsOn.forEach((id, i) => {
      if (!legIds.has(id)) throw errorAt(syn.origin, `synthesis.depends_on[${i}]`, `the synthesis depends on '${id}', which is not a leg${didYouMean(id, legIds)}`);
    });
    const id = legIds.has('synthesis') ? 'synthesis-step' : 'synthesis';
    const s: WorkStep = { id, title: syn.title ?? 'Synthesis', needs: [...dependsOn], origin: syn.origin };
    if (syn.description !== undefined) s.description = syn.description;
    steps.push(s);
    plan.synthesis = { title: s.title, ...(syn.description !== undefined ? { description: syn.description } : {}), depends_on: [...dependsOn] };
  }
  if (Object.keys(def.prompts).length > 0) plan.prompts = { ...def.prompts };
  if (def.output) plan.output = { ...def.output };
  return { steps, plan };
}

export interface LoadedFormula {
  def: FormulaDef;
  scope: FormulaScope;
  dirs: SearchDir[];
}

/** Finds a formula by name on the search path, or reads it from a path. */
export function loadFormula(nameOrPath: string, options: { cwd: string; dirs?: SearchDir[] }): LoadedFormula {
  const dirs = options.dirs ?? searchDirs(options.cwd);
  if (isFormulaPath(nameOrPath)) {
    const file = resolve(options.cwd, nameOrPath);
    return { def: parseFormulaFile(file), scope: 'dir', dirs };
  }
  checkId(nameOrPath, 'formula name');
  const found = findInDirs(nameOrPath, dirs);
  if (!found) {
    throw new FormulaError(undefined, undefined, undefined, `no formula named '${nameOrPath}'`, `looked for ${nameOrPath}.formula.toml in: ${dirs.map((d) => d.dir).join(', ')} (gt formula list shows what there is)`);
  }
  return { def: parseFormulaFile(found.file), scope: found.scope, dirs };
}

/** The formula with its `extends` chain merged in, and its type (without cooking it). */
export function resolveLoaded(loaded: LoadedFormula): { def: FormulaDef; type: FormulaType } {
  const kitchen = new Kitchen(loaded.dirs, false);
  kitchen.files.set(resolve(loaded.def.file), loaded.def);
  const def = kitchen.resolve(loaded.def, []);
  return { def, type: inferType(def) };
}

/** The variables a formula declares once its `extends` chain is merged (without cooking it). */
export function resolvedVars(nameOrPath: string, options: { cwd: string; dirs?: SearchDir[] }): Record<string, VarDef> {
  const { def } = resolveLoaded(loadFormula(nameOrPath, options));
  return { ...def.vars, ...def.inputs };
}

export function cookFormula(nameOrPath: string, options: CookOptions): Protomolecule {
  const loaded = loadFormula(nameOrPath, options);
  return cookLoaded(loaded, options.vars);
}

export function cookLoaded(loaded: LoadedFormula, given: Record<string, string> | undefined): Protomolecule {
  const bind = given !== undefined;
  const kitchen = new Kitchen(loaded.dirs, bind);
  kitchen.files.set(resolve(loaded.def.file), loaded.def);
  const def = kitchen.resolve(loaded.def, []);
  const declared: Record<string, VarDef> = { ...def.vars, ...def.inputs };
  const values = bind ? bindVars(declared, given) : defaultValues(declared);
  kitchen.values = values;
  const type: FormulaType = inferType(def);

  // Control flow: loops and children, then branches and gates.
  const lowering = new Lowering(kitchen);
  let convoy: ConvoyPlan | undefined;
  if (type === 'expansion' && def.steps.length === 0) {
    // Cooked on its own, an expansion is its template around a target named after the formula.
    const braces = new Map([
      ['target', def.name],
      ['target.id', def.name],
      ['target.title', def.name],
      ['target.description', def.description ?? ''],
    ]);
    lowering.lower(fillTemplate(def.template, braces), ROOT_SCOPE, undefined, []);
  } else {
    lowering.lower(def.steps, ROOT_SCOPE, undefined, []);
  }
  const work = new WorkList(lowering.finish());
  if (type === 'convoy') {
    const c = convoySteps(def);
    for (const s of c.steps) {
      work.add(s);
      work.list.push(s);
    }
    convoy = c.plan;
  }
  applyBranches(work, def);
  applyComposeGates(work, def);
  applyAdvice(work, kitchen, type === 'aspect' ? [] : def.advice);
  applyInlineExpansions(work, kitchen);
  applyComposeExpansions(work, kitchen, def);
  applyAspects(work, kitchen, def);
  checkReferences(work);

  const allVars: Record<string, VarDef> = { ...kitchen.extraVars, ...declared };
  if (bind) {
    const extra: Record<string, VarDef> = {};
    for (const [name, spec] of Object.entries(kitchen.extraVars)) if (!(name in declared)) extra[name] = spec;
    for (const [k, v] of bindVars(extra, given)) if (!values.has(k)) values.set(k, v);
    applyConditions(work, values);
    for (const s of work.list) substituteStep(s, values);
  }

  const sorted = stableTopoSort(work.list);
  if (!sorted.ok) {
    const first = work.byId.get(sorted.cycle[sorted.cycle.length - 2] ?? sorted.cycle[0]!)!;
    throw errorAt(first.origin, `${first.origin.path}.needs`, `dependency cycle: ${sorted.cycle.join(' → ')}`, 'a step cannot wait, directly or not, for itself: remove one of these needs');
  }

  const proto: Protomolecule = { formula: def.name, version: def.version, type } as Protomolecule;
  if (def.description !== undefined) proto.description = def.description;
  if (def.phase !== undefined) proto.phase = def.phase;
  if (def.pour !== undefined) proto.pour = def.pour;
  proto.vars = {};
  for (const name of Object.keys(allVars).sort()) proto.vars[name] = toVarSpec(allVars[name]!);
  proto.steps = sorted.order.map(toProtoStep);
  const extras: Record<string, unknown> = {};
  for (const key of Object.keys(def.extras).sort()) extras[key] = def.extras[key];
  if (def.compose.bond_points.length > 0) extras.bond_points = def.compose.bond_points;
  if (def.compose.hooks.length > 0) extras.hooks = def.compose.hooks;
  if (type === 'aspect') {
    extras.advice = def.advice.map((a) => ({ target: a.target, before: a.before.map((b) => b.id), after: a.after.map((b) => b.id) }));
    if (def.pointcuts.length > 0) extras.pointcuts = def.pointcuts;
  }
  if (Object.keys(extras).length > 0) proto.extras = extras;
  if (convoy) proto.convoy = convoy;
  proto.source = def.file;
  return proto;
}
