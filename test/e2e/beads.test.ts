import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGtRepo, ledgerFile } from '../helpers/repo.js';

interface BeadJson {
  id: string;
  title: string;
  type: string;
  status: string;
  priority: number;
  assignee?: string;
  labels: string[];
  deps: { type: string; id: string }[];
  comments: { id: string; author: string; text: string }[];
  closed_at?: string;
  close_reason?: string;
  created_by: string;
}

const r = useGtRepo();

const create = (...args: string[]): BeadJson => r.gtJson<BeadJson>('create', ...args);

describe('beads from the CLI', () => {
  it('creates a bead as one commit with a message that says what happened', () => {
    const bead = create('Fix login bug', '-t', 'bug', '-p', '1', '-l', 'auth,ui', '-d', 'Users cannot log in.\nSince Tuesday.', '--acceptance', 'login works', '-a', 'alice');
    expect(bead.id).toMatch(/^gt-[0-9a-z]{4}$/);
    expect(bead).toMatchObject({ title: 'Fix login bug', type: 'bug', status: 'open', priority: 1, assignee: 'alice', labels: ['auth', 'ui'], created_by: 'overseer' });
    expect(r.git('log', '-1', '--format=%s|%an|%(trailers:key=Gt-Actor,valueonly)', 'gt/ledger').trim()).toBe(`create ${bead.id}: Fix login bug|Test User|overseer`);
    const file = r.git('show', `gt/ledger:${ledgerFile('beads', bead.id)}`);
    expect(file).toContain('description: |-\n  Users cannot log in.\n  Since Tuesday.\n');
    expect(file.endsWith('\n') && !file.endsWith('\n\n')).toBe(true);
    expect(r.git('status', '--porcelain')).toBe('');
  });

  it('shows, lists with filters, and hides closed beads unless asked', () => {
    const a = create('Alpha task', '-p', '3', '-l', 'x');
    const b = create('Beta bug', '-t', 'bug', '-p', '0', '-a', 'bob');
    const c = create('Gamma done');
    r.gtOk('close', c.id, '--reason', 'done already');
    const shown = r.gtJson<(BeadJson & { dependents: unknown[] })[]>('show', a.id.slice(0, 5), b.id);
    expect(shown.map((x) => x.id)).toEqual([a.id, b.id]);
    expect(r.gtJson<BeadJson[]>('list').map((x) => x.id)).toEqual([b.id, a.id]);
    expect(r.gtJson<BeadJson[]>('list', '--all').length).toBe(3);
    expect(r.gtJson<BeadJson[]>('list', '--status', 'closed').map((x) => x.id)).toEqual([c.id]);
    expect(r.gtJson<BeadJson[]>('list', '--type', 'bug').map((x) => x.id)).toEqual([b.id]);
    expect(r.gtJson<BeadJson[]>('list', '--assignee', 'bob').map((x) => x.id)).toEqual([b.id]);
    expect(r.gtJson<BeadJson[]>('list', '--label', 'x').map((x) => x.id)).toEqual([a.id]);
    expect(r.gtJson<BeadJson[]>('list', '--text', 'beta').map((x) => x.id)).toEqual([b.id]);
    expect(r.gtJson<BeadJson[]>('list', '--priority', '3').map((x) => x.id)).toEqual([a.id]);
    expect(r.gtJson<BeadJson[]>('list', '--sort', 'title', '--limit', '1').map((x) => x.id)).toEqual([a.id]);
    const text = r.gtOk('list');
    expect(text).toContain(`○  ${b.id}  P0  bug       Beta bug  @bob`);
    expect(r.gtOk('show', c.id)).toContain('done already');
  });

  it('ready follows blocks dependencies and blocked parents transitively; blocked says why', () => {
    const base = create('Set up database', '-p', '2');
    const api = create('Build API', '-p', '1', '--deps', `blocks:${base.id}`);
    const epic = create('Epic', '-t', 'epic', '--deps', `blocks:${api.id}`);
    const child = create('Child of a blocked epic', '--parent', epic.id, '-p', '0');
    const free = create('Free task', '-p', '3');
    expect(r.gtJson<BeadJson[]>('ready').map((x) => x.id)).toEqual([base.id, free.id]);
    const blocked = r.gtJson<(BeadJson & { blocked_by: { id: string; reason: string }[] })[]>('blocked');
    expect(blocked.find((x) => x.id === child.id)!.blocked_by).toEqual([{ id: epic.id, reason: 'parent-blocked', status: 'open' }]);
    expect(r.gtOk('blocked')).toContain(`blocked by ${base.id} (open)`);
    r.gtOk('close', base.id);
    expect(r.gtJson<BeadJson[]>('ready').map((x) => x.id)).toEqual([api.id, free.id]);
    r.gtOk('close', api.id);
    expect(r.gtJson<BeadJson[]>('ready').map((x) => x.id)).toEqual([child.id, epic.id, free.id]);
  });

  it('claims atomically: only open and unassigned (or already yours)', () => {
    const bead = create('Claim me');
    const claimed = r.gtJson<BeadJson>('update', bead.id, '--claim', '--as', 'alice');
    expect(claimed).toMatchObject({ status: 'in_progress', assignee: 'alice' });
    const again = r.gt(['update', bead.id, '--claim', '--as', 'bob']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('cannot be claimed: it is in_progress, assigned to alice');
    expect(r.gtJson<BeadJson>('update', bead.id, '--claim', '--as', 'alice').assignee).toBe('alice');
  });

  it('updates fields, labels, comments; closes with a reason; reopens', () => {
    const bead = create('Edit me');
    expect(r.gtOk('update', bead.id, '--title', 'Edited', '-p', 'P1', '--status', 'in_progress')).toContain(`updated ${bead.id}: title, status, priority`);
    r.gtOk('label', 'add', bead.id, 'one', 'two');
    r.gtOk('label', 'remove', bead.id, 'one');
    r.gtOk('comment', 'add', bead.id, 'looks', 'good');
    const comments = r.gtJson<{ author: string; text: string }[]>('comment', 'list', bead.id);
    expect(comments).toMatchObject([{ author: 'overseer', text: 'looks good' }]);
    const closed = r.gtJson<BeadJson[]>('close', bead.id, '-r', 'shipped')[0]!;
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'shipped', labels: ['two'] });
    expect(closed.closed_at).toBeDefined();
    const reopened = r.gtJson<BeadJson[]>('reopen', bead.id)[0]!;
    expect(reopened.status).toBe('open');
    expect(reopened.closed_at).toBeUndefined();
    expect(reopened.close_reason).toBeUndefined();
    expect(r.gtJson<{ total: number; by_status: Record<string, number> }>('stats')).toMatchObject({ total: 1, by_status: { open: 1 } });
  });

  it('an epic with open children needs --force to close', () => {
    const epic = create('Epic', '-t', 'epic');
    create('Child', '--parent', epic.id);
    const refused = r.gt(['close', epic.id]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('has 1 open child bead');
    r.gtOk('close', epic.id, '--force');
  });

  it('dep add/remove/tree, refusing cycles by naming them', () => {
    const a = create('A');
    const b = create('B', '--deps', `blocks:${a.id}`);
    const c = create('C', '--deps', `blocks:${b.id}`);
    const cycle = r.gt(['dep', 'add', a.id, c.id]);
    expect(cycle.status).toBe(1);
    expect(cycle.stderr).toContain(`cycle: ${a.id} → ${c.id} → ${b.id} → ${a.id}`);
    const tree = r.gtJson<{ id: string; children: { id: string; children: { id: string }[] }[] }>('dep', 'tree', c.id);
    expect(tree.children[0]!.id).toBe(b.id);
    expect(tree.children[0]!.children[0]!.id).toBe(a.id);
    expect(r.gtOk('dep', 'tree', c.id)).toContain(`└─ ○ blocks ${b.id}`);
    r.gtOk('dep', 'remove', b.id, a.id);
    r.gtOk('dep', 'add', a.id, c.id, '--type', 'related');
    expect(r.gtJson<BeadJson[]>('show', a.id)[0]!.deps).toEqual([{ type: 'related', id: c.id }]);
  });

  it('rejects bad input with one clear line, a non-zero exit, and no commit', () => {
    const a = create('Existing');
    const before = r.git('rev-parse', 'gt/ledger');
    const cases: [string[], RegExp][] = [
      [['create', ''], /title must not be empty/],
      [['create', 'x', '-p', '7'], /invalid priority '7'/],
      [['create', 'x', '-t', 'story'], /invalid type 'story'/],
      [['create', 'x', '-s', 'done'], /invalid status 'done'/],
      [['create', 'x', '--deps', 'needs:gt-1'], /invalid dependency type 'needs'/],
      [['create', 'x', '--deps', 'blocks:gt-zzzz'], /no bead matches 'gt-zzzz'/],
      [['show', 'nope'], /no bead matches 'nope'/],
      [['update', a.id, '--status', 'bogus'], /invalid status 'bogus'/],
      [['dep', 'add', a.id, a.id], /cycle/],
      [['list', '--sort', 'weight'], /cannot sort by 'weight'/],
    ];
    for (const [args, pattern] of cases) {
      const result = r.gt(args);
      expect(result.status, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(pattern);
      expect(result.stderr.split('\n').filter((l) => l.startsWith('gt:')).length).toBe(1);
      expect(result.stderr).not.toContain('    at ');
    }
    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);
  });

  it('ambiguous id prefixes list the candidates', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add(create(`bead ${i}`).id);
    const byFirst = new Map<string, string[]>();
    for (const id of ids) byFirst.set(id.slice(0, 4), [...(byFirst.get(id.slice(0, 4)) ?? []), id]);
    const [prefix, group] = [...byFirst].find(([, g]) => g.length > 1)!;
    const result = r.gt(['show', prefix]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`'${prefix}' is ambiguous`);
    for (const id of group) expect(result.stderr).toContain(id);
  });

  it('a bead file broken by hand is reported with path and line; every other bead keeps working', () => {
    const good = create('Good');
    const bad = create('Will break');
    const wt = join(r.dir, '..', 'ledger-wt');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    const path = join(wt, ledgerFile('beads', bad.id));
    const text = r.git('show', `gt/ledger:${ledgerFile('beads', bad.id)}`).replace('status: open', 'status: dne');
    writeFileSync(path, text);
    const wtGit = (...args: string[]) => r.git('-C', wt, ...args);
    wtGit('commit', '-qam', 'hand edit');
    const list = r.gt(['list', '--json']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((b: BeadJson) => b.id)).toEqual([good.id]);
    expect(list.stderr).toContain(`${ledgerFile('beads', bad.id)}:4: unknown status 'dne'`);
    const show = r.gt(['show', bad.id]);
    expect(show.status).toBe(1);
    expect(show.stderr).toContain(`${ledgerFile('beads', bad.id)}:4:`);
    const doctor = r.gt(['doctor', '--json']);
    expect(doctor.status).toBe(1);
    expect(JSON.parse(doctor.stdout)).toContainEqual(expect.objectContaining({ severity: 'error', path: ledgerFile('beads', bad.id), line: 4 }));
    r.gtOk('update', good.id, '--title', 'Still works');
    writeFileSync(path, 'id: [unclosed\n');
    wtGit('commit', '-qam', 'worse');
    expect(r.gt(['list']).stderr).toMatch(new RegExp(`${ledgerFile('beads', bad.id).replace(/\./g, '\\.')}:\\d+:`));
  });

  it('sees a native git commit on the ledger at the next command', () => {
    const bead = create('Native');
    const wt = join(r.dir, '..', 'wt2');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    const path = join(wt, ledgerFile('beads', bead.id));
    writeFileSync(path, r.git('show', `gt/ledger:${ledgerFile('beads', bead.id)}`).replace('title: Native', 'title: Renamed natively'));
    r.git('-C', wt, 'commit', '-qam', 'rename');
    expect(r.gtJson<BeadJson[]>('show', bead.id)[0]!.title).toBe('Renamed natively');
  });

  it('sees ledger changes pushed into this repository from a clone, and a clone sees ours', () => {
    const bead = create('Pushed around');
    const clone = join(r.dir, '..', 'clone');
    r.git('clone', '-q', r.dir, clone);
    r.git('-C', clone, 'branch', '-q', 'gt/ledger', 'origin/gt/ledger');
    const inClone = (...args: string[]) => {
      const result = r.gt(args, { cwd: clone });
      if (result.status !== 0) throw new Error(result.stderr);
      return result.stdout;
    };
    inClone('update', bead.id, '--title', 'Edited in the clone');
    inClone('create', 'Born in the clone');
    r.git('-C', clone, 'push', '-q', 'origin', 'gt/ledger');
    const titles = r.gtJson<BeadJson[]>('list').map((b) => b.title).sort();
    expect(titles).toEqual(['Born in the clone', 'Edited in the clone']);
  });

  it('log shows who changed which fields when; git log --stat reads as a history of work', () => {
    const bead = create('Track me');
    r.gtOk('update', bead.id, '--claim', '--as', 'alice');
    r.gtOk('merge');
    r.gtOk('close', bead.id);
    const log = r.gtJson<{ author: string; change: string; fields: string[] }[]>('log', bead.id);
    expect(log.map((e) => [e.author, e.change])).toEqual([
      ['overseer', 'updated'],
      ['alice', 'updated'],
      ['overseer', 'created'],
    ]);
    expect(log[0]!.fields).toEqual(['status', 'closed_at']);
    expect(log[1]!.fields).toEqual(['status', 'assignee']);
    const stat = r.git('log', '--stat', '--format=%s', 'gt/ledger');
    expect(stat).toContain(`close ${bead.id}: Track me`);
    expect(stat).toContain(ledgerFile('beads', bead.id));
    r.git('fsck', '--strict');
  });

  it('help exists for every command and option', () => {
    for (const cmd of [[], ['create'], ['list'], ['dep'], ['dep', 'add'], ['merge'], ['import'], ['export'], ['doctor']]) {
      const out = r.gt([...cmd, '--help']);
      expect(out.status, cmd.join(' ')).toBe(0);
      expect(out.stdout).toContain('Usage: gt');
    }
  });
});
