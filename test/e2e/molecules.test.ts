/**
 * Molecules with the real binary: pour, show, current and step done (one commit each), wisps that never
 * reach a branch, squash and burn, gates, two agents on parallel steps, and a molecule on the hook that
 * a killed worker's successor resumes at the first unfinished step.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, GT_BIN, useGtRepo, ledgerFile } from '../helpers/repo.js';
import { waitFor } from '../helpers/wait.js';

interface StepJson {
  id: string;
  title: string;
  status: string;
  state: string;
  assignee?: string;
  needs?: string[];
  description?: string;
  waiting_on?: string[];
  gate?: { type: string; open: boolean; opens_at?: string; resolved_by?: string };
}
interface MoleculeJson {
  id: string;
  title: string;
  formula: string;
  status: string;
  wisp: boolean;
  bead?: string;
  assignee?: string;
  vars?: Record<string, string>;
  finished: number;
  total: number;
  steps: StepJson[];
}
interface BriefJson {
  id: string;
  status: string;
  finished: number;
  total: number;
  current?: StepJson;
  next: StepJson[];
}
interface DoneJson {
  molecule: string;
  status: string;
  finished: string | null;
  claimed: StepJson | null;
  completed: boolean;
  closed_bead: string | null;
}

const SHINY = `
formula = "shiny"
type = "workflow"
version = 2
description = "Design, implement, review and test, submit"

[vars.feature]
description = "What is being built"
required = true

[[steps]]
id = "design"
title = "Design {{feature}}"
description = "Sketch how {{feature}} should work."

[[steps]]
id = "implement"
title = "Implement {{feature}}"
needs = ["design"]
description = "Write {{feature}}; tracking issue {{issue}}."

[[steps]]
id = "review"
title = "Review {{feature}}"
needs = ["implement"]

[[steps]]
id = "test"
title = "Test {{feature}}"
needs = ["implement"]

[[steps]]
id = "submit"
title = "Submit {{feature}}"
needs = ["review", "test"]
description = "Open the pull request for {{feature}}."
`;

const GATED = `
formula = "gated"
version = 1

[[steps]]
id = "build"
title = "Build"

[[steps]]
id = "approve"
title = "Approve the release"
needs = ["build"]
[steps.gate]
type = "human"

[[steps]]
id = "soak"
title = "Let it soak"
needs = ["build"]
[steps.gate]
type = "timer"
timeout = "2s"

[[steps]]
id = "ship"
title = "Ship"
needs = ["approve", "soak"]
`;

const VAPOR = `
formula = "patrol"
version = 1
phase = "vapor"

[[steps]]
id = "look"
title = "Look around"

[[steps]]
id = "report"
title = "Report"
needs = ["look"]
`;

const r = useGtRepo((template) => {
  mkdirSync(join(template.dir, '.gt', 'formulas'), { recursive: true });
  for (const [name, text] of [['shiny', SHINY], ['gated', GATED], ['patrol', VAPOR]] as const) {
    writeFileSync(join(template.dir, '.gt', 'formulas', `${name}.formula.toml`), text);
  }
});

const commits = (): number => Number(r.git('rev-list', '--count', 'gt/ledger').trim());
const tip = (): string => r.git('rev-parse', 'gt/ledger').trim();
const allRefs = (): string => r.git('for-each-ref', '--format=%(refname) %(objectname)');
const as = (agent: string, ...args: string[]): string => {
  const out = r.gt(args, { env: { GT_AGENT: agent } });
  if (out.status !== 0) throw new Error(`gt ${args.join(' ')} as ${agent}: ${out.stderr}`);
  return out.stdout;
};
const asJson = <T>(agent: string, ...args: string[]): T => JSON.parse(as(agent, ...args, '--json')) as T;
/** A command that must fail: one `gt:` line and a hint, nothing on the ledger or any branch changed. */
const refused = (args: string[], env: Record<string, string> = {}): string => {
  const before = allRefs();
  const out = r.gt(args, { env });
  expect(out.status, `gt ${args.join(' ')} should fail`).not.toBe(0);
  const lines = out.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^gt: /);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: '))).toBe(true);
  expect(out.stderr).not.toContain('    at ');
  expect(allRefs()).toBe(before);
  return lines[0]!;
};
const stepOf = (m: MoleculeJson, id: string): StepJson => m.steps.find((s) => s.id === id)!;
/** Plain git with input and extra environment (for hand edits of the ledger). */
const execGit = (args: string[], input: string, env: Record<string, string> = {}): string =>
  execFileSync('git', args, { cwd: r.dir, input, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env } }).trim();

