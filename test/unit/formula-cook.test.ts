import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from '../helpers/repo.js';
import { cookFormula, cookLoaded } from '../../src/formulas/cook.js';
import { parseFormulaText } from '../../src/formulas/parse.js';
import type { Protomolecule } from '../../src/formulas/protomolecule.js';
import { builtinFormulaDir, formulaFilesIn, formulaNameOf, type SearchDir } from '../../src/formulas/search.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/formulas');
const fixtureDirs: SearchDir[] = [{ dir: FIXTURES, scope: 'dir' }];
const root = makeTempDir('gt-formula-cook-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

function cookFixture(name: string, vars?: Record<string, string>): Protomolecule {
  return cookFormula(name, { cwd: FIXTURES, dirs: fixtureDirs, ...(vars ? { vars } : {}) });
}

/** Cooks formulas written into a fresh folder (the first one named is cooked). */
function cookTexts(files: Record<string, string>, name: string, vars?: Record<string, string>): Protomolecule {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir, { recursive: true });
  for (const [n, text] of Object.entries(files)) writeFileSync(join(dir, `${n}.formula.toml`), text);
  return cookFormula(name, { cwd: dir, dirs: [{ dir, scope: 'dir' }], ...(vars ? { vars } : {}) });
}

function cookText(text: string, vars?: Record<string, string>): Protomolecule {
  return cookLoaded({ def: parseFormulaText(text, '/virtual/f.formula.toml'), scope: 'dir', dirs: [] }, vars);
}

/** `id <- needs` lines, in output order. */
function graph(p: Protomolecule): string[] {
  return p.steps.map((s) => `${s.id} <- ${s.needs.join(',')}`);
}

describe('extends', () => {
  const parent = `formula = "parent"
[vars.a]
default = "from parent"
[vars.b]
default = "parent b"
[[steps]]
id = "one"
title = "One {{a}}"
[[steps]]
id = "two"
title = "Two"
needs = ["one"]
[[steps]]
id = "three"
title = "Three"
needs = ["two"]
[[compose.expand]]
target = "two"
with = "pair"
`;
  const pair = `formula = "pair"
type = "expansion"
[[template]]
id = "{target}.left"
title = "Left of {target.title}"
[[template]]
id = "{target}.right"
title = "Right"
needs = ["{target}.left"]
`;
  const child = `formula = "child"
extends = ["parent"]
[vars.a]
default = "from child"
[[steps]]
id = "one"
title = "One again {{a}} {{b}}"
[[steps]]
id = "four"
title = "Four"
needs = ["three"]
[compose]
aspects = ["wrap"]
`;
  const wrap = `formula = "wrap"
type = "aspect"
[[advice]]
target = "four"
[advice.before]
id = "before-{step.id}"
title = "Before {step.title}"
`;

  it('overrides steps in place, appends new ones, merges vars child-first, and keeps both sides\' compose rules', () => {
    const p = cookTexts({ parent, child, pair, wrap }, 'child', {});
    expect(graph(p)).toEqual(['one <- ', 'two.left <- one', 'two.right <- two.left', 'three <- two.right', 'before-four <- three', 'four <- before-four']);
    expect(p.steps[0]!.title).toBe('One again from child parent b');
    expect(p.steps[4]!.title).toBe('Before Four');
    expect(Object.keys(p.vars)).toEqual(['a', 'b']);
    expect(p.vars.a!.default).toBe('from child');
  });

  it('merges several parents in order, later ones winning', () => {
    const a = 'formula = "a"\ndescription = "A"\n[vars.x]\ndefault = "a"\n[[steps]]\nid = "s"\ntitle = "from a"\n';
    const b = 'formula = "b"\n[vars.x]\ndefault = "b"\n[[steps]]\nid = "s"\ntitle = "from b"\n[[steps]]\nid = "t"\ntitle = "T"\n';
    const c = 'formula = "c"\nextends = ["a", "b"]\n';
    const p = cookTexts({ c, a, b }, 'c');
    expect(p.steps.map((s) => s.title)).toEqual(['from b', 'T']);
    expect(p.vars.x!.default).toBe('b');
    expect(p.description).toBe('A');
  });
});

