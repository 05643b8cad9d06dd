import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeRepo, makeTempDir, runGt, type RunResult, type TestRepo } from '../helpers/repo.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/formulas');

interface StepJson {
  id: string;
  title: string;
  needs: string[];
  gate?: { type: string; id?: string; timeout?: string };
}
interface ProtoJson {
  formula: string;
  type: string;
  version: number;
  vars: Record<string, { default?: string; required?: boolean; enum?: string[] }>;
  steps: StepJson[];
  source: string;
  scope?: string;
  shadows?: { file: string; scope: string }[];
}
interface ListJson {
  name: string;
  type?: string;
  scope: string;
  source: string;
  shadows: { file: string; scope: string }[];
  error?: string;
}
interface BeadJson {
  id: string;
  title: string;
  status: string;
  assignee?: string;
  description?: string;
  labels: string[];
  deps: { type: string; id: string }[];
}
interface RunJson {
  convoy: { id: string; title: string; tracks: string[]; feed?: string[] };
  legs: BeadJson[];
  synthesis: BeadJson;
  hooked: { bead: string; agent: string }[];
}

let r: TestRepo;
let userDir: string;
beforeEach(() => {
  r = makeRepo();
  userDir = makeTempDir('gt-user-formulas-');
});
afterEach(() => {
  r.cleanup();
  rmSync(userDir, { recursive: true, force: true });
});

const gt = (...args: string[]): RunResult => runGt(args, r.dir, { GT_FORMULA_PATH: userDir });
const ok = (...args: string[]): string => {
  const out = gt(...args);
  expect(out.status, `gt ${args.join(' ')}: ${out.stderr}`).toBe(0);
  return out.stdout;
};
const json = <T>(...args: string[]): T => JSON.parse(ok(...args, '--json')) as T;
/** Fails with one `gt: …` line (and maybe a hint), no stack trace. */
const fail = (...args: string[]): string => {
  const out = gt(...args);
  expect(out.status, `gt ${args.join(' ')} should fail`).not.toBe(0);
  const lines = out.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^gt: /);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: '))).toBe(true);
  expect(out.stderr).not.toContain('    at ');
  return lines[0]!;
};
const repoFormulas = (): string => {
  const dir = join(r.dir, '.gt', 'formulas');
  mkdirSync(dir, { recursive: true });
  return dir;
};
const addFixture = (dir: string, name: string): void => copyFileSync(join(FIXTURES, `${name}.formula.toml`), join(dir, `${name}.formula.toml`));

describe('gt formula list and show', () => {
  it('lists the repository\'s, the user\'s and the built-in formulas, earlier shadowing later', () => {
    const repo = repoFormulas();
    writeFileSync(join(repo, 'feature.formula.toml'), 'formula = "feature"\ndescription = "Our own feature flow"\n[[steps]]\nid = "only"\n');
    addFixture(userDir, 'flow');
    writeFileSync(join(userDir, 'feature.formula.toml'), 'formula = "feature"\n[[steps]]\nid = "user"\n');
    writeFileSync(join(userDir, 'broken.formula.toml'), 'formula = \n');
    const list = json<ListJson[]>('formula', 'list');
    const byName = new Map(list.map((f) => [f.name, f]));
    expect([...byName.keys()]).toEqual(['broken', 'draft-refine', 'feature', 'feature-hardened', 'flow', 'parallel-review', 'release', 'security-checks']);
    expect(byName.get('feature')).toMatchObject({ scope: 'repo', type: 'workflow' });
    expect(byName.get('feature')!.shadows.map((s) => s.scope)).toEqual(['user', 'builtin']);
    expect(byName.get('flow')!.scope).toBe('user');
    expect(byName.get('release')).toMatchObject({ scope: 'builtin', type: 'workflow' });
    expect(byName.get('parallel-review')!.type).toBe('convoy');
    expect(byName.get('broken')!.error).toMatch(/broken\.formula\.toml:1: TOML syntax error/);
    const text = ok('formula', 'list');
    expect(text).toMatch(/^feature +workflow +v1 +repo +Our own feature flow$/m);
    expect(text).toMatch(/shadows the builtin one: .*formulas\/feature\.formula\.toml/);
  });

  it('shows variables and steps as a tree, or the protomolecule as JSON', () => {
    const text = ok('formula', 'show', 'release');
    expect(text).toContain('release: workflow formula, version 1');
    expect(text).toMatch(/channel +default "stable", one of stable\|beta/);
    expect(text).toMatch(/version +required, matches/);
    expect(text).toMatch(/soak +Let \{\{version\}\} soak +\[gate timer 24h\]/);
    expect(text).toMatch(/approve +Approve publishing \{\{version\}\} +\[gate human release-\{\{version\}\}\]/);
    const proto = json<ProtoJson>('formula', 'show', 'feature-hardened');
    expect(proto.scope).toBe('builtin');
    expect(proto.steps.map((s) => s.id)).toContain('implement.refine-3');
    expect(proto.steps[0]!.title).toBe('Design {{feature}}');
    const tree = ok('formula', 'show', join(FIXTURES, 'review-legs.formula.toml'));
    expect(tree).toContain('legs: logic, safety, speed');
    expect(tree).toContain('preset quick: logic, safety');
    expect(tree).toMatch(/^  ├─ logic +Logic review$/m);
    expect(tree).toMatch(/^     synthesis +Merge the reviews +\[needs logic, safety, speed\]$/m);
  });
});

