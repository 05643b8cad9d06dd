import { describe, expect, it } from 'vitest';
import { useGtRepo } from '../helpers/repo.js';

/** What the seeds describe: unknown variables and agents are refused with the closest names; reopen takes a reason. */

const r = useGtRepo();

const refs = (): string => r.git('for-each-ref', '--format=%(refname) %(objectname)');
/** Fails with exit `code`, one `gt:` line (returned) and maybe a hint, changing no ref. */
function refused(args: string[], code: number): { line: string; stderr: string } {
  const before = refs();
  const out = r.gt(args);
  expect(out.status, out.stderr).toBe(code);
  const lines = out.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^gt: /);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: '))).toBe(true);
  expect(out.stderr).not.toContain('internal error');
  expect(refs()).toBe(before);
  return { line: lines[0]!, stderr: out.stderr };
}

describe('unknown --var names', () => {
  it('cook, mol pour, mol wisp, sling --formula and formula run name the closest declared variable', () => {
    const bead = r.gtJson<{ id: string }>('create', 'Search').id;
    r.gtOk('agents', 'add', 'ann');
    for (const args of [
      ['cook', 'feature', '--var', 'featur=Search'],
      ['mol', 'pour', 'feature', '--var', 'feature=Search', '--var', 'featur=x'],
      ['mol', 'wisp', 'feature', '--var', 'featur=Search'],
      ['sling', bead, 'ann', '--formula', 'feature', '--var', 'featur=Search'],
    ]) {
      const { line, stderr } = refused(args, 2);
      expect(line, args.join(' ')).toBe("gt: formula feature has no variable 'featur'; did you mean 'feature'?");
      expect(stderr).toMatch(/hint: its variables: .*feature/);
    }
    expect(refused(['formula', 'run', 'parallel-review', '--var', 'targt=main'], 2).line).toBe("gt: formula parallel-review has no variable 'targt'; did you mean 'target'?");
    // Declared names still bind, and sling's own defaults (issue, feature) are not the user's typos.
    expect(r.gtJson<{ steps: unknown[] }>('cook', 'feature', '--var', 'feature=Search').steps.length).toBeGreaterThan(0);
    r.gtOk('sling', bead, 'ann', '--formula', 'feature');
  });
});

describe('gt sling to an agent that does not exist', () => {
  it('is refused with the closest agent names, unless --create-agent', () => {
    const a = r.gtJson<{ id: string }>('create', 'One').id;
    const b = r.gtJson<{ id: string }>('create', 'Two').id;
    r.gtOk('agents', 'add', 'alice');
    r.gtOk('agents', 'add', 'bob');
    const { line, stderr } = refused(['sling', a, 'alcie'], 1);
    expect(line).toBe("gt: there is no agent named 'alcie' (closest: alice, bob)");
    expect(stderr).toContain('hint: to create it, sling with --create-agent, or register it first: gt agents add alcie');
    expect(r.gtJson<{ name: string }[]>('agents').map((x) => x.name)).toEqual(['alice', 'bob']);
    r.gtOk('sling', a, 'alice');
    expect(r.gtOk('sling', b, 'carol', '--create-agent')).toContain(`hooked on carol`);
    expect(r.gtJson<{ name: string; role: string }[]>('agents').map((x) => `${x.name}:${x.role}`)).toEqual(['alice:polecat', 'bob:polecat', 'carol:polecat']);
    expect(r.gtOk('sling', '--help')).toContain('--create-agent');
  });

  it('an agent with a branch, or slinging to yourself, needs no --create-agent', () => {
    const a = r.gtJson<{ id: string }>('create', 'One').id;
    const b = r.gtJson<{ id: string }>('create', 'Two').id;
    r.gtOk('--as', 'dan', 'comment', 'add', a, 'looking');
    r.gtOk('sling', a, 'dan');
    r.gtOk('--as', 'eve', 'sling', b);
  });
});

describe('gt reopen --reason', () => {
  it('reopens and records the reason, as close does', () => {
    const a = r.gtJson<{ id: string }>('create', 'Flaky test').id;
    r.gtOk('close', a, '--reason', 'fixed');
    expect(r.gtOk('reopen', a, '--reason', 'fails again on CI')).toContain(`reopened ${a}`);
    const bead = r.gtJson<{ status: string; close_reason?: string; comments: { text: string; author: string }[] }[]>('show', a)[0]!;
    expect(bead.status).toBe('open');
    expect(bead.close_reason).toBeUndefined();
    expect(bead.comments.map((c) => `${c.author}: ${c.text}`)).toEqual(['overseer: Reopened: fails again on CI']);
    expect(r.git('log', '-1', '--format=%B', 'gt/ledger').trim()).toBe(`reopen ${a}: Flaky test\n\nfails again on CI\n\nGt-Actor: overseer`);
    r.gtOk('close', a);
    r.gtOk('reopen', a);
    expect(r.gtJson<{ comments: unknown[] }[]>('show', a)[0]!.comments).toHaveLength(1);
  });
});
