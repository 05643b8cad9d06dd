import { describe, expect, it } from 'vitest';
import { claimStep, finishStep, findStep, resolveGate, settleCompletion } from '../../src/molecules/step-ops.js';
import { progressOf } from '../../src/molecules/progress.js';
import type { Molecule } from '../../src/molecules/molecule.js';
import { GtError, NotFoundError } from '../../src/errors.js';
import { at, chain, pour, proto, shiny, step } from './molecule-fixtures.js';

const ann = (minute: number, held?: Map<string, string>) => ({ actor: 'ann', now: at(minute), ...(held ? { heldElsewhere: held } : {}) });
const bob = (minute: number) => ({ actor: 'bob', now: at(minute) });

function errorOf(fn: () => unknown): GtError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GtError) return error;
    throw error;
  }
  throw new Error('expected a GtError');
}

const statusOf = (m: Molecule, id: string) => m.steps.find((s) => s.id === id)!;

describe('step done', () => {
  it('finishes the current step and, with --continue, claims the next in the same change', () => {
    const m0 = pour(shiny(), { assignee: 'ann' });
    const r1 = finishStep(m0, undefined, ann(1), { continue: true });
    expect(r1.finished).toMatchObject({ id: 'design', status: 'done', assignee: 'ann', started_at: at(1), done_at: at(1) });
    expect(r1.claimed).toMatchObject({ id: 'implement', status: 'in_progress', assignee: 'ann', started_at: at(1) });
    expect(r1.completed).toBe(false);
    expect(r1.molecule.updated_at).toBe(at(1));
    // The claimed step keeps its start time when it is finished.
    const r2 = finishStep(r1.molecule, undefined, ann(5), { continue: true });
    expect(r2.finished).toMatchObject({ id: 'implement', started_at: at(1), done_at: at(5) });
    expect(r2.claimed?.id).toBe('review');
    // Without --continue nothing else is claimed.
    const r3 = finishStep(r2.molecule, undefined, ann(6));
    expect(r3.claimed).toBeUndefined();
    expect(progressOf(r3.molecule).byId.get('test')!.state).toBe('ready');
  });

  it('completes the molecule with its last step, and refuses to go on after', () => {
    let m = pour(chain(3));
    for (let i = 1; i <= 3; i++) m = finishStep(m, undefined, ann(i), { continue: true }).molecule;
    expect(m).toMatchObject({ status: 'done', done_at: at(3) });
    expect(m.steps.every((s) => s.status === 'done')).toBe(true);
    expect(errorOf(() => finishStep(m, undefined, ann(4))).message).toBe('molecule gt-mol-test is already complete');
  });

  it('refuses a step that cannot start, naming what it waits on, and changes nothing', () => {
    const m = pour(shiny());
    const e = errorOf(() => finishStep(m, 'submit', ann(1)));
    expect(e.message).toBe('step submit cannot start: waiting on review, test');
    expect(errorOf(() => finishStep(m, 'nope', ann(1))).message).toContain("no step of gt-mol-test matches 'nope'");
    const done = finishStep(m, 'design', ann(1)).molecule;
    expect(errorOf(() => finishStep(done, 'design', ann(2))).message).toBe('step design is already done');
  });

  it('never takes a step another agent holds, unless forced', () => {
    const m = claimStep(pour(shiny()), 'design', bob(1)).molecule;
    expect(errorOf(() => finishStep(m, 'design', ann(2))).message).toBe('step design is held by bob');
    expect(errorOf(() => finishStep(m, undefined, ann(2))).message).toBe('no step of gt-mol-test is ready for ann');
    const forced = finishStep(m, 'design', ann(2), { force: true });
    expect(forced.finished).toMatchObject({ assignee: 'ann', started_at: at(1) });
  });

  it('finds nothing for an agent when other agents hold every ready step, here or on branches not merged yet', () => {
    let m = pour(shiny());
    m = finishStep(m, 'design', ann(1)).molecule;
    m = finishStep(m, 'implement', ann(2)).molecule;
    // Bob claimed review here; Cat took test on her branch.
    m = claimStep(m, 'review', bob(3)).molecule;
    const e = errorOf(() => finishStep(m, undefined, ann(4, new Map([['test', 'cat']])), { continue: true }));
    expect(e.message).toBe('no step of gt-mol-test is ready for ann');
    expect(e.hint).toBe('in progress elsewhere: review (bob)');
  });

  it('hands parallel steps to different agents', () => {
    let m = pour(shiny());
    m = finishStep(m, 'design', ann(1)).molecule;
    m = finishStep(m, 'implement', ann(2), { continue: true }).molecule;
    expect(statusOf(m, 'review')).toMatchObject({ status: 'in_progress', assignee: 'ann' });
    const b = finishStep(m, undefined, bob(3), { continue: true });
    // Bob had nothing in progress: his current step was the first ready one nobody holds (test).
    expect(b.finished).toMatchObject({ id: 'test', assignee: 'bob' });
    expect(b.claimed).toBeUndefined();
    const a = finishStep(b.molecule, undefined, ann(4), { continue: true });
    expect(a.finished.id).toBe('review');
    expect(a.claimed).toMatchObject({ id: 'submit', assignee: 'ann' });
  });

  it('skips steps held elsewhere when claiming next', () => {
    let m = pour(proto([step('a'), step('b', ['a']), step('c', ['a']), step('d', ['a'])]));
    m = claimStep(m, 'a', ann(1)).molecule;
    const r = finishStep(m, undefined, ann(2, new Map([['b', 'cat']])), { continue: true });
    expect(r.claimed?.id).toBe('c');
    expect(errorOf(() => claimStep(r.molecule, 'b', { ...bob(3), heldElsewhere: new Map([['b', 'cat']]) })).message).toBe(
      'step b is held by cat (on its branch, not merged yet)',
    );
  });

  it('skips a step, which counts as finished for what needs it', () => {
    const m = pour(chain(2));
    const r = finishStep(m, 's1', ann(1), { skip: true, continue: true });
    expect(r.finished).toMatchObject({ status: 'skipped', done_at: at(1) });
    expect(r.claimed?.id).toBe('s2');
  });

  it('completes containers when their last step is done, then moves on past them', () => {
    let m = pour(
      proto([
        step('build'),
        step('build.ui', [], { parent: 'build' }),
        step('build.api', [], { parent: 'build' }),
        step('ship', ['build']),
      ]),
    );
    expect(errorOf(() => finishStep(m, 'build', ann(1))).message).toBe('build is a container: it completes when its steps are done');
    m = finishStep(m, 'build.ui', ann(1)).molecule;
    expect(statusOf(m, 'build').status).toBe('pending');
    const r = finishStep(m, 'build.api', ann(2), { continue: true });
    expect(r.containers.map((c) => c.id)).toEqual(['build']);
    expect(statusOf(r.molecule, 'build')).toMatchObject({ status: 'done', done_at: at(2) });
    expect(r.claimed?.id).toBe('ship');
  });
});

