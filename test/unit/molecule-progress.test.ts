import { describe, expect, it } from 'vitest';
import { progressOf, currentStep, type StepState } from '../../src/molecules/progress.js';
import type { Molecule, MoleculeStep } from '../../src/molecules/molecule.js';
import { parseDuration, formatDuration } from '../../src/molecules/duration.js';
import { at, chain, ms, pour, proto, shiny, step } from './molecule-fixtures.js';

function states(m: Molecule, now = ms(1000)): Record<string, StepState> {
  return Object.fromEntries(progressOf(m, now).steps.map((p) => [p.step.id, p.state]));
}

function set(m: Molecule, id: string, change: Partial<MoleculeStep>): Molecule {
  return { ...m, steps: m.steps.map((s) => (s.id === id ? { ...s, ...change } : s)) };
}

const done = (m: Molecule, id: string, minute = 1): Molecule => set(m, id, { status: 'done', assignee: 'ann', started_at: at(minute), done_at: at(minute) });

describe('readiness, computed on read', () => {
  it('makes a step ready once every step it needs is finished', () => {
    let m = pour(shiny());
    expect(states(m)).toEqual({ design: 'ready', implement: 'pending', review: 'pending', test: 'pending', submit: 'pending' });
    m = done(m, 'design');
    m = done(m, 'implement');
    expect(states(m)).toMatchObject({ review: 'ready', test: 'ready', submit: 'pending' });
    expect(progressOf(m, ms(1000)).byId.get('submit')!.waiting_on).toEqual(['review', 'test']);
    m = set(m, 'review', { status: 'skipped', done_at: at(2) });
    expect(progressOf(m, ms(1000)).byId.get('submit')!.waiting_on).toEqual(['test']);
    m = done(m, 'test', 3);
    expect(states(m).submit).toBe('ready');
    const p = progressOf(done(m, 'submit', 4));
    expect(p).toMatchObject({ finished: 5, total: 5, complete: true });
  });

  it('does not let a clock a little behind the finisher\'s hold a step back (only timers read the clock)', () => {
    const m = done(pour(shiny()), 'design', 10);
    expect(states(m, ms(5)).implement).toBe('ready');
  });

  it('treats a stored `ready` like pending: readiness comes from the needs', () => {
    const m = set(pour(shiny()), 'submit', { status: 'ready' });
    expect(states(m).submit).toBe('pending');
  });

  it('holds a gated step until its gate is resolved, even with its needs done', () => {
    let m = pour(proto([step('build'), step('approve', ['build'], { gate: { type: 'human' } }), step('ship', ['approve'])]));
    m = done(m, 'build');
    let p = progressOf(m).byId.get('approve')!;
    expect(p.state).toBe('pending');
    expect(p.waiting_on).toBeUndefined();
    expect(p.gate).toEqual({ type: 'human', open: false });
    m = set(m, 'approve', { gate: { type: 'human', resolved_at: at(5), resolved_by: 'overseer' } });
    p = progressOf(m, ms(6)).byId.get('approve')!;
    expect(p.state).toBe('ready');
    expect(p.gate).toMatchObject({ open: true, opens_at: at(5), resolved_by: 'overseer' });
  });

  it('a gate resolved before the needs are done opens when they are', () => {
    let m = pour(proto([step('build'), step('approve', ['build'], { gate: { type: 'human' } })]));
    m = set(m, 'approve', { gate: { type: 'human', resolved_at: at(1) } });
    expect(states(m, ms(2)).approve).toBe('pending');
    m = done(m, 'build', 3);
    expect(states(m, ms(4)).approve).toBe('ready');
    expect(progressOf(m, ms(4)).byId.get('approve')!.gate!.opens_at).toBe(at(3));
  });

  it('opens a timer gate `timeout` after the needs were all done, evaluated against the clock', () => {
    let m = pour(proto([step('deploy'), step('soak', ['deploy'], { gate: { type: 'timer', timeout: '30m' } }), step('verify', ['soak'])]));
    // Needs not done: the timer has not started.
    expect(progressOf(m, ms(100)).byId.get('soak')!.gate).toEqual({ type: 'timer', open: false });
    m = done(m, 'deploy', 10);
    const before = progressOf(m, ms(39)).byId.get('soak')!;
    expect(before.state).toBe('pending');
    expect(before.gate).toMatchObject({ open: false, opens_at: at(40) });
    expect(states(m, ms(40)).soak).toBe('ready');
    // A step with no needs counts its timer from the molecule's creation.
    const alone = pour(proto([step('wait', [], { gate: { type: 'timer', timeout: '1h' } })]));
    expect(states(alone, ms(59)).wait).toBe('pending');
    expect(states(alone, ms(60)).wait).toBe('ready');
    // Resolving a timer early opens it then.
    const early = set(m, 'soak', { gate: { type: 'timer', timeout: '30m', resolved_at: at(15) } });
    expect(states(early, ms(16)).soak).toBe('ready');
  });

  it('completes a container with its children, and holds its children until it can start', () => {
    let m = pour(
      proto([
        step('plan'),
        step('build', ['plan']),
        step('build.ui', [], { parent: 'build' }),
        step('build.api', [], { parent: 'build' }),
        step('build.api.tests', ['build.api'], { parent: 'build' }),
        step('ship', ['build']),
      ]),
    );
    expect(states(m)).toEqual({ plan: 'ready', build: 'pending', 'build.ui': 'pending', 'build.api': 'pending', 'build.api.tests': 'pending', ship: 'pending' });
    expect(progressOf(m).byId.get('build.ui')!.waiting_on).toEqual(['build']);
    expect(progressOf(m)).toMatchObject({ total: 5 });
    m = done(m, 'plan');
    expect(states(m)).toMatchObject({ build: 'ready', 'build.ui': 'ready', 'build.api': 'ready', 'build.api.tests': 'pending' });
    m = set(m, 'build.ui', { status: 'in_progress', assignee: 'ann', started_at: at(2) });
    expect(states(m).build).toBe('in_progress');
    m = done(done(done(m, 'build.ui', 3), 'build.api', 4), 'build.api.tests', 5);
    expect(states(m)).toMatchObject({ build: 'done', ship: 'ready' });
  });

  it('handles containers as the formula engine cooks them: children first, the container needing them', () => {
    let m = pour(
      proto([
        step('plan'),
        step('ui', ['plan'], { parent: 'build' }),
        step('api', ['plan'], { parent: 'build' }),
        step('api-tests', ['api'], { parent: 'build' }),
        step('build', ['plan', 'ui', 'api', 'api-tests']),
        step('ship', ['build']),
      ]),
    );
    expect(states(m)).toEqual({ plan: 'ready', ui: 'pending', api: 'pending', 'api-tests': 'pending', build: 'pending', ship: 'pending' });
    expect(progressOf(m).byId.get('build')!.waiting_on).toEqual(['plan']);
    m = done(m, 'plan');
    expect(states(m)).toMatchObject({ ui: 'ready', api: 'ready', 'api-tests': 'pending', build: 'ready' });
    m = done(done(done(m, 'ui', 2), 'api', 3), 'api-tests', 4);
    expect(states(m)).toMatchObject({ build: 'done', ship: 'ready' });
    expect(progressOf(m).total).toBe(5);
  });

  // How fast: `npm run bench` times `gt mol step done` on a 1,000-step molecule; a test asserts no time.
  it('handles a long chain (1,000 steps)', () => {
    let m = pour(chain(1000));
    m = { ...m, steps: m.steps.map((s, i) => (i < 500 ? { ...s, status: 'done', done_at: at(i) } : s)) };
    const p = progressOf(m, ms(10_000));
    expect(p.finished).toBe(500);
    expect(p.byId.get('s501')!.state).toBe('ready');
    expect(p.byId.get('s502')!.state).toBe('pending');
  });
});

describe('the current step', () => {
  it('is the actor\'s step in progress, else the first ready one nobody holds elsewhere', () => {
    let m = done(done(pour(shiny()), 'design'), 'implement');
    expect(currentStep(progressOf(m), 'ann').current?.step.id).toBe('review');
    expect(currentStep(progressOf(m), 'ann', new Set(['review'])).current?.step.id).toBe('test');
    m = set(m, 'test', { status: 'in_progress', assignee: 'ann', started_at: at(3) });
    const c = currentStep(progressOf(m), 'ann');
    expect(c.current?.step.id).toBe('test');
    expect(c.next.map((p) => p.step.id)).toEqual(['review']);
    // Bob does not get Ann's step.
    expect(currentStep(progressOf(m), 'bob').current?.step.id).toBe('review');
  });
});

describe('durations', () => {
  it('parses what formulas write and refuses the rest', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('1m500ms')).toBe(60_500);
    expect(parseDuration('5mss')).toBeUndefined();
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('45s')).toBe(45_000);
    for (const bad of ['', '30', 'm', '1x', '-5m', 'soon']) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(90 * 60_000)).toBe('1h 30m');
  });
});
