import type { Command } from 'commander';
import { globalsOf, withLedger } from '../context.js';
import { addressList, varList } from '../options.js';
import { checkVarNames } from '../../formulas/var-names.js';
import { printLine, terminalSafe } from '../output.js';
import { splitList } from '../../beads/bead-input.js';
import { GtError, UsageError } from '../../errors.js';
import { cookLoaded, loadFormula, resolveLoaded } from '../../formulas/cook.js';
import { planConvoyRun, runConvoyPlan } from '../../work/convoy-run.js';
import { parseFormulaFile } from '../../formulas/parse.js';
import { inferType } from '../../formulas/formula-types.js';
import { listFormulaFiles, searchDirs } from '../../formulas/search.js';
import type { ProtoStep, Protomolecule } from '../../formulas/protomolecule.js';

/** `--var k=v` options into a table (the last value of a name wins). */
export function parseVarOptions(specs: readonly string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const at = spec.indexOf('=');
    const name = at < 0 ? '' : spec.slice(0, at).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`invalid --var '${spec}'`, 'write it as --var name=value');
    vars[name] = spec.slice(at + 1);
  }
  return vars;
}

function cwdOf(command: Command): string {
  return globalsOf(command).cwd ?? process.cwd();
}

/** Two-space-indented JSON: the same protomolecule gives the same bytes. */
function printPretty(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]!.trim();
}

/** The first paragraph on one line, cut to `max` characters. */
function summary(text: string | undefined, max = 100): string {
  const para = (text ?? '').trim().split(/\n\s*\n/)[0]!.replace(/\s+/g, ' ').trim();
  return para.length > max ? `${para.slice(0, max - 1).trimEnd()}…` : para;
}

function stepLabel(s: ProtoStep): string {
  const marks: string[] = [];
  if (s.needs.length > 1) marks.push(`needs ${s.needs.join(', ')}`);
  if (s.gate) marks.push(`gate ${s.gate.type}${s.gate.id ? ` ${s.gate.id}` : ''}${s.gate.timeout ? ` ${s.gate.timeout}` : ''}${s.gate.condition ? ` if ${s.gate.condition}` : ''}`);
  if (s.condition) marks.push(`if ${s.condition}`);
  if (s.loop_until) marks.push(`until ${s.loop_until.until} (max ${s.loop_until.max})`);
  if (s.parent) marks.push(`in ${s.parent}`);
  return `${s.id}  ${s.title}${marks.length > 0 ? `  [${marks.join('; ')}]` : ''}`;
}

/**
 * Steps as a dependency tree: each step hangs under the last (in order) of the steps it needs; a chain
 * stays at one level, a fork indents. Joins say what else they need.
 */
export function dependencyTree(steps: readonly ProtoStep[]): string[] {
  const position = new Map(steps.map((s, i) => [s.id, i]));
  const children = new Map<string, ProtoStep[]>();
  const roots: ProtoStep[] = [];
  for (const s of steps) {
    const parent = s.needs.reduce<string | undefined>((best, n) => (best === undefined || (position.get(n) ?? -1) > (position.get(best) ?? -1) ? n : best), undefined);
    if (parent === undefined || !position.has(parent)) roots.push(s);
    else {
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(s);
    }
  }
  const lines: string[] = [];
  const level = (nodes: ProtoStep[], prefix: string, top: boolean): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const single = top && nodes.length === 1;
      const first = prefix + (single ? '' : last ? '└─ ' : '├─ ');
      const rest = prefix + (single ? '' : last ? '   ' : '│  ');
      lines.push(first + stepLabel(node));
      let kids = children.get(node.id) ?? [];
      while (kids.length === 1) {
        lines.push(rest + stepLabel(kids[0]!));
        kids = children.get(kids[0]!.id) ?? [];
      }
      if (kids.length > 1) level(kids, rest, false);
    });
  };
  level(roots, '', true);
  return lines;
}