describe('claims and gates', () => {
  it('claims a ready step; claiming one\'s own again changes nothing', () => {
    const m = pour(shiny());
    const r = claimStep(m, 'des', ann(1));
    expect(r.step).toMatchObject({ id: 'design', status: 'in_progress', assignee: 'ann' });
    expect(claimStep(r.molecule, 'design', ann(2)).changed).toBe(false);
    expect(errorOf(() => claimStep(m, 'implement', ann(1))).message).toBe('step implement cannot start: waiting on design');
  });

  it('resolves a human gate; a timer gate only with force', () => {
    let m = pour(proto([step('a'), step('approve', ['a'], { gate: { type: 'human' } }), step('soak', ['a'], { gate: { type: 'timer', timeout: '1h' } })]));
    m = finishStep(m, 'a', ann(1)).molecule;
    expect(errorOf(() => finishStep(m, 'approve', ann(2))).message).toBe('step approve cannot start: its human gate is not resolved');
    const e = errorOf(() => finishStep(m, undefined, ann(2)));
    expect(e.message).toBe('no step of gt-mol-test is ready for ann: approve: its human gate is not resolved');
    expect(e.hint).toBe('resolve the gate: gt gate resolve gt-mol-test approve');
    const r = resolveGate(m, 'approve', { actor: 'overseer', now: at(3) });
    expect(r.step.gate).toEqual({ type: 'human', resolved_at: at(3), resolved_by: 'overseer' });
    expect(resolveGate(r.molecule, 'approve', { actor: 'overseer', now: at(4) }).changed).toBe(false);
    expect(errorOf(() => resolveGate(m, 'soak', { actor: 'overseer', now: at(3) })).message).toBe(`step soak has a timer gate: it opens by itself at ${at(61)}`);
    expect(resolveGate(m, 'soak', { actor: 'overseer', now: at(3) }, { force: true }).changed).toBe(true);
    expect(errorOf(() => resolveGate(m, 'a', { actor: 'overseer', now: at(3) })).message).toBe('step a has no gate');
  });

  it('finds steps by id, prefix or last segment', () => {
    const m = pour(proto([step('implement'), step('implement.draft', ['implement']), step('implement.refine-1', ['implement.draft'])]));
    expect(findStep(m, 'implement').id).toBe('implement');
    expect(findStep(m, 'draft').id).toBe('implement.draft');
    expect(findStep(m, 'implement.r').id).toBe('implement.refine-1');
    expect(errorOf(() => findStep(m, 'implement.')).message).toContain('ambiguous');
  });

  it('an empty step query matches nothing, even in a molecule of one step', () => {
    const m = pour(proto([step('only')]));
    for (const q of ['', '  ']) expect(errorOf(() => findStep(m, q))).toBeInstanceOf(NotFoundError);
  });
});

describe('settling a molecule completed by merged work', () => {
  it('marks it done when every step is finished but the molecule still says active', () => {
    const m = pour(chain(2));
    const both = { ...m, steps: m.steps.map((s) => ({ ...s, status: 'done' as const, done_at: at(1) })) };
    expect(settleCompletion(both, at(2))).toMatchObject({ status: 'done', done_at: at(2) });
    expect(settleCompletion(m, at(2))).toBeUndefined();
  });
});
