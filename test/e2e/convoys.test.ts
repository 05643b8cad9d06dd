import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGt, useGtRepo, ledgerFile } from '../helpers/repo.js';

interface BeadJson {
  id: string;
  title: string;
  status: string;
  assignee?: string;
  description?: string;
}
interface ConvoyJson {
  id: string;
  title: string;
  status: string;
  tracks?: string[];
  owner?: string;
  notify?: string[];
  feed?: string[];
  landed_at?: string;
  close_reason?: string;
  tracked: { id: string; status: string; assignee?: string; title?: string }[];
  completed: number;
  total: number;
}
interface MailJson {
  id: string;
  from: string;
  to: string;
  subject: string;
  body?: string;
  status: string;
  reply_to?: string;
}

const r = useGtRepo();

const create = (...args: string[]): string => r.gtJson<BeadJson>('create', ...args).id;
const bead = (id: string): BeadJson => r.gtJson<BeadJson[]>('show', id)[0]!;
const convoy = (id: string): ConvoyJson => r.gtJson<ConvoyJson>('convoy', 'status', id);
const fail = (...args: string[]): string => {
  const out = r.gt(args);
  expect(out.status, `gt ${args.join(' ')} should fail`).not.toBe(0);
  expect(out.stderr).not.toContain('    at ');
  return out.stderr;
};

