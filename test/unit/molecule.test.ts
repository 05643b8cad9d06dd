import { describe, expect, it } from 'vitest';
import { decodeMolecule, encodeMolecule, isWispId, type Molecule } from '../../src/molecules/molecule.js';
import { moleculeFromProto, parseVars } from '../../src/molecules/pour.js';
import { LedgerFileError, GtError } from '../../src/errors.js';
import { digestOf } from '../../src/molecules/molecule-service.js';
import { finishStep } from '../../src/molecules/step-ops.js';
import { at, chain, pour, proto, shiny, step, T0 } from './molecule-fixtures.js';
import { thrownBy } from '../helpers/fixtures.js';

const PATH = 'molecules/gt-mol-test.yaml';

const fileError = (text: string, path = PATH): LedgerFileError => thrownBy(LedgerFileError, () => decodeMolecule(text, path));

describe('molecule files', () => {
  it('are canonical: key order fixed, steps in order, what was read writes back to the same bytes', () => {
    const m = pour(
      proto([step('design'), step('approve', ['design'], { gate: { type: 'human', id: 'sign-off' }, type: 'gate', acceptance: 'Signed' })], {
        vars: { feature: { default: 'x' }, issue: { required: true } },
      }),
      { bead: { id: 'gt-abc', title: 'Login' }, assignee: 'ann', vars: { issue: 'gt-abc', feature: 'Login: form' } },
    );
    const text = encodeMolecule(m);
    expect(text).toBe(
      [
        'id: gt-mol-test',
        'title: "test-flow: Login"',
        'formula: test-flow',
        'formula_version: 1',
        'status: active',
        'bead: gt-abc',
        'assignee: ann',
        'vars:',
        '  feature: "Login: form"',
        '  issue: gt-abc',
        `created_at: "${T0}"`,
        'created_by: overseer',
        `updated_at: "${T0}"`,
        'steps:',
        '  - id: design',
        '    title: Do design',
        '    status: pending',
        '    description: How to do design.',
        '  - id: approve',
        '    title: Do approve',
        '    type: gate',
        '    needs:',
        '      - design',
        '    status: pending',
        '    gate:',
        '      type: human',
        '      id: sign-off',
        '    description: How to do approve.',
        '    acceptance: Signed',
        '',
      ].join('\n'),
    );
    const back = decodeMolecule(text, PATH);
    expect(back).toEqual(m);
    expect(encodeMolecule(back)).toBe(text);
    // After a step is done, only that step's lines (and updated_at) change.
    const next = finishStep(m, 'design', { actor: 'ann', now: at(1) }).molecule;
    expect(encodeMolecule(next)).toBe(
      text
        .replace(`updated_at: "${T0}"`, `updated_at: "${at(1)}"`)
        .replace('    title: Do design\n    status: pending\n', `    title: Do design\n    status: done\n    assignee: ann\n    started_at: "${at(1)}"\n    done_at: "${at(1)}"\n`),
    );
  });

  it('are validated at the edge: path, line and what is wrong', () => {
    const good = encodeMolecule(pour(shiny()));
    const lines = good.split('\n');
    const line = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix)) + 1;
    let e = fileError(good.replace('status: active', 'status: paused'));
    expect(e.message).toBe(`${PATH}:${line('status:')}: status must be one of active, done, not 'paused'`);
    e = fileError(good.replace('  - id: review\n    title: Review\n'.replace('Review', 'Do review'), '  - id: review\n    title: Do review\n    colour: red\n'));
    expect(e.message).toBe(`${PATH}:${line('  - id: review') + 2}: unknown field 'colour' in a step`);
    e = fileError(good.replace('      - design', '      - desing'));
    expect(e.problem).toBe("step implement needs 'desing', which is not a step of this molecule");
    expect(e.line).toBe(line('  - id: implement') + 2);
    e = fileError(good.replace('  - id: test', '  - id: review'));
    expect(e.problem).toBe("step id 'review' is used twice");
    e = fileError(good.replace('id: gt-mol-test', 'id: gt-mol-other'));
    expect(e.message).toBe(`${PATH}:1: id 'gt-mol-other' does not match the file name (expected 'gt-mol-test')`);
    e = fileError('id: [unclosed\n');
    expect(e.message).toMatch(new RegExp(`^${PATH}:\\d+: invalid YAML`));
    e = fileError(good.replace('    status: pending\n    description: How to do design.', '    status: pending\n    gate:\n      type: timer\n      timeout: soon\n    description: How to do design.'));
    expect(e.problem).toBe("timeout 'soon' is not a duration like 30s, 30m, 2h or 1d");
  });

  it('refuse parent cycles', () => {
    const m = pour(proto([step('a', [], { parent: 'b' }), step('b', [], { parent: 'a' })]));
    expect(() => encodeMolecule(m)).toThrow(/inside itself/);
  });

  it('tell wisps by their id', () => {
    expect(isWispId('gt-wisp-4f2a')).toBe(true);
    expect(isWispId('gt-mol-4f2a')).toBe(false);
  });
});

describe('pouring a protomolecule', () => {
  it('keeps every step, not started, and records the bound variables with their defaults', () => {
    const m = moleculeFromProto(
      proto([step('a'), step('b', ['a'], { type: 'task', parent: undefined }), step('c', ['a', 'b'], { type: 'human', gate: { type: 'human' } })], {
        vars: { feature: { required: true }, mode: { default: 'fast' } },
      }),
      { id: 'gt-mol-x', vars: { feature: 'Login' }, now: T0, actor: 'ann', assignee: 'ann' },
    );
    expect(m.vars).toEqual({ feature: 'Login', mode: 'fast' });
    expect(m.steps.map((s) => [s.id, s.status, s.type, s.needs])).toEqual([
      ['a', 'pending', undefined, undefined],
      ['b', 'pending', undefined, ['a']],
      ['c', 'pending', 'human', ['a', 'b']],
    ]);
    expect(m).toMatchObject({ status: 'active', title: 'test-flow', assignee: 'ann', created_by: 'ann', formula_version: 1 });
  });

  it('refuses what cannot pour: other formula types, no steps', () => {
    const input = { id: 'gt-mol-x', vars: {}, now: T0, actor: 'ann' };
    expect(() => moleculeFromProto(proto([step('a')], { type: 'convoy' }), input)).toThrow(/convoy formula, not a workflow/);
    expect(() => moleculeFromProto(proto([]), input)).toThrow(/has no steps/);
  });

  it('reads --var pairs', () => {
    expect(parseVars(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseVars(['novalue'])).toThrow(GtError);
    expect(() => parseVars(['1x=2'])).toThrow(/--var takes name=value/);
  });
});

describe('digests', () => {
  it('list the steps as they ended, or give the summary', () => {
    let m: Molecule = pour(chain(3), { bead: { id: 'gt-b1', title: 'Work' } });
    m = finishStep(m, 's1', { actor: 'ann', now: at(1) }).molecule;
    m = finishStep(m, 's2', { actor: 'ann', now: at(2) }, { skip: true }).molecule;
    const d = digestOf(m);
    expect(d.title).toBe('Digest: test-flow: Work');
    expect(d.description).toBe(
      ['Molecule gt-mol-test from formula test-flow v1: 2/3 steps finished.', 'Worked on gt-b1.', '', '✓ s1: Do s1 (ann)', '⊖ s2: Do s2 (ann)', '○ s3: Do s3 [ready]'].join('\n'),
    );
    expect(digestOf(m, 'Shipped it.').description.split('\n').slice(-1)).toEqual(['Shipped it.']);
  });
});