describe('pouring and advancing a molecule', () => {
  it('pour, show, current and step done --continue: one commit per write, none per read', () => {
    const start = commits();
    const m = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=Login form', '--var', 'issue=gt-1');
    expect(commits()).toBe(start + 1);
    expect(m.id).toMatch(/^gt-mol-[0-9a-z]{4,}$/);
    expect(m).toMatchObject({ formula: 'shiny', status: 'active', wisp: false, assignee: 'overseer', finished: 0, total: 5 });
    expect(m.vars).toEqual({ feature: 'Login form', issue: 'gt-1' });
    expect(m.steps.map((s) => [s.id, s.state])).toEqual([
      ['design', 'ready'],
      ['implement', 'pending'],
      ['review', 'pending'],
      ['test', 'pending'],
      ['submit', 'pending'],
    ]);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`mol pour ${m.id}: shiny (shiny v2, 5 steps)`);
    const file = r.git('show', `gt/ledger:${ledgerFile('molecules', m.id)}`);
    expect(file).toContain('  - id: implement\n    title: Implement Login form\n    needs:\n      - design\n    status: pending\n');

    const shown = r.gtOk('mol', 'show', m.id.slice(0, -1));
    expect(shown).toContain(`⚗ ${m.id}: shiny   [active]`);
    expect(shown).toMatch(/○ design\s+Design Login form/);
    expect(shown).toMatch(/◌ submit\s+Submit Login form\s+\(waiting on review, test\)/);
    const current = r.gtJson<BriefJson>('mol', 'current');
    expect(current.current).toMatchObject({ id: 'design', state: 'ready', description: 'Sketch how Login form should work.' });
    expect(r.gtOk('mol', 'list')).toContain(`${m.id}  shiny  0/5  @overseer  → design`);
    expect(commits()).toBe(start + 1);

    const d1 = r.gtJson<DoneJson>('mol', 'step', 'done', '--continue');
    expect(d1).toMatchObject({ finished: 'design', claimed: { id: 'implement', state: 'in_progress', assignee: 'overseer' }, completed: false });
    expect(d1.claimed!.description).toBe('Write Login form; tracking issue gt-1.');
    expect(commits()).toBe(start + 2);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`mol step done ${m.id} design: Design Login form → implement`);
    expect(r.gtJson<BriefJson>('mol', 'current').current).toMatchObject({ id: 'implement', state: 'in_progress' });

    const d2 = r.gtJson<DoneJson>('mol', 'step', 'done', '--continue');
    expect(d2).toMatchObject({ finished: 'implement', claimed: { id: 'review' } });
    expect(r.gtOk('mol', 'step', 'done', 'test')).toContain(`✓ done ${m.id} test: Test Login form`);
    expect(r.gtJson<DoneJson>('mol', 'step', 'done', '--continue')).toMatchObject({ finished: 'review', claimed: { id: 'submit' } });
    const last = r.gtOk('mol', 'step', 'done');
    expect(last).toContain(`⚗ molecule ${m.id} complete (5 steps)`);
    expect(commits()).toBe(start + 6);
    const final = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(final).toMatchObject({ status: 'done', finished: 5, total: 5 });
    expect(r.gtOk('mol', 'list')).toContain('no active molecules');
    expect(r.gtOk('mol', 'list', '--all')).toContain(`✓ ${m.id}`);
    expect(refused(['mol', 'step', 'done', '--mol', m.id])).toBe(`gt: molecule ${m.id} is already complete`);
  });

  it('refuses bad input with one line and a hint, changing nothing', () => {
    expect(refused(['mol', 'pour', 'nope'])).toContain("no formula named 'nope'");
    expect(refused(['mol', 'pour', 'shiny'])).toContain("missing required variable 'feature'");
    expect(refused(['mol', 'pour', 'shiny', '--var', 'feature'])).toBe("gt: --var takes name=value, not 'feature'");
    const m = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=X');
    expect(refused(['mol', 'step', 'done', 'submit'])).toBe('gt: step submit cannot start: waiting on review, test');
    expect(refused(['mol', 'step', 'claim', 'nothing'])).toContain(`no step of ${m.id} matches 'nothing'`);
    expect(refused(['mol', 'show', 'gt-mol-zzzz'])).toContain("no molecule matches 'gt-mol-zzzz'");
    expect(refused(['mol', 'current'], { GT_AGENT: 'nobody' })).toBe('gt: no active molecule for nobody');
    expect(refused(['gate', 'resolve', m.id, 'design'])).toBe('gt: step design has no gate');
  });

  it('reports a broken molecule file (on the ledger, or a wisp) with its path and line', () => {
    const m = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=X');
    const path = ledgerFile('molecules', m.id);
    const text = r.git('show', `gt/ledger:${ledgerFile('molecules', m.id)}`).replace('status: active', 'status: paused');
    const line = text.split('\n').indexOf('status: paused') + 1;
    const blob = execGit(['hash-object', '-w', '--stdin'], text);
    const index = join(r.dir, '..', 'tmp-index');
    const env = { GIT_INDEX_FILE: index };
    execGit(['read-tree', 'gt/ledger'], '', env);
    execGit(['update-index', '--cacheinfo', `100644,${blob},${ledgerFile('molecules', m.id)}`], '', env);
    const tree = execGit(['write-tree'], '', env);
    const commit = execGit(['commit-tree', tree, '-p', 'gt/ledger', '-m', 'hand edit'], '');
    r.git('update-ref', 'refs/heads/gt/ledger', commit);
    const shown = r.gt(['mol', 'show', m.id]);
    expect(shown.status).not.toBe(0);
    // Every read warns about broken files first; then the error itself, with its path and line.
    expect(shown.stderr.split('\n')).toContain(`gt: ${path}:${line}: status must be one of active, done, not 'paused'`);
    const listed = r.gt(['mol', 'list']);
    expect(listed.stderr).toContain(`gt: warning: ${path}:${line}: status must be one of active, done`);

    const wisps = join(r.dir, '.git', 'gt', 'wisps');
    mkdirSync(wisps, { recursive: true });
    writeFileSync(join(wisps, 'gt-wisp-bad.yaml'), 'id: gt-wisp-bad\ntitle: [unclosed\n');
    const wispShown = r.gt(['mol', 'show', 'gt-wisp-bad']);
    expect(wispShown.stderr).toMatch(new RegExp(`gt: ${join(wisps, 'gt-wisp-bad.yaml')}:\\d+: invalid YAML`));
    expect(wispShown.stderr).toContain('hint: fix or delete the wisp file (it is only on this machine)');
  });

  it('warns when a vapor formula is poured onto the ledger', () => {
    const poured = r.gt(['mol', 'pour', 'patrol']);
    expect(poured.status).toBe(0);
    expect(poured.stderr).toContain('gt: warning: formula patrol is vapor');
    expect(poured.stderr).toContain('gt mol wisp patrol');
    const wisp = r.gt(['mol', 'wisp', 'patrol']);
    expect(wisp.status).toBe(0);
    expect(wisp.stderr).toBe('');
  });
});

