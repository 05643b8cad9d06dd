/**
 * Formulas that cannot hang gt or eat the machine: catastrophic variable patterns run on a
 * linear-time engine, and loops or expansions past the step limit are refused before anything is built.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/repo.js';
import { cookFormula } from '../../src/formulas/cook.js';
import { FormulaError } from '../../src/formulas/formula-error.js';
import type { Protomolecule } from '../../src/formulas/protomolecule.js';

const root = makeTempDir('gt-formula-limits-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

function cook(files: Record<string, string>, name: string, vars?: Record<string, string>): Protomolecule | FormulaError {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, `${file}.formula.toml`), text);
  try {
    return cookFormula(name, { cwd: dir, dirs: [{ dir, scope: 'dir' }], ...(vars ? { vars } : {}) });
  } catch (error) {
    if (error instanceof FormulaError) return error;
    throw error;
  }
}

function cookError(files: Record<string, string>, name: string, vars?: Record<string, string>): FormulaError {
  const result = cook(files, name, vars);
  if (!(result instanceof FormulaError)) throw new Error(`${name} cooked, but it should not`);
  expect(result.message.split('\n')).toHaveLength(1);
  return result;
}

describe('variable patterns', () => {
  const withPattern = (pattern: string): string => `formula = "f"\n[vars.s]\npattern = ${JSON.stringify(pattern)}\n[[steps]]\nid = "a"\ntitle = "{{s}}"\n`;

  it('match in linear time: (a+)+$ against 40 a and an X is refused at once, not after ages', () => {
    const e = cookError({ f: withPattern('(a+)+$') }, 'f', { s: `${'a'.repeat(40)}X` });
    expect(e.message).toMatch(/:2: vars\.s: variable 's' is 'a{40}X', which does not match the pattern \(a\+\)\+\$/);
    const ok = cook({ f: withPattern('(a+)+$') }, 'f', { s: 'aaaa' });
    expect(ok).not.toBeInstanceOf(FormulaError);
  });

  it('keep RegExp.test semantics: unanchored unless anchored', () => {
    expect(cook({ f: withPattern('\\d') }, 'f', { s: 'v1' })).not.toBeInstanceOf(FormulaError);
    expect(cookError({ f: withPattern('^\\d+$') }, 'f', { s: 'v1' }).message).toMatch(/does not match the pattern/);
  });

  it('refuses, when the formula is loaded, what RE2 cannot match in linear time', () => {
    for (const pattern of ['(a)\\1', 'a(?=b)', '(?<!x)y']) {
      const e = cookError({ f: withPattern(pattern) }, 'f');
      expect(e.message).toMatch(/f\.formula\.toml:3: vars\.s\.pattern: is not a valid regular expression for RE2/);
      expect(e.key).toBe('vars.s.pattern');
      expect(e.line).toBe(3);
    }
  });
});

describe('the step limit', () => {
  const loop = (spec: string, body = '[[steps.loop.body]]\nid = "b"\ntitle = "B"\n'): string =>
    `formula = "big"\n[[steps]]\nid = "l"\ntitle = "L"\n[steps.loop]\n${spec}\n${body}`;

  it('refuses a loop count past the limit before building it, naming formula, key and limit', () => {
    const e = cookError({ big: loop('count = 100000000') }, 'big');
    expect(e.message).toMatch(/big\.formula\.toml:6: steps\[0\]\.loop\.count: formula 'big': the loop 'l' \(100,000,000 iterations of 1 step\) would make 100,000,000 steps, more than the limit of 100,000/);
  });

  it('counts nested loops and children: 1,000 × 1,000 is refused', () => {
    const nested = '[[steps.loop.body]]\nid = "inner"\ntitle = "I"\n[steps.loop.body.loop]\ncount = 1000\n[[steps.loop.body.loop.body]]\nid = "x"\ntitle = "X"\n';
    const e = cookError({ big: loop('count = 1000', nested) }, 'big');
    expect(e.message).toMatch(/steps\[0\]\.loop\.count: formula 'big': the loop 'l' \(1,000 iterations of 1,000 steps\) would make 1,000,000 steps/);
    const kids = '[[steps.loop.body]]\nid = "p"\ntitle = "P"\n[[steps.loop.body.children]]\nid = "c1"\n[[steps.loop.body.children]]\nid = "c2"\n';
    expect(cookError({ big: loop('count = 40000', kids) }, 'big').message).toMatch(/40,000 iterations of 3 steps\) would make 120,000 steps/);
  });

  it('refuses a range past the limit, and still cooks one just under it', () => {
    expect(cookError({ big: loop('range = "1..2^{n}"\nvar = "i"') }, 'big', { n: '40' }).message).toMatch(/steps\[0\]\.loop\.range: formula 'big': the loop 'l'.* more than the limit of 100,000/);
    const fine = cook({ big: loop('range = "1..{n}"\nvar = "i"', '[[steps.loop.body]]\nid = "b"\ntitle = "B {i}"\n') }, 'big', { n: '1000' });
    expect(fine).not.toBeInstanceOf(FormulaError);
    expect((fine as Protomolecule).steps).toHaveLength(1000);
  });

  it('refuses expansions × targets past the limit', () => {
    const wide = `formula = "wide"\ntype = "expansion"\n[[template]]\nid = "{target}.s"\ntitle = "S"\n[template.loop]\ncount = 2000\n[[template.loop.body]]\nid = "w"\ntitle = "W"\n`;
    const steps = Array.from({ length: 60 }, (_, i) => `[[steps]]\nid = "t${i}"\ntitle = "T${i}"\n`).join('');
    const mapped = `formula = "many"\n${steps}[[compose.map]]\nselect = "t*"\nwith = "wide"\n`;
    const e = cookError({ wide, many: mapped }, 'many');
    expect(e.message).toMatch(/many\.formula\.toml:\d+: compose\.map\[0\]\.with: formula 'many': mapping 'wide' over 't\*' \(60 targets × 2,000 steps\) would make 120,000 steps, more than the limit of 100,000/);
    const inline = `formula = "many"\n${steps.replace(/title = "T(\d+)"\n/g, 'title = "T$1"\nexpand = "wide"\n')}`;
    expect(cookError({ wide, many: inline }, 'many').message).toMatch(/formula 'many': inline expansions \(60 targets × 2,000 steps\) would make 120,000 steps/);
  });
});