function varLines(proto: Protomolecule): string[] {
  const names = Object.keys(proto.vars);
  const width = names.reduce((w, n) => Math.max(w, n.length), 0);
  return names.map((name) => {
    const v = proto.vars[name]!;
    const facts: string[] = [];
    if (v.required) facts.push('required');
    if (v.required_unless) facts.push(`required unless ${v.required_unless.join(' or ')}`);
    if (v.default !== undefined) facts.push(`default ${JSON.stringify(v.default)}`);
    if (v.type) facts.push(v.type);
    if (v.enum) facts.push(`one of ${v.enum.join('|')}`);
    if (v.pattern) facts.push(`matches ${v.pattern}`);
    return `  ${name.padEnd(width)}  ${facts.join(', ')}${v.description ? `${facts.length > 0 ? '  ' : ''}${firstLine(v.description)}` : ''}`;
  });
}

export function registerFormula(program: Command): void {
  program
    .command('cook')
    .description('cook a formula into a protomolecule: extends, loops, advice, expansions and aspects resolved (with --var: variables bound and conditions decided)')
    .argument('<formula>', 'formula name (searched in .gt/formulas, the user folder, the built-ins) or path to a .formula.toml')
    .option('--var <name=value>', 'bind a variable (repeatable); any --var switches to bind mode: defaults applied, every variable checked', varList)
    .option('--json', 'print the protomolecule as JSON (2-space indent, stable bytes)')
    .action((formula: string, options: { var?: string[] }, command: Command) => {
      const vars = options.var !== undefined ? parseVarOptions(options.var) : undefined;
      const loaded = loadFormula(formula, { cwd: cwdOf(command) });
      checkVarNames(loaded, Object.keys(vars ?? {}));
      const proto = cookLoaded(loaded, vars);
      if (globalsOf(command).json) return printPretty(proto);
      const width = proto.steps.reduce((w, s) => Math.max(w, s.id.length), 0);
      process.stdout.write(terminalSafe(proto.steps.map((s) => `${s.id.padEnd(width)}  ${s.title}${s.needs.length > 0 ? `  ← ${s.needs.join(', ')}` : ''}\n`).join('')));
    });

  const formula = program.command('formula').description('formulas: TOML workflow templates (*.formula.toml) to cook, pour or run');

  formula
    .command('list')
    .description('every formula on the search path: the repository\'s .gt/formulas, then $GT_FORMULA_PATH (or ~/.config/gt/formulas), then the built-ins')
    .option('--json', 'print a JSON array: name, type, version, description, source, scope, shadows')
    .action((_options: unknown, command: Command) => {
      const dirs = searchDirs(cwdOf(command));
      const found = listFormulaFiles(dirs).map((f) => {
        try {
          const def = parseFormulaFile(f.file);
          return { name: f.name, type: inferType(def), version: def.version, description: summary(def.description), source: f.file, scope: f.scope, shadows: f.shadows };
        } catch (error) {
          if (!(error instanceof GtError)) throw error;
          return { name: f.name, source: f.file, scope: f.scope, shadows: f.shadows, error: error.message };
        }
      });
      if (globalsOf(command).json) return printPretty(found);
      if (found.length === 0) return printLine(`no formulas (looked in ${dirs.map((d) => d.dir).join(', ')})`);
      const width = found.reduce((w, f) => Math.max(w, f.name.length), 0);
      for (const f of found) {
        if ('error' in f) printLine(`${f.name.padEnd(width)}  ${'broken'.padEnd(9)}      ${f.scope.padEnd(7)}  ${f.error}`);
        else printLine(`${f.name.padEnd(width)}  ${f.type.padEnd(9)}  v${String(f.version).padEnd(3)}${f.scope.padEnd(7)}  ${f.description}`);
        for (const s of f.shadows) printLine(`${' '.repeat(width)}  shadows the ${s.scope} one: ${s.file}`);
      }
    });

  formula
    .command('show')
    .description('a formula cooked without binding: its variables (defaults, required, enum) and its steps as a dependency tree')
    .argument('<formula>', 'formula name or path to a .formula.toml')
    .option('--json', 'print the protomolecule with where it was found and what it shadows')
    .action((name: string, _options: unknown, command: Command) => {
      const cwd = cwdOf(command);
      const loaded = loadFormula(name, { cwd });
      const proto = cookLoaded(loaded, undefined);
      const shadows = listFormulaFiles(loaded.dirs).find((f) => f.file === loaded.def.file)?.shadows ?? [];
      if (globalsOf(command).json) return printPretty({ ...proto, scope: loaded.scope, shadows });
      printLine(`${proto.formula}: ${proto.type} formula, version ${proto.version}${proto.phase ? `, phase ${proto.phase}` : ''}`);
      printLine(`source: ${proto.source} (${loaded.scope})`);
      for (const s of shadows) printLine(`shadows: ${s.file} (${s.scope})`);
      if (proto.description) printLine(proto.description.trim());
      const vars = varLines(proto);
      if (vars.length > 0) {
        printLine();
        printLine('variables:');
        for (const line of vars) printLine(line);
      }
      if (proto.convoy) {
        printLine();
        printLine(`legs: ${proto.convoy.legs.map((l) => l.id).join(', ')}`);
        for (const [p, preset] of Object.entries(proto.convoy.presets)) printLine(`preset ${p}: ${preset.legs.join(', ')}${preset.description ? `  (${preset.description})` : ''}`);
      }
      const advice = proto.extras?.advice as { target: string; before: string[]; after: string[] }[] | undefined;
      if (advice && advice.length > 0) {
        printLine();
        printLine('advice:');
        for (const a of advice) printLine(`  ${a.target}: ${[...a.before.map((b) => `before ${b}`), ...a.after.map((b) => `after ${b}`)].join(', ')}`);
      }
      printLine();
      printLine(`steps (${proto.steps.length}):`);
      for (const line of dependencyTree(proto.steps)) printLine(`  ${line}`);
    });

  formula
    .command('run')
    .description('run a convoy formula: one bead per leg, a synthesis bead blocked by the legs, one convoy tracking them, in one commit')
    .argument('<formula>', 'convoy formula name or path')
    .option('--preset <name>', "run only the legs of this preset (see gt formula show)")
    .option('--var <name=value>', 'an input of the formula (repeatable)', varList)
    .option('--to <agent>', 'hook the legs on these agents round-robin, one leg per free agent (repeatable, or comma-separated); they are fed the rest', addressList('--to'))
    .option('--json', 'print the convoy, legs, synthesis and hooks as JSON')
    .action(async (name: string, options: { preset?: string; var?: string[]; to?: string[] }, command: Command) => {
      const vars = parseVarOptions(options.var);
      const loaded = loadFormula(name, { cwd: cwdOf(command) });
      const { type } = resolveLoaded(loaded);
      checkVarNames(loaded, Object.keys(vars));
      if (type !== 'convoy') {
        throw new UsageError(`'${loaded.def.name}' is a ${type} formula; gt formula run runs convoy formulas`, `pour it as a molecule instead: gt mol pour ${name}`);
      }
      const proto = cookLoaded(loaded, vars);
      const plan = planConvoyRun(proto, { vars, ...(options.preset !== undefined ? { preset: options.preset } : {}) });
      const agents = splitList(options.to);
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const r = runConvoyPlan(tx, plan, agents);
          const hooks = r.hooked.length > 0 ? `, hooked ${r.hooked.map((h) => `${h.bead} on ${h.agent}`).join(', ')}` : '';
          return { result: r, message: `formula run ${plan.formula}: ${r.convoy.id} with ${r.legs.length} legs${r.synthesis ? ` and synthesis ${r.synthesis.id}` : ''}${hooks}` };
        });
        if (globalsOf(command).json) return printPretty(result);
        printLine(`🚚 ${result.convoy.id}: ${result.convoy.title} with ${result.legs.length} legs${result.synthesis ? ' and a synthesis' : ''}`);
        for (const b of result.legs) printLine(`   ○ ${b.id}  ${b.title}`);
        if (result.synthesis) printLine(`   ◇ ${result.synthesis.id}  ${result.synthesis.title}  (blocked by the legs)`);
        for (const h of result.hooked) printLine(`   ⚓ ${h.bead} hooked on ${h.agent}`);
        for (const agent of result.busy) printLine(`   ${agent} is busy: it gets this convoy's legs when its hook is free`);
      });
    });
}
