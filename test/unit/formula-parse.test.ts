import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/repo.js';
import { cookFormula } from '../../src/formulas/cook.js';
import { FormulaError } from '../../src/formulas/formula-error.js';
import { parseFormulaText } from '../../src/formulas/parse.js';
import { buildLineIndex } from '../../src/formulas/source-index.js';

const root = makeTempDir('gt-formula-parse-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** Writes formulas into a fresh folder; returns the folder. */
function folder(files: Record<string, string>): string {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, `${name}.formula.toml`), text);
  return dir;
}

function cookError(files: Record<string, string>, name: string, vars?: Record<string, string>): FormulaError {
  const dir = folder(files);
  try {
    cookFormula(name, { cwd: dir, dirs: [{ dir, scope: 'dir' }], ...(vars ? { vars } : {}) });
  } catch (error) {
    expect(error).toBeInstanceOf(FormulaError);
    const e = error as FormulaError;
    expect(e.message.split('\n')).toHaveLength(1);
    return e;
  }
  throw new Error(`${name} cooked, but it should not`);
}

const STEPS = `formula = "f"
version = 1

[[steps]]
id = "a"
title = "A"

[[steps]]
id = "b"
title = "B"
needs = ["a"]
`;

describe('formula parsing: one clear error per problem, with file, line and key', () => {
  it('reports TOML syntax errors with the line the parser gives', () => {
    const e = cookError({ f: 'formula = "f"\nversion = 1\n[[steps]]\nid = "a"\ntitle = "unterminated\n' }, 'f');
    expect(e.file).toMatch(/f\.formula\.toml$/);
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/f\.formula\.toml:5: TOML syntax error/);
  });

  it('reports a duplicate TOML key as a syntax error', () => {
    const e = cookError({ f: 'formula = "f"\nformula = "g"\n' }, 'f');
    expect(e.line).toBe(2);
  });

  it.each([
    ['top level', 'formula = "f"\nversion = 1\nsteps_ = []\n', 3, 'steps_', /did you mean 'steps'/],
    ['vars', 'formula = "f"\n[vars.x]\ndescription = "d"\ndefualt = "1"\n', 4, 'vars.x.defualt', /did you mean 'default'/],
    ['steps', `${STEPS}titel = "oops"\n`, 12, 'steps[1].titel', /did you mean 'title'/],
    ['gate', `${STEPS}[steps.gate]\ntype = "human"\ntimeoutt = "1h"\n`, 14, 'steps[1].gate.timeoutt', /unknown key/],
    ['loop', 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\ncount = 2\nevery = 3\n[[steps.loop.body]]\nid = "x"\n', 6, 'steps[0].loop.every', /unknown key/],
    ['loop body', 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\ncount = 2\n[[steps.loop.body]]\nid = "x"\nwhat = 1\n', 8, 'steps[0].loop.body[0].what', /unknown key/],
    ['children', 'formula = "f"\n[[steps]]\nid = "p"\n[[steps.children]]\nid = "c"\nkid = true\n', 6, 'steps[0].children[0].kid', /unknown key/],
    ['compose.expand', 'formula = "f"\n[[compose.expand]]\ntarget = "a"\nwith = "x"\nwhere = "y"\n', 5, 'compose.expand[0].where', /unknown key/],
    ['compose', 'formula = "f"\n[compose]\naspect = ["a"]\n', 3, 'compose.aspect', /did you mean 'aspects'/],
    ['advice', 'formula = "f"\ntype = "aspect"\n[[advice]]\ntarget = "a"\nbefroe = {id = "x"}\n', 5, 'advice[0].befroe', /did you mean 'before'/],
    ['advice step', 'formula = "f"\ntype = "aspect"\n[[advice]]\ntarget = "a"\n[advice.before]\nid = "x"\nname = "y"\n', 7, 'advice[0].before.name', /unknown key/],
    ['pointcuts', 'formula = "f"\n[[pointcuts]]\nglob = "a"\npattern = "b"\n', 4, 'pointcuts[0].pattern', /unknown key/],
    ['template', 'formula = "f"\ntype = "expansion"\n[[template]]\nid = "{target}.x"\nbody = "y"\n', 5, 'template[0].body', /unknown key/],
    ['legs', 'formula = "f"\ntype = "convoy"\n[[legs]]\nid = "a"\nfocuss = "x"\n', 5, 'legs[0].focuss', /did you mean 'focus'/],
    ['synthesis', 'formula = "f"\ntype = "convoy"\n[[legs]]\nid = "a"\n[synthesis]\ntitle = "s"\nafter = ["a"]\n', 7, 'synthesis.after', /unknown key/],
    ['inputs', 'formula = "f"\n[inputs.pr]\ntype = "number"\noptional = true\n', 4, 'inputs.pr.optional', /unknown key/],
    ['presets', 'formula = "f"\n[presets.quick]\nlegs = ["a"]\nsteps = ["b"]\n', 4, 'presets.quick.steps', /unknown key/],
    ['output', 'formula = "f"\n[output]\ndirectory = "d"\nfile = "x"\n', 4, 'output.file', /unknown key/],
    ['squash', 'formula = "f"\n[squash]\ntrigger = "on_complete"\nwhen = "x"\n', 4, 'squash.when', /unknown key/],
    ['on_complete', 'formula = "f"\n[[steps]]\nid = "a"\n[steps.on_complete]\nbond = "x"\nthen = "y"\n', 6, 'steps[0].on_complete.then', /unknown key/],
  ])('rejects an unknown key in %s', (_where, text, line, key, message) => {
    const e = cookError({ f: text }, 'f');
    expect(e.key).toBe(key);
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`f.formula.toml:${line}: ${key}: `);
  });

  it('rejects values of the wrong type, naming the key', () => {
    expect(cookError({ f: `${STEPS}priority = "high"\n` }, 'f').message).toMatch(/:12: steps\[1\]\.priority: must be a whole number/);
    expect(cookError({ f: `${STEPS}priority = 9\n` }, 'f').message).toMatch(/steps\[1\]\.priority: must be between 0 and 4/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "a"\nneeds = "b"\n' }, 'f').message).toMatch(/:4: steps\[0\]\.needs: must be a list of strings/);
    expect(cookError({ f: 'formula = "f"\ntype = "pipeline"\n' }, 'f').message).toMatch(/:2: type: unknown formula type 'pipeline'/);
    expect(cookError({ f: 'formula = "f"\n[vars.n]\ntype = "float"\n' }, 'f').message).toMatch(/:3: vars\.n\.type: unknown variable type 'float'/);
    expect(cookError({ f: 'formula = "f"\n[vars.n]\npattern = "("\n' }, 'f').message).toMatch(/:3: vars\.n\.pattern: is not a valid regular expression/);
    expect(cookError({ f: 'version = 1\n' }, 'f').message).toMatch(/'formula' is missing/);
  });

  it('rejects a missing step id and duplicate step ids (children included)', () => {
    expect(cookError({ f: 'formula = "f"\n[[steps]]\ntitle = "x"\n' }, 'f').message).toMatch(/:2: steps\[0\]\.id: 'id' is missing/);
    const dup = cookError({ f: `${STEPS}\n[[steps]]\nid = "a"\ntitle = "again"\n` }, 'f');
    expect(dup.message).toMatch(/:14: steps\[2\]\.id: duplicate step id 'a' \(first at line 4\)/);
    const child = cookError({ f: 'formula = "f"\n[[steps]]\nid = "p"\n[[steps.children]]\nid = "p"\n' }, 'f');
    expect(child.message).toMatch(/steps\[0\]\.children\[0\]\.id: duplicate step id 'p'/);
  });

  it('rejects needs and depends_on naming a missing step, with a guess', () => {
    const e = cookError({ f: 'formula = "f"\n[[steps]]\nid = "design"\n[[steps]]\nid = "build"\nneeds = ["desgin"]\n' }, 'f');
    expect(e.message).toBe(`${e.file}:6: steps[1].needs: step 'build' needs 'desgin', which is not a step (did you mean 'design'?)`);
    const d = cookError({ f: 'formula = "f"\n[[steps]]\nid = "a"\n[[steps]]\nid = "b"\ndepends_on = ["zzz"]\n' }, 'f');
    expect(d.message).toMatch(/:6: steps\[1\]\.depends_on: step 'b' needs 'zzz'/);
  });

  it('names a dependency cycle', () => {
    const e = cookError({ f: 'formula = "f"\n[[steps]]\nid = "a"\nneeds = ["c"]\n[[steps]]\nid = "b"\nneeds = ["a"]\n[[steps]]\nid = "c"\nneeds = ["b"]\n[[steps]]\nid = "d"\n' }, 'f');
    expect(e.message).toMatch(/dependency cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
    expect(e.key).toMatch(/^steps\[\d\]\.needs$/);
    expect(e.line).toBeDefined();
    const self = cookError({ f: 'formula = "f"\n[[steps]]\nid = "a"\nneeds = ["a"]\n' }, 'f');
    expect(self.message).toMatch(/:4: steps\[0\]\.needs: step 'a' needs itself/);
  });

  it('names an extends cycle', () => {
    const e = cookError({ a: 'formula = "a"\nextends = ["b"]\n', b: 'formula = "b"\nextends = ["c"]\n', c: 'formula = "c"\nextends = ["a"]\n' }, 'a');
    expect(e.message).toMatch(/extends cycle: a → b → c → a|extends cycle: b → c → a → b|extends cycle: c → a → b → c/);
    expect(e.message).toMatch(/\.formula\.toml:2: extends\[0\]: /);
  });

  it('names formulas that cannot be found', () => {
    expect(cookError({ f: 'formula = "f"\nextends = ["nope"]\n' }, 'f').message).toMatch(/:2: extends\[0\]: extends 'nope', but no formula of that name was found/);
    expect(cookError({ f: `${STEPS}\n[[compose.expand]]\ntarget = "a"\nwith = "nothing"\n` }, 'f').message).toMatch(/:15: compose\.expand\[0\]\.with: no expansion formula named 'nothing'/);
    expect(cookError({ f: `${STEPS}\n[[compose.expand]]\ntarget = "x"\nwith = "nothing"\n` }, 'f').message).toMatch(/:14: compose\.expand\[0\]\.target: expand target 'x' is not a step/);
    expect(cookError({ f: `${STEPS}\n[compose]\naspects = ["f"]\n` }, 'f').message).toMatch(/compose\.aspects\[0\]: 'f' is a workflow formula, not an aspect/);
  });

  it('checks variables when binding: required, enum, pattern, type', () => {
    const vars = `formula = "f"
[vars.name]
required = true
[vars.level]
default = "low"
enum = ["low", "high"]
[vars.version]
default = "1.0.0"
pattern = "^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$"
[vars.count]
default = "3"
type = "int"
[vars.dry]
default = "false"
type = "bool"
[[steps]]
id = "a"
title = "{{name}} {{level}}"
`;
    const missing = cookError({ f: vars }, 'f', {});
    expect(missing.message).toMatch(/f\.formula\.toml:2: vars\.name: missing required variable 'name'/);
    expect(missing.hint).toMatch(/--var name=/);
    expect(cookError({ f: vars }, 'f', { name: 'x', level: 'mid' }).message).toMatch(/:4: vars\.level: variable 'level' is 'mid', which is not one of: low, high/);
    expect(cookError({ f: vars }, 'f', { name: 'x', version: '1.0' }).message).toMatch(/:7: vars\.version: variable 'version' is '1\.0', which does not match the pattern/);
    expect(cookError({ f: vars }, 'f', { name: 'x', count: 'three' }).message).toMatch(/:10: vars\.count: variable 'count' must be a whole number \(type int\), not 'three'/);
    expect(cookError({ f: vars }, 'f', { name: 'x', dry: 'maybe' }).message).toMatch(/:13: vars\.dry: variable 'dry' must be true or false/);
    // Compile mode checks nothing and leaves the placeholders.
    const dir = folder({ f: vars });
    const proto = cookFormula('f', { cwd: dir, dirs: [{ dir, scope: 'dir' }] });
    expect(proto.steps[0]!.title).toBe('{{name}} {{level}}');
  });

  it('checks a default that breaks its own rules', () => {
    expect(cookError({ f: 'formula = "f"\n[vars.n]\ndefault = "x"\ntype = "int"\n' }, 'f', {}).message).toMatch(/vars\.n: variable 'n' must be a whole number .* \(its default\)/);
  });

  it('checks loops, gates and ranges', () => {
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\n[[steps.loop.body]]\nid = "x"\n' }, 'f').message).toMatch(/:4: steps\[0\]\.loop: a loop needs one of count, range or until/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\nuntil = "x"\n[[steps.loop.body]]\nid = "x"\n' }, 'f').message).toMatch(/steps\[0\]\.loop\.max: an 'until' loop needs 'max'/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\ncount = 2\n' }, 'f').message).toMatch(/steps\[0\]\.loop\.body: a loop needs a body/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\nrange = "1..{n}"\n[[steps.loop.body]]\nid = "x"\n' }, 'f').message).toMatch(/:5: steps\[0\]\.loop\.range: the range '1\.\.\{n\}' uses \{n\}, which has no value/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "l"\n[steps.loop]\nrange = "1..2^"\n[[steps.loop.body]]\nid = "x"\n' }, 'f').message).toMatch(/steps\[0\]\.loop\.range: bad range/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "g"\n[steps.gate]\ntype = "timer"\ntimeout = "soon"\n' }, 'f').message).toMatch(/:6: steps\[0\]\.gate\.timeout: 'soon' is not a duration/);
    expect(cookError({ f: 'formula = "f"\n[[steps]]\nid = "g"\n[steps.gate]\nid = "x"\n' }, 'f').message).toMatch(/:4: steps\[0\]\.gate\.type: 'type' is missing/);
  });

  it('checks expansions, aspects and convoys for their essential parts', () => {
    expect(cookError({ f: 'formula = "f"\ntype = "expansion"\n' }, 'f').message).toMatch(/template: an expansion formula needs \[\[template\]\] steps/);
    expect(cookError({ f: 'formula = "f"\ntype = "aspect"\n' }, 'f').message).toMatch(/advice: an aspect formula needs \[\[advice\]\]/);
    expect(cookError({ f: 'formula = "f"\ntype = "convoy"\n[[legs]]\nid = "a"\n[presets.p]\nlegs = ["b"]\n' }, 'f').message).toMatch(/:6: presets\.p\.legs\[0\]: preset 'p' names leg 'b', which is not a leg/);
    expect(cookError({ f: 'formula = "f"\ntype = "convoy"\n[[legs]]\nid = "a"\n[[legs]]\nid = "a"\n' }, 'f').message).toMatch(/:6: legs\[1\]\.id: duplicate leg id 'a'/);
  });
});

