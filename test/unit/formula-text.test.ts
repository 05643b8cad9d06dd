import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { evaluateCondition, evaluateExpression, evaluateRange, matchGlob, substituteBraces, substituteVars } from '../../src/formulas/text.js';
import { renderTemplate } from '../../src/formulas/go-template.js';
import { cookFormula } from '../../src/formulas/cook.js';
import { planConvoyRun } from '../../src/work/convoy-run.js';
import { compatCheck, dummyValue } from '../../src/formulas/compat.js';
import type { VarDef } from '../../src/formulas/formula-types.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/formulas');

describe('range expressions', () => {
  it.each([
    ['1', 1],
    ['2^3', 8],
    ['2^3-1', 7],
    ['2^3^2', 512],
    ['(1+2)*3', 9],
    ['10/3', 3],
    ['-2+5', 3],
    ['2*3+4*5', 26],
    [' 2 ^ (1 + 1) ', 4],
  ])('%s = %d', (text, value) => {
    expect(evaluateExpression(text)).toBe(value);
  });

  it('refuses what is not arithmetic', () => {
    expect(() => evaluateExpression('2^')).toThrow(/expected a number/);
    expect(() => evaluateExpression('1/0')).toThrow(/division by zero/);
    expect(() => evaluateExpression('2 3')).toThrow(/unexpected text/);
    expect(() => evaluateExpression('(1')).toThrow(/expected '\)'/);
  });

  it('reads ranges with both ends included', () => {
    expect(evaluateRange('1..2^4-1')).toEqual({ start: 1, end: 15 });
    expect(() => evaluateRange('1-5')).toThrow(/not a range/);
  });
});

describe('placeholders, globs and conditions', () => {
  it('fills {{vars}} and leaves unknown ones', () => {
    expect(substituteVars('{{a}} and {{b}} and {{ c }}', new Map([['a', '1']]))).toBe('1 and {{b}} and {{ c }}');
  });

  it('fills single braces but not {{vars}}', () => {
    expect(substituteBraces('{target}.x {{target}} {step.id}', new Map([['target', 't'], ['step.id', 's']]))).toBe('t.x {{target}} s');
  });

  it('matches step globs', () => {
    expect(matchGlob('implement', 'implement')).toBe(true);
    expect(matchGlob('*.implement', 'a.b.implement')).toBe(true);
    expect(matchGlob('shiny.*', 'shiny.x.y')).toBe(true);
    expect(matchGlob('*', 'anything')).toBe(true);
    expect(matchGlob('step-?', 'step-1')).toBe(true);
    expect(matchGlob('step-[ab]', 'step-c')).toBe(false);
    expect(matchGlob('impl', 'implement')).toBe(false);
  });

  it('decides cook-time conditions and leaves runtime ones undecided', () => {
    const v = new Map([['on', 'yes'], ['off', 'false'], ['mode', 'fast']]);
    expect(evaluateCondition('{{on}}', v)).toEqual({ decided: true, value: true });
    expect(evaluateCondition('{{off}}', v)).toEqual({ decided: true, value: false });
    expect(evaluateCondition('{{missing}}', v)).toEqual({ decided: true, value: false });
    expect(evaluateCondition('!{{off}}', v)).toEqual({ decided: true, value: true });
    expect(evaluateCondition('{{mode}} == fast', v)).toEqual({ decided: true, value: true });
    expect(evaluateCondition('{{mode}} == "slow"', v)).toEqual({ decided: true, value: false });
    expect(evaluateCondition("{{mode}} != 'slow'", v)).toEqual({ decided: true, value: true });
    expect(evaluateCondition("step.status == 'complete'", v)).toEqual({ decided: false });
  });
});

describe('convoy prompts', () => {
  it('render Go-style fields, if/else, range and trims; unknown fields stay as written', () => {
    const data = { name: 'x', leg: { id: 'l1' }, list: ['a', 'b'], empty: '' };
    expect(renderTemplate('{{.name}}/{{.leg.id}} {{.nope}}', data)).toBe('x/l1 {{.nope}}');
    expect(renderTemplate('{{if .name}}yes{{else}}no{{end}} {{if .empty}}yes{{else}}no{{end}}', data)).toBe('yes no');
    expect(renderTemplate('{{range .list -}}\n- {{.}}\n{{end}}', data)).toBe('- a\n- b\n');
    expect(renderTemplate('a   {{- .name -}}   b', data)).toBe('axb');
    expect(renderTemplate('{{if .name}}unclosed', data)).toBe('{{if .name}}unclosed');
    expect(renderTemplate('{{printf "%s" .name}}', data)).toBe('{{printf "%s" .name}}');
  });

  it('plan one bead per leg (or per preset leg) and a synthesis after them', () => {
    const proto = cookFormula('review-legs', { cwd: FIXTURES, dirs: [{ dir: FIXTURES, scope: 'dir' }], vars: { subject: 'the login page' } });
    const plan = planConvoyRun(proto, { vars: { subject: 'the login page' } });
    expect(plan.legs.map((l) => l.title)).toEqual(['Logic review', 'Safety review', 'Speed review']);
    expect(plan.legs[0]!.description).toBe('Review the login page (normal) for review-legs.\nFocus: correctness\nCheck the logic.\nWrite to reviews/review-legs/logic.md. Ticket {{.ticket_id}}.');
    expect(plan.synthesis).toEqual({ key: 'synthesis', title: 'Merge the reviews', description: 'Merge what is in reviews/review-legs into all.md.', after: ['logic', 'safety', 'speed'] });
    const quick = planConvoyRun(proto, { vars: { subject: 's' }, preset: 'quick' });
    expect(quick.legs.map((l) => l.key)).toEqual(['logic', 'safety']);
    expect(quick.synthesis!.after).toEqual(['logic', 'safety']);
    expect(() => planConvoyRun(proto, { vars: {}, preset: 'slow' })).toThrow(/has no preset 'slow'/);
    const flow = cookFormula('flow', { cwd: FIXTURES, dirs: [{ dir: FIXTURES, scope: 'dir' }] });
    expect(() => planConvoyRun(flow, { vars: {} })).toThrow(/is a workflow formula, not a convoy formula/);
  });
});

describe('compat', () => {
  it('makes up values that satisfy enum, pattern and type', () => {
    const origin = { file: 'x', path: 'vars.v' };
    const spec = (s: Partial<VarDef>): VarDef => ({ origin, required: true, ...s });
    expect(dummyValue('v', spec({}))).toBe('example');
    expect(dummyValue('v', spec({ enum: ['b', 'c'] }))).toBe('b');
    expect(dummyValue('v', spec({ type: 'int' }))).toBe('1');
    expect(dummyValue('v', spec({ type: 'bool' }))).toBe('true');
    expect(dummyValue('v', spec({ pattern: '^\\d+\\.\\d+\\.\\d+$' }))).toBe('1.0.0');
    expect(dummyValue('v', spec({ pattern: '^[A-Za-z]+/[a-z]+$' }))).toBe('owner/name');
  });

  it('cooks every fixture', () => {
    const lines = compatCheck(FIXTURES);
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(lines.find((l) => l.file.endsWith('hanoi.formula.toml'))!.steps).toBe(9);
  });
});