describe('gt cook', () => {
  it('prints the protomolecule as stable JSON, and one line per step', () => {
    const path = join(FIXTURES, 'flow-polished.formula.toml');
    const a = gt('cook', path, '--var', 'feature=search', '--json');
    const b = gt('cook', path, '--var', 'feature=search', '--json');
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('\n  "formula": "flow-polished",\n');
    const proto = JSON.parse(a.stdout) as ProtoJson;
    expect(proto.steps.map((s) => `${s.id} <- ${s.needs.join(',')}`)).toEqual([
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
    expect(proto.steps[0]!.title).toBe('Design search');
    const text = ok('cook', path).split('\n');
    expect(text[0]).toMatch(/^design +Design \{\{feature\}\}$/);
    expect(text[1]).toMatch(/^implement\.draft +Draft: Implement \{\{feature\}\} +← design$/);
  });

  // How fast: `npm run bench` times `gt mol pour` (cook + pour) of a 1,000-step formula; a test asserts no time.
  it('cooks a 1,000-step formula, as a whole process', () => {
    const out = gt('cook', join(FIXTURES, 'hanoi.formula.toml'), '--var', 'disks=10', '--json');
    expect(out.status).toBe(0);
    expect((JSON.parse(out.stdout) as ProtoJson).steps).toHaveLength(1025);
  });

  it('fails with one line naming the file, line and key', () => {
    expect(fail('cook', 'no-such-formula')).toBe("gt: no formula named 'no-such-formula'");
    const bad = join(repoFormulas(), 'bad.formula.toml');
    writeFileSync(bad, 'formula = "bad"\n[[steps]]\nid = "a"\n[[steps]]\nid = "b"\nneeds = ["c"]\n');
    expect(fail('cook', 'bad')).toBe(`gt: ${bad}:6: steps[1].needs: step 'b' needs 'c', which is not a step`);
    expect(fail('cook', 'release', '--var', 'version=one')).toMatch(/^gt: .*release\.formula\.toml:\d+: vars\.version: variable 'version' is 'one', which does not match the pattern/);
    expect(fail('cook', 'release', '--var', 'channel=nightly', '--var', 'version=1.0.0')).toMatch(/vars\.channel: variable 'channel' is 'nightly', which is not one of: stable, beta/);
    expect(fail('cook', 'feature', '--var', 'oops')).toBe("gt: --var takes name=value, not 'oops'");
  });
});

describe('gt formula run', () => {
  beforeEach(() => {
    ok('init', '--prefix', 'gt');
    addFixture(repoFormulas(), 'review-legs');
  });
  const commits = (): number => Number(r.git('rev-list', '--count', 'gt/ledger').trim());

  it('creates a bead per leg, a synthesis blocked by the legs and a convoy tracking all, in one commit', () => {
    const before = commits();
    const run = json<RunJson>('formula', 'run', 'review-legs', '--var', 'subject=the parser');
    expect(commits()).toBe(before + 1);
    expect(run.legs.map((l) => l.title)).toEqual(['Logic review', 'Safety review', 'Speed review']);
    expect(run.legs[0]!.description).toContain('Review the parser (normal) for review-legs.');
    expect(run.legs[0]!.labels).toEqual(['formula:review-legs']);
    expect(run.synthesis.title).toBe('Merge the reviews');
    expect(run.synthesis.deps.filter((d) => d.type === 'blocks').map((d) => d.id).sort()).toEqual(run.legs.map((l) => l.id).sort());
    expect([...run.convoy.tracks].sort()).toEqual([...run.legs.map((l) => l.id), run.synthesis.id].sort());
    expect(run.hooked).toEqual([]);
    const blocked = json<{ id: string }[]>('blocked');
    expect(blocked.map((b) => b.id)).toContain(run.synthesis.id);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toMatch(/^formula run review-legs: gt-cv-\w+ with 3 legs and synthesis gt-\w+$/);
  });

  it('runs a preset and hooks legs on agents round-robin', () => {
    const before = commits();
    const run = json<RunJson>('formula', 'run', 'review-legs', '--preset', 'quick', '--var', 'subject=x', '--to', 'ann,bob', '--to', 'cy');
    expect(commits()).toBe(before + 1);
    expect(run.legs.map((l) => l.title)).toEqual(['Logic review', 'Safety review']);
    expect(run.hooked).toEqual([
      { bead: run.legs[0]!.id, agent: 'ann' },
      { bead: run.legs[1]!.id, agent: 'bob' },
    ]);
    expect(run.legs.map((l) => [l.status, l.assignee])).toEqual([
      ['hooked', 'ann'],
      ['hooked', 'bob'],
    ]);
    expect(run.convoy.feed).toEqual(['ann', 'bob', 'cy']);
    const text = ok('formula', 'run', 'review-legs', '--var', 'subject=y');
    expect(text).toMatch(/^🚚 gt-cv-\w+: review-legs with 3 legs and a synthesis$/m);
  });

  it('refuses what it cannot run, changing nothing', () => {
    const before = commits();
    expect(fail('formula', 'run', 'feature')).toBe("gt: 'feature' is a workflow formula; gt formula run runs convoy formulas");
    expect(gt('formula', 'run', 'feature').stderr).toContain('hint: pour it as a molecule instead: gt mol pour feature');
    expect(fail('formula', 'run', 'review-legs')).toMatch(/review-legs\.formula\.toml:\d+: inputs\.subject: missing required variable 'subject'/);
    expect(fail('formula', 'run', 'review-legs', '--var', 'subject=x', '--preset', 'slow')).toBe("gt: 'review-legs' has no preset 'slow'");
    expect(commits()).toBe(before);
  });
});