describe('loops', () => {
  it('expands a count loop with chained iterations; the first needs what the loop needed, the dependents the last', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "start"
title = "Start"
[[steps]]
id = "rounds"
title = "Rounds"
needs = ["start"]
[steps.loop]
count = 3
var = "i"
[[steps.loop.body]]
id = "work"
title = "Work {i}"
[[steps.loop.body]]
id = "check"
title = "Check {i}"
needs = ["work"]
[[steps]]
id = "end"
title = "End"
needs = ["rounds"]
`);
    expect(graph(p)).toEqual([
      'start <- ',
      'rounds.iter1.work <- start',
      'rounds.iter1.check <- rounds.iter1.work',
      'rounds.iter2.work <- rounds.iter1.check',
      'rounds.iter2.check <- rounds.iter2.work',
      'rounds.iter3.work <- rounds.iter2.check',
      'rounds.iter3.check <- rounds.iter3.work',
      'end <- rounds.iter3.check',
    ]);
    expect(p.steps[5]!.title).toBe('Work 3');
  });

  it('expands a range loop with 2^{disks}: 2^n - 1 moves', () => {
    const small = cookFixture('hanoi', {});
    expect(small.steps.map((s) => s.id)).toEqual(['setup', ...Array.from({ length: 7 }, (_, i) => `move.iter${i + 1}.move-disk`), 'verify']);
    expect(small.steps[1]!.needs).toEqual(['setup']);
    expect(small.steps[8]!.needs).toEqual(['move.iter7.move-disk']);
    expect(small.steps[3]!.title).toBe('Move 3');
    const big = cookFixture('hanoi', { disks: '10' });
    expect(big.steps).toHaveLength(1025);
    expect(big.steps[1024]!.needs).toEqual(['move.iter1023.move-disk']);
    // Compile mode takes the range's variables from their defaults.
    expect(cookFixture('hanoi').steps).toHaveLength(9);
  });

  it('expands an until loop once and keeps the condition for the runtime', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "poll"
title = "Poll"
[steps.loop]
until = "step.status == 'complete'"
max = 5
[[steps.loop.body]]
id = "ask"
title = "Ask"
[[steps.loop.body]]
id = "wait"
title = "Wait"
needs = ["ask"]
`);
    expect(graph(p)).toEqual(['poll.iter1.ask <- ', 'poll.iter1.wait <- poll.iter1.ask']);
    expect(p.steps[0]!.loop_until).toEqual({ until: "step.status == 'complete'", max: 5, body: ['poll.iter1.ask', 'poll.iter1.wait'] });
  });

  it('nests loops, the inner range using the outer loop variable', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "outer"
[steps.loop]
count = 2
var = "i"
[[steps.loop.body]]
id = "inner"
[steps.loop.body.loop]
range = "1..{i}"
var = "j"
[[steps.loop.body.loop.body]]
id = "cell"
title = "Cell {i}.{j}"
`);
    expect(graph(p)).toEqual([
      'outer.iter1.inner.iter1.cell <- ',
      'outer.iter2.inner.iter1.cell <- outer.iter1.inner.iter1.cell',
      'outer.iter2.inner.iter2.cell <- outer.iter2.inner.iter1.cell',
    ]);
    expect(p.steps[2]!.title).toBe('Cell 2.2');
  });
});

describe('control flow and children', () => {
  it('wires compose.branch as fork and join, and compose.gate as a conditional gate', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "fork"
[[steps]]
id = "a"
[[steps]]
id = "b"
[[steps]]
id = "join"
[[compose.branch]]
from = "fork"
steps = ["a", "b"]
join = "join"
[[compose.gate]]
before = "join"
condition = "a.output.ok == true"
`);
    expect(graph(p)).toEqual(['fork <- ', 'a <- fork', 'b <- fork', 'join <- a,b']);
    expect(p.steps[3]!.gate).toEqual({ type: 'conditional', condition: 'a.output.ok == true' });
  });

  it('flattens children under their container: they inherit its needs, it waits for them', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "first"
[[steps]]
id = "group"
type = "parallel"
needs = ["first"]
[[steps.children]]
id = "x"
[[steps.children]]
id = "y"
[[steps]]
id = "after"
needs = ["group"]
`);
    expect(graph(p)).toEqual(['first <- ', 'x <- first', 'y <- first', 'group <- first,x,y', 'after <- group']);
    expect(p.steps[1]!.parent).toBe('group');
    expect(p.steps[3]!.type).toBe('parallel');
  });

  it('keeps gates, on_complete, waits_for and upstream-only keys', () => {
    const p = cookText(`formula = "f"
[squash]
trigger = "on_complete"
[[steps]]
id = "a"
waits_for = "all-children"
parallel = true
[steps.gate]
type = "gh:run"
id = "ci-{{v}}"
timeout = "30m"
[steps.on_complete]
for_each = "output.items"
bond = "other"
`, { v: '7' });
    expect(p.steps[0]).toEqual({ id: 'a', title: 'a', needs: [], waits_for: 'all-children', gate: { type: 'gh:run', id: 'ci-7', timeout: '30m' }, on_complete: { for_each: 'output.items', bond: 'other' }, extras: { parallel: true } });
    expect(p.extras).toEqual({ squash: { trigger: 'on_complete' } });
  });
});

describe('advice and expansions', () => {
  it('advice: before-steps take the target\'s needs, after-steps are needed by what needed the target', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "a"
[[steps]]
id = "b"
needs = ["a"]
[[steps]]
id = "c"
needs = ["b"]
[[steps]]
id = "d"
needs = ["b"]
[[advice]]
target = "b"
[advice.before]
id = "{step.id}-pre"
[[advice.after]]
id = "{step.id}-post1"
[[advice.after]]
id = "{step.id}-post2"
`);
    expect(graph(p)).toEqual(['a <- ', 'b-pre <- a', 'b <- b-pre', 'b-post1 <- b', 'b-post2 <- b-post1', 'c <- b-post2', 'd <- b-post2']);
  });

  it('advice on neighbours chains through each other\'s advice steps', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "a"
[[steps]]
id = "b"
needs = ["a"]
[[steps]]
id = "c"
needs = ["b"]
[[advice]]
target = "*"
[advice.around]
before = [{ id = "{step.id}-pre" }]
after = [{ id = "{step.id}-post" }]
`);
    expect(graph(p)).toEqual(['a-pre <- ', 'a <- a-pre', 'a-post <- a', 'b-pre <- a-post', 'b <- b-pre', 'b-post <- b', 'c-pre <- b-post', 'c <- c-pre', 'c-post <- c']);
  });

  it('advice matches globs and only steps that were there before', () => {
    const p = cookText(`formula = "f"
[[steps]]
id = "x.build"
[[steps]]
id = "y.build"
needs = ["x.build"]
[[steps]]
id = "other"
[[advice]]
target = "*.build"
[advice.after]
id = "{step.id}.log"
title = "Log {step.title}"
`);
    expect(graph(p)).toEqual(['x.build <- ', 'x.build.log <- x.build', 'y.build <- x.build.log', 'y.build.log <- y.build', 'other <- ']);
  });

  it('compose.expand replaces the target: the first template steps take its needs, its dependents need the last', () => {
    expect(graph(cookFixture('flow-polished', { feature: 'login' }))).toEqual([
      'design <- ',
      'implement.draft <- design',
      'implement.refine-1 <- implement.draft',
      'implement.refine-2 <- implement.refine-1',
      'implement.refine-3 <- implement.refine-2',
      'implement.refine-4 <- implement.refine-3',
      'review <- implement.refine-4',
      'test <- review',
      'submit <- test',
    ]);
    const p = cookFixture('flow-polished', { feature: 'login' });
    expect(p.steps[1]!.title).toBe('Draft: Implement login');
    expect(p.steps[1]!.description).toBe('First go at: Write login.');
  });

  it('compose.aspects wraps the matching steps', () => {
    expect(graph(cookFixture('flow-guarded', { feature: 'x' }))).toEqual([
      'design <- ',
      'implement-prescan <- design',
      'implement <- implement-prescan',
      'implement-postscan <- implement',
      'review <- implement-postscan',
      'test <- review',
      'submit-prescan <- test',
      'submit <- submit-prescan',
      'submit-postscan <- submit',
    ]);
    expect(cookFixture('flow-guarded', { feature: 'x' }).steps[1]!.title).toBe('Prescan Implement x');
  });

  it('compose.map expands every step matching a glob; inline expand with expand_vars', () => {
    const twice = 'formula = "twice"\ntype = "expansion"\n[[template]]\nid = "{target}.one"\ntitle = "One {{size}}"\n[[template]]\nid = "{target}.two"\nneeds = ["{target}.one"]\n';
    const f = `formula = "f"
[[steps]]
id = "build-a"
[[steps]]
id = "build-b"
needs = ["build-a"]
[[steps]]
id = "ship"
needs = ["build-b"]
expand = "twice"
expand_vars = { size = "large" }
[[compose.map]]
select = "build-*"
with = "twice"
vars = { size = "small" }
`;
    const p = cookTexts({ f, twice }, 'f', {});
    expect(graph(p)).toEqual([
      'build-a.one <- ',
      'build-a.two <- build-a.one',
      'build-b.one <- build-a.two',
      'build-b.two <- build-b.one',
      'ship.one <- build-b.two',
      'ship.two <- ship.one',
    ]);
    expect(p.steps.map((s) => s.title).filter((t) => t.startsWith('One'))).toEqual(['One small', 'One small', 'One large']);
  });

  it('advice on an expanded step goes around its whole expansion', () => {
    const p = cookFormula('feature-hardened', { cwd: root, dirs: [{ dir: builtinFormulaDir()!, scope: 'builtin' }], vars: { feature: 'search' } });
    expect(graph(p)).toEqual([
      'design <- ',
      'implement-security-precheck <- design',
      'implement.draft <- implement-security-precheck',
      'implement.refine-1 <- implement.draft',
      'implement.refine-2 <- implement.refine-1',
      'implement.refine-3 <- implement.refine-2',
      'implement-security-postcheck <- implement.refine-3',
      'review <- implement-security-postcheck',
      'test <- review',
      'submit-security-precheck <- test',
      'submit <- submit-security-precheck',
      'submit-security-postcheck <- submit',
    ]);
  });

  it('refuses an expansion that makes an id twice', () => {
    const dup = 'formula = "dup"\ntype = "expansion"\n[[template]]\nid = "same"\n';
    expect(() => cookTexts({ f: 'formula = "f"\n[[steps]]\nid = "a"\nexpand = "dup"\n[[steps]]\nid = "b"\nexpand = "dup"\n', dup }, 'f')).toThrow(/step id 'same' is used twice/);
  });
});

describe('binding', () => {
  const text = `formula = "f"
[vars.mode]
default = "full"
[vars.extra]
default = ""
[[steps]]
id = "a"
title = "A for {{who}}"
description = "in {{mode}} mode"
notes = "{{mode}} notes"
acceptance = "{{who}} agrees"
assignee = "{{who}}"
[[steps]]
id = "b"
needs = ["a"]
condition = "{{mode}} == full"
[[steps]]
id = "c"
needs = ["b"]
condition = "!{{extra}}"
[[steps]]
id = "d"
needs = ["c"]
condition = "{{extra}}"
[[steps]]
id = "e"
needs = ["d"]
condition = "{{mode}} != 'full'"
[[steps]]
id = "f"
needs = ["e"]
condition = "env.CI == 'true'"
`;

  it('substitutes title, description, notes, acceptance and assignee; decides conditions; splices dropped steps', () => {
    const p = cookText(text, { who: 'ann' });
    expect(graph(p)).toEqual(['a <- ', 'b <- a', 'c <- b', 'f <- c']);
    expect(p.steps[0]).toMatchObject({ title: 'A for ann', description: 'in full mode', notes: 'full notes', acceptance: 'ann agrees', assignee: 'ann' });
    expect(p.steps[1]!.condition).toBeUndefined();
    expect(p.steps[3]!.condition).toBe("env.CI == 'true'");
    const other = cookText(text, { who: 'bo', mode: 'lite', extra: 'yes' });
    expect(graph(other)).toEqual(['a <- ', 'd <- a', 'e <- d', 'f <- e']);
  });

  it('compile mode leaves placeholders and conditions', () => {
    const p = cookText(text);
    expect(p.steps).toHaveLength(6);
    expect(p.steps[0]!.title).toBe('A for {{who}}');
    expect(p.steps[1]!.condition).toBe('{{mode}} == full');
  });

  it('drops the children of a dropped container', () => {
    const p = cookText('formula = "f"\n[[steps]]\nid = "p"\ncondition = "{{on}}"\n[[steps.children]]\nid = "c"\n[[steps]]\nid = "z"\nneeds = ["p"]\n', { on: 'false' });
    expect(graph(p)).toEqual(['z <- ']);
  });
});

describe('convoy formulas', () => {
  it('cook to legs in parallel and a synthesis needing them, with the plan for gt formula run', () => {
    const p = cookFixture('review-legs', { subject: 'x' });
    expect(graph(p)).toEqual(['logic <- ', 'safety <- ', 'speed <- ', 'synthesis <- logic,safety,speed']);
    expect(p.convoy!.presets).toEqual({ quick: { description: 'Logic and safety only', legs: ['logic', 'safety'] } });
    expect(p.convoy!.synthesis).toEqual({ title: 'Merge the reviews', description: expect.stringContaining('{{.output.directory}}'), depends_on: ['logic', 'safety', 'speed'] });
    expect(p.vars.subject).toEqual({ description: 'What is reviewed', required: true, type: 'string' });
    expect(() => cookFixture('review-legs', {})).toThrow(/missing required variable 'subject'/);
  });
});

describe('built-in formulas', () => {
  const dir = builtinFormulaDir()!;
  const files = formulaFilesIn(dir);

  it('are all there', () => {
    expect(files.map(formulaNameOf)).toEqual(['draft-refine', 'feature', 'feature-hardened', 'parallel-review', 'release', 'security-checks']);
  });

  it.each(files.map((f) => [formulaNameOf(f)]))('%s cooks in both modes', (name) => {
    const dirs: SearchDir[] = [{ dir, scope: 'builtin' }];
    const compile = cookFormula(name, { cwd: dir, dirs });
    expect(compile.formula).toBe(name);
    const bound = cookFormula(name, { cwd: dir, dirs, vars: { feature: 'f', version: '1.2.3', target: 'main' } });
    expect(bound.steps.length).toBeLessThanOrEqual(compile.steps.length);
  });

  it('release has a timer gate and a human gate before publishing, and skips the announcement for beta', () => {
    const dirs: SearchDir[] = [{ dir, scope: 'builtin' }];
    const p = cookFormula('release', { cwd: dir, dirs, vars: { version: '2.0.0' } });
    expect(graph(p)).toEqual(['freeze <- ', 'changelog <- freeze', 'bump <- changelog', 'build <- bump', 'soak <- build', 'approve <- soak', 'publish <- approve', 'announce <- publish']);
    expect(p.steps[4]!.gate).toEqual({ type: 'timer', timeout: '24h' });
    expect(p.steps[5]!.gate).toEqual({ type: 'human', id: 'release-2.0.0' });
    expect(cookFormula('release', { cwd: dir, dirs, vars: { version: '2.0.0', channel: 'beta' } }).steps.map((s) => s.id)).not.toContain('announce');
  });
});

describe('determinism and order', () => {
  /** A formula from a dependency list: step i needs the listed earlier steps; declared in `order`. */
  function formulaOf(needs: number[][], order: number[]): string {
    const lines = ['formula = "g"'];
    for (const i of order) {
      lines.push('[[steps]]', `id = "s${i}"`);
      if (needs[i]!.length > 0) lines.push(`needs = [${needs[i]!.map((j) => `"s${j}"`).join(', ')}]`);
    }
    return `${lines.join('\n')}\n`;
  }

  const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : Math.min(i, 3) }))),
      fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
    ),
  );

  it('cooking twice gives identical JSON, in an order where every step follows what it needs', () => {
    fc.assert(
      fc.property(dag, ([needs, order]) => {
        const text = formulaOf(needs, order);
        const a = JSON.stringify(cookText(text), null, 2);
        const b = JSON.stringify(cookText(text), null, 2);
        expect(a).toBe(b);
        const seen = new Set<string>();
        for (const s of (JSON.parse(a) as Protomolecule).steps) {
          for (const n of s.needs) expect(seen.has(n)).toBe(true);
          seen.add(s.id);
        }
      }),
    );
  });

  it('keeps the declaration order when it already works, and does not depend on the order of needs', () => {
    fc.assert(
      fc.property(dag, ([needs]) => {
        const order = needs.map((_, i) => i);
        const p = cookText(formulaOf(needs, order));
        expect(p.steps.map((s) => s.id)).toEqual(order.map((i) => `s${i}`));
        const reversedNeeds = needs.map((list) => [...list].reverse());
        expect(cookText(formulaOf(reversedNeeds, order)).steps.map((s) => s.id)).toEqual(order.map((i) => `s${i}`));
      }),
    );
  });

  it('keeps independent steps in the order they were declared, however shuffled', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Array.from({ length: 12 }, (_, i) => i), { minLength: 12, maxLength: 12 }), (order) => {
        const p = cookText(formulaOf(Array.from({ length: 12 }, () => []), order));
        expect(p.steps.map((s) => s.id)).toEqual(order.map((i) => `s${i}`));
      }),
    );
  });
});

describe('expansions inside containers', () => {
  const grp = 'formula = "grp"\ntype = "expansion"\n[[template]]\nid = "{target}.head"\n[[template.children]]\nid = "{target}.kid"\n[[template]]\nid = "{target}.tail"\nneeds = ["{target}.head"]\n';
  const f = 'formula = "f"\n[[steps]]\nid = "start"\n[[steps]]\nid = "box"\nneeds = ["start"]\n[[steps.children]]\nid = "inner"\ncondition = "{{on}}"\nexpand = "grp"\n[[steps]]\nid = "after"\nneeds = ["box"]\n';

  it('the expansion takes the target\'s place in its container, needs and condition included', () => {
    const on = cookTexts({ f, grp }, 'f', { on: 'yes' });
    expect(graph(on)).toEqual(['start <- ', 'inner.kid <- start', 'inner.head <- start,inner.kid', 'inner.tail <- inner.head', 'box <- start,inner.tail', 'after <- box']);
    expect(on.steps.map((s) => s.parent ?? '-')).toEqual(['-', 'inner.head', 'box', 'box', '-', '-']);
    const off = cookTexts({ f, grp }, 'f', { on: 'no' });
    expect(graph(off)).toEqual(['start <- ', 'box <- start', 'after <- box']);
  });
});