describe('convoys from the CLI', () => {
  it('creates, adds, removes, shows progress, lists, and refuses bad input changing nothing', () => {
    const a = create('Schema');
    const b = create('API');
    const c = r.gtJson<ConvoyJson>('convoy', 'create', 'Release 1.0', a, b, '--notify', 'mayor', '--feed', 'ann');
    expect(c.id).toMatch(/^gt-cv-[0-9a-z]{4,}$/);
    expect(c).toMatchObject({ title: 'Release 1.0', status: 'open', tracks: [a, b].sort(), owner: 'overseer', notify: ['mayor'], feed: ['ann'] });
    expect(r.git('show', `gt/ledger:${ledgerFile('convoys', c.id)}`)).toContain('title: Release 1.0\n');
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`convoy create ${c.id}: Release 1.0 (2 beads)`);

    const extra = create('Docs');
    r.gtOk('convoy', 'add', c.id, extra);
    expect(convoy(c.id)).toMatchObject({ completed: 0, total: 3 });
    r.gtOk('convoy', 'remove', c.id, extra);
    expect(convoy(c.id).tracks).toEqual([a, b].sort());

    r.gtOk('close', a);
    const status = r.gtOk('convoy', 'status', c.id);
    expect(status).toContain('progress: 1/2');
    expect(status).toMatch(new RegExp(`✓ ${a}\\s+closed`));
    expect(r.gtJson<ConvoyJson[]>('convoy', 'list').map((x) => x.id)).toEqual([c.id]);
    expect(r.gtOk('convoy', 'list', '--tree')).toMatch(new RegExp(`[├└]─ ○ ${b}  API`));

    const before = r.git('rev-parse', 'gt/ledger');
    expect(fail('convoy', 'status', 'gt-cv-zzzz')).toContain("no convoy matches 'gt-cv-zzzz'");
    expect(fail('convoy', 'close', c.id)).toContain('is not complete: 1/2 tracked beads closed');
    expect(fail('convoy', 'create', 'X', 'gt-nope')).toContain("no bead matches 'gt-nope'");
    expect(fail('convoy', 'create', 'X', a, '--notify', 'Bad Name!')).toContain("invalid address 'Bad Name!'");
    expect(fail('convoy', 'list', '--status', 'landed')).toContain("invalid convoy status 'landed'");
    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);

    r.gtOk('convoy', 'close', c.id, '--force', '--reason', 'scope cut');
    expect(convoy(c.id)).toMatchObject({ status: 'closed', close_reason: 'scope cut' });
    expect(r.gtJson<ConvoyJson[]>('convoy', 'list', '--status', 'closed').map((x) => x.id)).toEqual([c.id]);
  });

  it('lands exactly once when everything tracked is closed, mails owner and subscribers; adding work reopens it; an empty convoy never lands', () => {
    const a = create('Schema');
    const b = create('API');
    const c = r.gtJson<ConvoyJson>('convoy', 'create', 'Release 1.0', a, b, '--notify', 'mayor').id;
    const empty = r.gtJson<ConvoyJson>('convoy', 'create', 'Nothing yet').id;
    r.gtOk('close', a);
    expect(r.gtJson<ConvoyJson[]>('convoy', 'check')).toEqual([]);
    // Closing the last tracked bead lands the convoy in the same commit.
    expect(r.gtOk('close', b)).toContain(`🚚 Convoy landed: Release 1.0 (${c})`);
    expect(convoy(c)).toMatchObject({ status: 'closed', close_reason: 'All tracked beads closed' });
    expect(convoy(c).landed_at).toBeDefined();
    for (let i = 0; i < 3; i++) expect(r.gtJson<ConvoyJson[]>('convoy', 'check')).toEqual([]);
    r.gtOk('observe', '--sweep');
    expect(convoy(empty).status).toBe('open');

    const inbox = r.gtJson<MailJson[]>('mail', 'inbox');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.subject).toBe(`🚚 Convoy landed: Release 1.0 (${c})`);
    expect(inbox[0]!.body).toContain(`- ${a}: Schema`);
    expect(inbox[0]!.body).toContain(`- ${b}: API`);
    expect(inbox[0]!.body).toMatch(/Duration: \d+ min/);
    expect(r.gtJson<MailJson[]>('--as', 'mayor', 'mail', 'inbox')).toHaveLength(1);

    const more = create('Follow-up');
    expect(r.gtOk('convoy', 'add', c, more)).toContain(`reopened ${c}`);
    expect(convoy(c)).toMatchObject({ status: 'open', completed: 2, total: 3 });
    expect(convoy(c).landed_at).toBeUndefined();
  });

  it('sling hooks a bead with an auto-convoy, refuses what it should, and unsling takes it back', () => {
    const a = create('Schema', '-d', 'Design the tables.');
    const out = r.gtJson<{ bead: BeadJson; convoy?: ConvoyJson }>('sling', a, 'ann', '--create-agent');
    expect(out.bead).toMatchObject({ status: 'hooked', assignee: 'ann' });
    expect(out.convoy).toMatchObject({ title: 'Work: Schema', tracks: [a] });
    expect(r.gtJson<{ hooked: BeadJson[] }>('hook', 'ann').hooked.map((b) => b.id)).toEqual([a]);

    const b = create('API');
    expect(fail('sling', b, 'ann')).toContain(`ann's hook holds unfinished work: ${a}`);
    expect(fail('sling', a, 'bob')).toContain(`${a} is already hooked on ann`);
    const closed = create('Old');
    r.gtOk('close', closed);
    expect(fail('sling', closed, 'bob')).toContain(`${closed} is closed`);
    const deferred = create('Later', '-s', 'deferred');
    expect(fail('sling', deferred, 'bob')).toContain(`${deferred} is deferred`);
    r.gtOk('sling', deferred, 'bob', '--force', '--no-convoy', '--create-agent');
    expect(r.gtJson<ConvoyJson[]>('convoy', 'list').map((c) => c.title)).toEqual(['Work: Schema']);

    // Already tracked by an open convoy: no second convoy.
    r.gtOk('convoy', 'create', 'Batch', b);
    r.gtOk('sling', b, 'cid', '--create-agent');
    expect(r.gtJson<ConvoyJson[]>('convoy', 'list').map((c) => c.title).sort()).toEqual(['Batch', 'Work: Schema']);

    r.gtOk('sling', b, 'ann', '--force');
    expect(bead(a)).toMatchObject({ status: 'open' });
    expect(bead(a).assignee).toBeUndefined();
    r.gtOk('unsling', b);
    expect(bead(b).status).toBe('open');
    const agents = r.gtJson<{ name: string; state: string; hooked: string[] }[]>('agents');
    expect(agents.find((x) => x.name === 'ann')).toMatchObject({ state: 'idle', hooked: [] });
    expect(agents.find((x) => x.name === 'bob')).toMatchObject({ state: 'working', hooked: [deferred] });
  });

  it('convoy sling creates N beads and one convoy in one commit and hooks the first ready ones; a bad task list writes nothing', () => {
    const before = Number(r.git('rev-list', '--count', 'gt/ledger').trim());
    const out = r.gtJson<{ convoy: ConvoyJson; beads: BeadJson[]; hooked: { bead: string; agent: string }[] }>(
      'convoy', 'sling', 'Refactor auth', '--task', 'Split module: move the session code out', '--task', 'Add tests', '--task', 'Docs', '--to', 'ann,bob',
    );
    expect(out.beads.map((b) => b.title)).toEqual(['Split module', 'Add tests', 'Docs']);
    expect(out.beads[0]!.description).toBe('move the session code out');
    expect(out.convoy).toMatchObject({ title: 'Refactor auth', feed: ['ann', 'bob'] });
    expect(out.convoy.tracks).toHaveLength(3);
    expect(out.hooked.map((h) => h.agent)).toEqual(['ann', 'bob']);
    expect(Number(r.git('rev-list', '--count', 'gt/ledger').trim())).toBe(before + 1);

    const file = join(r.dir, 'tasks.yaml');
    writeFileSync(file, '- First\n- title: Second\n  priority: 1\n  description: with details\n');
    const fromFile = r.gtJson<{ beads: BeadJson[] }>('convoy', 'sling', 'From file', '--file', file);
    expect(fromFile.beads.map((b) => b.title)).toEqual(['First', 'Second']);
    const fromStdin = r.gt(['convoy', 'sling', 'From stdin', '--file', '-', '--json'], { input: '["One","Two"]' });
    expect((JSON.parse(fromStdin.stdout) as { beads: unknown[] }).beads).toHaveLength(2);

    const tip = r.git('rev-parse', 'gt/ledger');
    writeFileSync(file, '- title: Fine\n- colour: blue\n');
    expect(fail('convoy', 'sling', 'Broken', '--file', file)).toContain("task 2: unknown key 'colour'");
    expect(fail('convoy', 'sling', 'Nothing')).toContain('no tasks given');
    expect(fail('convoy', 'sling', 'Bad', '--task', 'ok', '--to', 'overseer')).toContain('the overseer has no hook');
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
  });

  it('stranded lists open convoys whose ready beads nobody works on', () => {
    const a = create('One');
    const c = r.gtJson<ConvoyJson>('convoy', 'create', 'Idle batch', a).id;
    expect(r.gtJson<{ id: string; ready_beads: string[] }[]>('convoy', 'stranded')).toEqual([expect.objectContaining({ id: c, ready_beads: [a] })]);
    r.gtOk('sling', a, 'ann', '--create-agent');
    expect(r.gtJson<unknown[]>('convoy', 'stranded')).toEqual([]);
  });
});