describe('finding lines for key paths', () => {
  it('follows arrays of tables, nested tables, and skips multi-line strings and arrays', () => {
    const text = [
      'formula = "x"', // 1
      'description = """', // 2
      'id = "not a key"', // 3
      '[[steps]] is text here', // 4
      '"""', // 5
      '[[steps]]', // 6
      'id = "a"', // 7
      'needs = [', // 8
      '  "b = c",', // 9
      ']', // 10
      '[steps.gate]', // 11
      'type = "human"', // 12
      '[[steps]]', // 13
      'id = "b"', // 14
      '[[steps.children]]', // 15
      'id = "c"', // 16
      '[vars.n]', // 17
      'default = "1"', // 18
      "'quoted.key' = 1", // 19
    ].join('\n');
    const lineOf = buildLineIndex(text);
    expect(lineOf('description')).toBe(2);
    expect(lineOf('steps[0]')).toBe(6);
    expect(lineOf('steps[0].needs')).toBe(8);
    expect(lineOf('steps[0].gate.type')).toBe(12);
    expect(lineOf('steps[1].id')).toBe(14);
    expect(lineOf('steps[1].children[0].id')).toBe(16);
    expect(lineOf('steps[1].title')).toBe(13);
    expect(lineOf('vars.n.default')).toBe(18);
    expect(lineOf('vars.n.quoted.key')).toBe(19);
    expect(lineOf('nothing')).toBeUndefined();
  });

  it('parses every part of a formula into its checked form', () => {
    const def = parseFormulaText('formula = "x"\n[[steps]]\nid = "a"\nneeds = ["b"]\ndepends_on = ["c", "b"]\n[[steps]]\nid = "b"\n[[steps]]\nid = "c"\n', '/x.formula.toml');
    expect(def.steps[0]!.needs).toEqual(['b', 'c']);
    expect(def.version).toBe(1);
  });
});
