import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, useGtRepo } from '../helpers/repo.js';

interface BeadJson {
  id: string;
  title: string;
  status: string;
  assignee?: string;
  labels: string[];
  comments: { text: string; author: string }[];
  priority: number;
}

const r = useGtRepo();

const as = (agent: string, ...args: string[]): string => {
  const result = r.gt(args, { env: { GT_AGENT: agent } });
  if (result.status !== 0) throw new Error(`gt ${args.join(' ')} as ${agent}: ${result.stderr}`);
  return result.stdout;
};
const showAs = (agent: string | undefined, id: string): BeadJson =>
  (JSON.parse(agent ? as(agent, 'show', id, '--json') : r.gtOk('show', id, '--json')) as BeadJson[])[0]!;

describe('agent branches', () => {
  it('an agent writes to its own branch; its reads see the ledger plus its own changes', () => {
    const a = r.gtJson<BeadJson>('create', 'Task A');
    const ledgerBefore = r.git('rev-parse', 'gt/ledger');
    as('alice', 'update', a.id, '--claim');
    expect(r.git('rev-parse', 'gt/ledger')).toBe(ledgerBefore);
    expect(r.git('log', '-1', '--format=%an %s', 'gt/agents/alice').trim()).toBe(`alice claim ${a.id}: status, assignee`);
    expect(showAs('alice', a.id).status).toBe('in_progress');
    expect(showAs(undefined, a.id).status).toBe('open');
    // The ledger moves on; alice still sees both.
    const b = r.gtJson<BeadJson>('create', 'Task B');
    expect(JSON.parse(as('alice', 'list', '--json')).map((x: BeadJson) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(showAs('alice', a.id).status).toBe('in_progress');
  });

  it('two agents claim and close work; gt merge lands both, nothing lost, branches move to the ledger tip', () => {
    const a = r.gtJson<BeadJson>('create', 'Task A', '-l', 'base');
    const b = r.gtJson<BeadJson>('create', 'Task B');
    as('alice', 'update', a.id, '--claim');
    as('bob', 'update', b.id, '--claim');
    as('bob', 'comment', 'add', a.id, 'bob was here');
    as('bob', 'label', 'add', a.id, 'from-bob');
    as('alice', 'close', a.id, '--reason', 'done');
    as('alice', 'update', a.id, '-p', '1');
    const merged = r.gtJson<{ agent: string; outcome: string; changed: string[] }[]>('merge');
    expect(merged.map((m) => [m.agent, m.outcome])).toEqual([
      ['alice', 'merged'],
      ['bob', 'merged'],
    ]);
    const finalA = showAs(undefined, a.id);
    expect(finalA).toMatchObject({ status: 'closed', priority: 1, labels: ['base', 'from-bob'] });
    expect(finalA.comments.map((c) => c.text)).toEqual(['bob was here']);
    expect(showAs(undefined, b.id)).toMatchObject({ status: 'in_progress', assignee: 'bob' });
    const tip = r.git('rev-parse', 'gt/ledger');
    expect(r.git('rev-parse', 'gt/agents/alice')).toBe(tip);
    expect(r.git('rev-parse', 'gt/agents/bob')).toBe(tip);
    for (const file of r.git('ls-tree', '-r', '--name-only', 'gt/ledger').trim().split('\n')) {
      expect(r.git('show', `gt/ledger:${file}`)).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    }
    expect(r.gtJson<unknown[]>('merge').every((m) => (m as { outcome: string }).outcome === 'up-to-date')).toBe(true);
    r.git('fsck', '--strict');
  });

  it('the same field edited on two branches: the later edit wins and the merge commit names the other', () => {
    const a = r.gtJson<BeadJson>('create', 'Original');
    as('alice', 'update', a.id, '--title', 'Alice title');
    as('bob', 'update', a.id, '--title', 'Bob title');
    r.gtOk('merge', 'bob');
    r.gtOk('merge', 'alice');
    expect(showAs(undefined, a.id).title).toBe('Bob title');
    const message = r.git('log', '-1', '--format=%B', 'gt/ledger');
    expect(message).toContain('merge gt/agents/alice');
    expect(message).toContain('kept "Bob title"');
    expect(message).toContain('"Alice title"');
  });

  it('an agent touching a bead created on the ledger after its branch replays its work on the ledger tip', () => {
    const a = r.gtJson<BeadJson>('create', 'Early');
    as('alice', 'update', a.id, '--claim');
    const late = r.gtJson<BeadJson>('create', 'Late');
    as('alice', 'update', late.id, '--claim');
    expect(r.git('merge-base', 'gt/agents/alice', 'gt/ledger').trim()).toBe(r.git('rev-parse', 'gt/ledger').trim());
    r.gtOk('merge');
    expect(showAs(undefined, a.id).assignee).toBe('alice');
    expect(showAs(undefined, late.id).assignee).toBe('alice');
  });

  it('two beads created on two branches under one id both survive the merge', () => {
    const a = r.gtJson<BeadJson>('create', 'Seed');
    as('alice', 'update', a.id, '--title', 'touch');
    as('bob', 'update', a.id, '-p', '1');
    const collide = (agent: string, title: string, createdAt: string): void => {
      const wt = join(r.dir, '..', `wt-${agent}`);
      r.git('worktree', 'add', '-q', wt, `gt/agents/${agent}`);
      writeFileSync(
        join(wt, 'beads', 'gt-dupe.yaml'),
        `id: gt-dupe\ntitle: ${title}\ntype: task\nstatus: open\npriority: 2\ncreated_at: "${createdAt}"\ncreated_by: ${agent}\nupdated_at: "${createdAt}"\n`,
      );
      r.git('-C', wt, 'add', '-A');
      r.git('-C', wt, 'commit', '-qm', `create gt-dupe: ${title}`);
      r.git('worktree', 'remove', '--force', wt);
    };
    collide('alice', 'From alice', '2026-01-01T00:00:00.000Z');
    collide('bob', 'From bob', '2026-01-02T00:00:00.000Z');
    const reports = r.gtJson<{ renames: { from: string; to: string }[] }[]>('merge');
    const rename = reports.flatMap((x) => x.renames)[0]!;
    expect(rename.from).toBe('gt-dupe');
    const titles = r.gtJson<BeadJson[]>('list').map((b) => b.title).sort();
    expect(titles).toEqual(['From alice', 'From bob', 'touch']);
    expect(showAs(undefined, rename.to).title).toBe('From bob');
  });

  it('refuses an invalid agent name', () => {
    const result = r.gt(['list', '--as', 'Bad Name']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("invalid agent name 'Bad Name'");
  });
});

describe('stuck agents, on the GT_NOW clock', () => {
  it('a working agent with no activity for GT_STUCK_MINUTES (default 120) is shown stuck', () => {
    // The test's clock: the work is slung at t0, and `gt agents` is asked at later instants, no waiting.
    const t0 = Date.parse('2026-01-01T09:00:00Z');
    const at = (minutes: number): Record<string, string> => ({ GT_NOW: new Date(t0 + minutes * 60_000).toISOString() });
    r.env = at(0);
    const bead = r.gtJson<BeadJson>('create', 'Long task');
    r.gtOk('sling', bead.id, 'alice', '--create-agent');
    r.env = {};
    const stateAt = (minutes: number, env: Record<string, string> = {}): string | undefined => {
      const out = r.gt(['agents', '--json'], { env: { ...at(minutes), ...env } });
      expect(out.status, out.stderr).toBe(0);
      return (JSON.parse(out.stdout) as { name: string; state: string }[]).find((a) => a.name === 'alice')?.state;
    };
    expect(stateAt(119)).toBe('working');
    expect(stateAt(121)).toBe('stuck');
    expect(stateAt(29, { GT_STUCK_MINUTES: '30' })).toBe('working');
    expect(stateAt(31, { GT_STUCK_MINUTES: '30' })).toBe('stuck');
  });

  it('refuses a GT_NOW that is not a time, in one line', () => {
    const out = r.gt(['agents'], { env: { GT_NOW: 'tomorrow' } });
    expect(out.status).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe("gt: GT_NOW must be an ISO 8601 time or epoch milliseconds, not 'tomorrow'");
  });
});

describe('writes that change nothing', () => {
  it('create no agent branch and no commit', () => {
    const repo = makeRepo();
    try {
      repo.gtOk('init');
      const bead = repo.gtJson<BeadJson>('create', 'Same');
      const result = repo.gt(['update', bead.id, '--title', 'Same'], { env: { GT_AGENT: 'alice' } });
      expect(result.stdout).toContain('nothing changed');
      expect(repo.git('branch', '--list', 'gt/agents/*').trim()).toBe('');
    } finally {
      repo.cleanup();
    }
  });
});