describe('mail', () => {
  it('send, inbox, read (marks read), reply; an agent’s mail reaches the overseer once merged', () => {
    const sent = r.gtJson<MailJson>('mail', 'send', 'ann', '-s', 'Hello', '-m', 'Please look at the schema.');
    expect(sent).toMatchObject({ from: 'overseer', to: 'ann', status: 'unread' });
    expect(r.gtJson<MailJson[]>('--as', 'ann', 'mail', 'inbox', '--unread').map((m) => m.id)).toEqual([sent.id]);
    expect(r.gt(['--as', 'ann', 'mail', 'read', sent.id]).stdout).toContain('Please look at the schema.');
    expect(r.gtJson<MailJson[]>('--as', 'ann', 'mail', 'inbox', '--unread')).toEqual([]);
    const reply = r.gtJson<MailJson>('--as', 'ann', 'mail', 'reply', sent.id, '-m', 'Done.');
    expect(reply).toMatchObject({ from: 'ann', to: 'overseer', subject: 'Re: Hello', reply_to: sent.id });
    expect(r.gtJson<MailJson[]>('mail', 'inbox')).toEqual([]);
    r.gtOk('merge');
    expect(r.gtJson<MailJson[]>('mail', 'inbox').map((m) => m.subject)).toEqual(['Re: Hello']);
    expect(fail('mail', 'send', 'ann', '-s', '  ')).toContain('the subject is empty');
    expect(fail('mail', 'read', 'gt-m-zzzz')).toContain("no message matches 'gt-m-zzzz'");
  });
});