describe('wisps', () => {
  it('never reach a branch; squash leaves a closed digest bead, burn leaves nothing', () => {
    const refs = allRefs();
    const log = r.git('log', '--all', '--oneline');
    const w = r.gtJson<MoleculeJson>('mol', 'wisp', 'shiny', '--var', 'feature=Probe');
    expect(w.id).toMatch(/^gt-wisp-[0-9a-z]{4,}$/);
    expect(w.wisp).toBe(true);
    const wispsDir = join(r.dir, '.git', 'gt', 'wisps');
    expect(readdirSync(wispsDir)).toEqual([`${w.id}.yaml`]);
    expect(r.gtJson<DoneJson>('mol', 'step', 'done', '--mol', w.id, '--continue')).toMatchObject({ finished: 'design', claimed: { id: 'implement' } });
    expect(r.gtJson<MoleculeJson>('mol', 'show', w.id.slice(0, 9))).toMatchObject({ finished: 1, wisp: true });
    expect(r.gtOk('mol', 'list')).toContain(`☁ ${w.id}`);
    expect(r.gtOk('mol', 'show', w.id)).toContain(`☁ ${w.id} (wisp): shiny`);
    expect(r.git('log', '--all', '--oneline')).toBe(log);
    expect(allRefs()).toBe(refs);

    const squashed = r.gtJson<{ digest: { id: string; title: string; status: string; description: string; close_reason: string; labels: string[] } }>('mol', 'squash', w.id);
    expect(squashed.digest).toMatchObject({ title: 'Digest: shiny', status: 'closed', labels: ['digest'], close_reason: `Squashed from wisp ${w.id} (5 steps)` });
    expect(squashed.digest.description).toContain('✓ design: Design Probe (overseer)');
    expect(squashed.digest.description).toContain('◐ implement: Implement Probe [in_progress]');
    expect(existsSync(join(wispsDir, `${w.id}.yaml`))).toBe(false);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`mol squash ${w.id}: ${squashed.digest.id} Digest: shiny`);
    expect(r.git('ls-tree', '-r', '--name-only', 'gt/ledger')).not.toContain('molecules/');

    const before = allRefs();
    const w2 = r.gtJson<MoleculeJson>('mol', 'wisp', 'shiny', '--var', 'feature=Other', '--title', 'Scratch');
    r.gtOk('mol', 'burn', w2.id);
    expect(readdirSync(wispsDir)).toEqual([]);
    expect(allRefs()).toBe(before);
  });

  it('squash and burn work on poured molecules too, in one commit each', () => {
    const a = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=A');
    const b = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=B');
    const start = commits();
    const s = r.gtJson<{ digest: { id: string; status: string; description: string } }>('mol', 'squash', a.id, '--summary', 'Built A in one go.');
    expect(s.digest.status).toBe('closed');
    expect(s.digest.description).toContain('Built A in one go.');
    expect(r.gtOk('mol', 'burn', b.id)).toContain(`🔥 burned ${b.id}: shiny`);
    expect(commits()).toBe(start + 2);
    expect(r.git('ls-tree', '-r', '--name-only', 'gt/ledger')).not.toContain('molecules/');
    expect(refused(['mol', 'show', b.id])).toContain(`no molecule matches '${b.id}'`);
  });
});