describe('the observer', () => {
  it('feeds a blocked tracked bead only after its blocker closes, one bead per closure, to the agent that finished', () => {
    const a = create('Schema', '-p', '2');
    const b = create('API', '-p', '0', '--deps', `blocks:${a}`);
    const c = create('Docs', '-p', '3');
    const cv = r.gtJson<ConvoyJson>('convoy', 'create', 'Release', a, b, c).id;
    r.gtOk('observe');
    r.gtOk('sling', a, 'ann', '--create-agent');
    r.gtOk('sling', c, 'bob', '--create-agent');
    r.gtOk('--as', 'bob', 'close', c);
    // Docs closed, but API is blocked by Schema: nothing to feed.
    expect(r.gtJson<{ actions: unknown[] }>('observe').actions).toEqual([expect.objectContaining({ kind: 'merged' })]);
    expect(bead(b).status).toBe('open');
    r.gtOk('--as', 'ann', 'close', a);
    const report = r.gtJson<{ actions: { kind: string; line: string }[] }>('observe');
    expect(report.actions.filter((x) => x.kind === 'fed').map((x) => x.line)).toEqual([expect.stringContaining(`fed ${b} "API" to ann`)]);
    expect(bead(b)).toMatchObject({ status: 'hooked', assignee: 'ann' });
    // The same closure seen again is not handled again.
    expect(r.gtJson<{ actions: unknown[] }>('observe').actions).toEqual([]);
    r.gtOk('--as', 'ann', 'done');
    expect(convoy(cv).status).toBe('closed');
  });

  it('a bead reopened and closed again is handled again', () => {
    const a = create('One', '-p', '1');
    const b = create('Two');
    r.gtOk('convoy', 'create', 'Pair', a, b, '--feed', 'ann');
    // A sweep feeds the most urgent ready bead to the idle feed target.
    expect(r.gtJson<{ actions: { line: string }[] }>('observe', '--sweep').actions.map((x) => x.line)).toEqual([expect.stringContaining(`fed ${a}`)]);
    r.gtOk('close', a);
    expect(r.gtJson<{ actions: { kind: string }[] }>('observe').actions.map((x) => x.kind)).toEqual(['fed']);
    r.gtOk('unsling', b);
    r.gtOk('reopen', a);
    r.gtOk('close', a);
    expect(r.gtJson<{ actions: { kind: string }[] }>('observe').actions.map((x) => x.kind)).toEqual(['fed']);
    expect(bead(b)).toMatchObject({ status: 'hooked', assignee: 'ann' });
  });

  it('two agents finishing the last beads of a convoy at the same moment land it exactly once', async () => {
    const a = create('Left');
    const b = create('Right');
    const cv = r.gtJson<ConvoyJson>('convoy', 'create', 'Both', a, b, '--notify', 'mayor').id;
    r.gtOk('sling', a, 'ann', '--create-agent');
    r.gtOk('sling', b, 'bob', '--create-agent');
    r.gtOk('observe');
    const run = (agent: string) =>
      new Promise<number>((resolve) => {
        const child = spawnGt(['--as', agent, 'done'], r.dir);
        child.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run('ann'), run('bob')])).toEqual([0, 0]);
    r.gtOk('observe');
    expect(convoy(cv).status).toBe('closed');
    const landings = r.git('log', '--format=%s', 'gt/ledger').split('\n').filter((s) => s.includes(`landed ${cv}`));
    expect(landings).toHaveLength(1);
    expect(r.gtJson<MailJson[]>('mail', 'inbox')).toHaveLength(1);
    expect(r.gtJson<MailJson[]>('--as', 'mayor', 'mail', 'inbox')).toHaveLength(1);
    expect(r.git('fsck', '--no-progress')).toBe('');
  });
});