describe('gates', () => {
  it('hold a step until resolved (human) or until their time (timer, on the GT_NOW clock)', () => {
    // Time is the test's: every command runs at GT_NOW (from a minute ago) and the test moves it on.
    r.env.GT_NOW = new Date(Date.now() - 60_000).toISOString();
    try {
      gatedMolecule();
    } finally {
      delete r.env.GT_NOW;
    }
  });
  function gatedMolecule(): void {
    const t0 = Date.parse(r.env.GT_NOW!);
    const at = (ms: number): string => new Date(t0 + ms).toISOString();
    const m = r.gtJson<MoleculeJson>('mol', 'pour', 'gated');
    r.gtOk('mol', 'step', 'done', 'build');
    let shown = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(stepOf(shown, 'approve')).toMatchObject({ state: 'pending', gate: { type: 'human', open: false } });
    expect(stepOf(shown, 'soak')).toMatchObject({ state: 'pending', gate: { type: 'timer', open: false } });
    expect(r.gtOk('mol', 'show', m.id)).toMatch(/⊘ approve\s+Approve the release\s+\(human gate: gt gate resolve/);
    expect(refused(['mol', 'step', 'done', 'approve'])).toBe('gt: step approve cannot start: its human gate is not resolved');
    expect(r.gtOk('gate', 'list')).toContain(`⊘ ${m.id} approve: Approve the release  (human gate, waiting for gt gate resolve)`);
    expect(refused(['gate', 'resolve', m.id, 'soak'])).toMatch(/^gt: step soak has a timer gate: it opens by itself at /);

    const start = commits();
    expect(r.gtOk('gate', 'resolve', m.id, 'approve')).toContain(`🔓 ${m.id} approve: gate resolved (the step is ready)`);
    expect(commits()).toBe(start + 1);
    shown = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(stepOf(shown, 'approve')).toMatchObject({ state: 'ready', gate: { open: true, resolved_by: 'overseer' } });
    r.gtOk('mol', 'step', 'done', 'approve');
    // The timer counts from when build was done (at t0): closed 1.999 s later, open 2 s later.
    r.env.GT_NOW = at(1999);
    shown = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(stepOf(shown, 'soak')).toMatchObject({ state: 'pending', gate: { type: 'timer', open: false } });
    expect(r.gtOk('mol', 'show', m.id)).toMatch(/soak\s+Let it soak\s+\(timer gate opens in /);
    expect(refused(['mol', 'step', 'done', 'soak'])).toMatch(/^gt: step soak cannot start: its timer gate opens in .*\(\S+\)$/);
    r.env.GT_NOW = at(2000);
    shown = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(stepOf(shown, 'soak')).toMatchObject({ state: 'ready', gate: { open: true } });
    r.gtOk('mol', 'step', 'done', '--continue');
    expect(r.gtJson<DoneJson>('mol', 'step', 'done')).toMatchObject({ finished: 'ship', completed: true });
    // Every write happened at the test's time, not the machine's.
    expect(Number(r.git('log', '-1', '--format=%ct', 'gt/ledger').trim())).toBe(Math.floor((t0 + 2000) / 1000));
  }
});

describe('two agents on one molecule', () => {
  it('claim parallel steps on their own branches, never the same one, and merge without losing either', () => {
    const m = r.gtJson<MoleculeJson>('mol', 'pour', 'shiny', '--var', 'feature=Search', '--assignee', 'alice');
    r.gtOk('mol', 'step', 'done', '--mol', m.id, 'design');
    r.gtOk('mol', 'step', 'done', '--mol', m.id, 'implement');
    // Alice claims review on her branch; Bob, not seeing it merged, is not given it.
    expect(asJson<{ step: StepJson }>('alice', 'mol', 'step', 'claim', 'review').step).toMatchObject({ id: 'review', assignee: 'alice' });
    const bobClaim = r.gt(['mol', 'step', 'claim', 'review', '--mol', m.id], { env: { GT_AGENT: 'bob' } });
    expect(bobClaim.status).not.toBe(0);
    expect(bobClaim.stderr).toContain('gt: step review is held by alice (on its branch, not merged yet)');
    const bob = asJson<DoneJson>('bob', 'mol', 'step', 'done', '--mol', m.id, 'test', '--continue');
    // Nothing else is ready for Bob: submit waits on review, which Alice holds.
    expect(bob).toMatchObject({ finished: 'test', claimed: null });
    expect(r.git('log', '-1', '--format=%an %s', 'gt/agents/bob').trim()).toBe(`bob mol step done ${m.id} test: Test Search`);
    as('alice', 'mol', 'step', 'done', 'review');
    r.gtOk('merge');
    const merged = r.gtJson<MoleculeJson>('mol', 'show', m.id);
    expect(stepOf(merged, 'review')).toMatchObject({ status: 'done', assignee: 'alice' });
    expect(stepOf(merged, 'test')).toMatchObject({ status: 'done', assignee: 'bob' });
    expect(stepOf(merged, 'submit').state).toBe('ready');
  });
});

describe('[squash] trigger = "on_complete"', () => {
  it('a wisp squashes itself into a digest bead when its last step is done', () => {
    writeFileSync(join(r.dir, '.gt', 'formulas', 'tidy.formula.toml'), 'formula = "tidy"\nversion = 1\n[squash]\ntrigger = "on_complete"\n[[steps]]\nid = "sweep"\ntitle = "Sweep"\n[[steps]]\nid = "report"\ntitle = "Report"\nneeds = ["sweep"]\n');
    const before = allRefs();
    const w = r.gtJson<MoleculeJson>('mol', 'wisp', 'tidy');
    r.gtOk('mol', 'step', 'done', '--mol', w.id, 'sweep');
    expect(allRefs()).toBe(before);
    const last = r.gtJson<DoneJson & { digest: string | null }>('mol', 'step', 'done', '--mol', w.id, 'report');
    expect(last.completed).toBe(true);
    expect(last.digest).toMatch(/^gt-/);
    expect(r.gtJson<{ title: string; status: string }[]>('show', last.digest!)[0]).toMatchObject({ title: 'Digest: tidy', status: 'closed' });
    expect(r.gtJson<MoleculeJson[]>('mol', 'list', '--all').map((m) => m.id)).not.toContain(w.id);
  });
});

describe('the observer and molecules', () => {
  it('completes a molecule whose last steps were finished on two branches, and closes its bead', () => {
    writeFileSync(join(r.dir, '.gt', 'formulas', 'pair.formula.toml'), 'formula = "pair"\nversion = 1\n[[steps]]\nid = "left"\ntitle = "Left"\n[[steps]]\nid = "right"\ntitle = "Right"\n');
    const bead = r.gtJson<{ id: string }>('create', 'Two halves').id;
    r.gtOk('sling', bead, 'alice', '--formula', 'pair', '--create-agent');
    const m = r.gtJson<MoleculeJson[]>('mol', 'list').find((x) => x.bead === bead)!;
    as('alice', 'mol', 'step', 'claim', 'left', '--mol', m.id);
    as('bob', 'mol', 'step', 'claim', 'right', '--mol', m.id);
    as('alice', 'mol', 'step', 'done', 'left', '--mol', m.id);
    as('bob', 'mol', 'step', 'done', 'right', '--mol', m.id);
    const report = r.gtJson<{ actions: { kind: string; line: string }[] }>('observe');
    expect(report.actions.map((a) => a.kind)).toContain('completed');
    expect(r.gtJson<MoleculeJson>('mol', 'show', m.id)).toMatchObject({ status: 'done', finished: 2, total: 2 });
    expect(r.gtJson<{ status: string }[]>('show', bead)[0]!.status).toBe('closed');
    // Nothing left to settle: a second pass does nothing.
    expect(r.gtJson<{ actions: unknown[] }>('observe').actions).toEqual([]);
  });
});

/** A worker: asks for its current step, "works" on it, finishes it and claims the next; writes what it does to a log. */
const WORKER = `
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
const [gtBin, cwd, log, stallAt] = process.argv.slice(2);
const gt = (...args) => {
  const out = spawnSync(process.execPath, [gtBin, ...args, '--json'], { cwd, encoding: 'utf8', env: process.env });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout);
};
let done = 0;
for (;;) {
  const { current } = gt('mol', 'current');
  if (!current) break;
  appendFileSync(log, 'working ' + current.id + '\\n');
  // The work of a step takes a moment; at the chosen step it takes "forever" (an hour: the test kills us here).
  await new Promise((resolve) => setTimeout(resolve, done === Number(stallAt) ? 3_600_000 : 50));
  const result = gt('mol', 'step', 'done', '--continue');
  done++;
  appendFileSync(log, 'done ' + result.finished + '\\n');
  if (result.completed) break;
}
appendFileSync(log, 'finished\\n');
`;

describe('a molecule on the hook', () => {
  it('sling --formula pours it with the bead; prime shows the step; a killed worker\'s successor resumes at the first unfinished step', async () => {
    const bead = r.gtJson<{ id: string; title: string }>('create', 'Add audit log', '-d', 'Log every admin action');
    const start = commits();
    const slung = r.gtJson<{ bead: { status: string }; convoy: { id: string }; molecule: { id: string; bead: string; assignee: string; vars: Record<string, string>; title: string } }>(
      'sling',
      bead.id,
      'ann',
      '--formula',
      'shiny',
      '--create-agent',
    );
    expect(commits()).toBe(start + 1);
    expect(slung.bead.status).toBe('hooked');
    expect(slung.molecule).toMatchObject({ bead: bead.id, assignee: 'ann', title: 'shiny: Add audit log', vars: { feature: 'Add audit log', issue: bead.id } });
    const mol = slung.molecule.id;
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`sling ${bead.id} to ann: Add audit log (convoy ${slung.convoy.id}, molecule ${mol})`);

    const prime = as('ann', 'prime');
    expect(prime).toContain(`#### Molecule ${mol}: shiny: Add audit log`);
    expect(prime).toContain('Current step: design: Design Add audit log');
    expect(prime).toContain('    Sketch how Add audit log should work.');
    expect(prime).toContain('gt mol step done --continue');

    // The first worker finishes two steps, claims the third, and is killed while working on it.
    const scratch = join(r.dir, '..');
    const workerFile = join(scratch, 'worker.mjs');
    writeFileSync(workerFile, WORKER);
    const log1 = join(scratch, 'worker-1.log');
    writeFileSync(log1, '');
    const env = { ...process.env, ...GIT_ENV, GT_AGENT: 'ann' };
    const worker = spawn(process.execPath, [workerFile, GT_BIN, r.dir, log1, '2'], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code, signal) => resolve(signal ? null : code)));
    await waitFor('the worker to reach its third step', () => (readFileSync(log1, 'utf8').includes('working review') ? true : undefined));
    worker.kill('SIGKILL');
    expect(await exited).toBeNull();
    expect(readFileSync(log1, 'utf8')).toBe('working design\ndone design\nworking implement\ndone implement\nworking review\n');

    // The successor, with the same hook, resumes at the first unfinished step: review, still claimed.
    const resumed = asJson<BriefJson>('ann', 'mol', 'current');
    expect(resumed).toMatchObject({ id: mol, finished: 2, total: 5, current: { id: 'review', state: 'in_progress', assignee: 'ann' } });
    expect(as('ann', 'prime')).toContain('Current step: review: Review Add audit log [in progress, yours]');

    const log2 = join(scratch, 'worker-2.log');
    writeFileSync(log2, '');
    const successor = spawn(process.execPath, [workerFile, GT_BIN, r.dir, log2, '-1'], { env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => successor.once('exit', resolve));
    expect(code).toBe(0);
    expect(readFileSync(log2, 'utf8')).toBe('working review\ndone review\nworking test\ndone test\nworking submit\ndone submit\nfinished\n');

    // Finishing the last step completed the molecule and closed the bead, on ann's branch.
    expect(asJson<MoleculeJson>('ann', 'mol', 'show', mol)).toMatchObject({ status: 'done', finished: 5 });
    // The same commit landed the convoy tracking the bead; the observer merges it.
    expect(r.git('log', '-1', '--format=%s', 'gt/agents/ann').trim()).toBe(
      `mol step done ${mol} submit: Submit Add audit log (molecule complete); close ${bead.id}; landed ${slung.convoy.id} "Work: Add audit log" (1 bead)`,
    );
    r.gtOk('observe');
    expect(r.gtJson<{ status: string; close_reason?: string }[]>('show', bead.id)[0]).toMatchObject({ status: 'closed', close_reason: `molecule ${mol} (shiny) complete` });
    expect(r.gtJson<{ status: string; close_reason?: string }>('convoy', 'status', slung.convoy.id)).toMatchObject({ status: 'closed', close_reason: 'All tracked beads closed' });
    expect(r.gtOk('mail', 'inbox')).toContain('Convoy landed: Work: Add audit log');
  });

  it('follows its bead to a new agent on a forced re-sling, who takes over the step in progress', () => {
    const bead = r.gtJson<{ id: string }>('create', 'Fix the login');
    const mol = r.gtJson<{ molecule: { id: string } }>('sling', bead.id, 'ann', '--formula', 'shiny', '--create-agent').molecule.id;
    as('ann', 'mol', 'step', 'done', '--continue');
    r.gtOk('merge');
    expect(refused(['sling', bead.id, 'bob', '--formula', 'shiny', '--force', '--create-agent'])).toBe(`gt: ${bead.id} already has an active molecule: ${mol} (shiny)`);
    r.gtOk('sling', bead.id, 'bob', '--force', '--create-agent');
    expect(asJson<BriefJson>('bob', 'mol', 'current')).toMatchObject({ id: mol, current: { id: 'implement', state: 'in_progress', assignee: 'bob' } });
  });
});
