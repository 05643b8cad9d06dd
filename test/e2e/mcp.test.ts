/**
 * `gt mcp` driven by the MCP SDK's own client over stdio: the real dist/gt.mjs against a real repository.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, GT_BIN, useGtRepo, ledgerFile } from '../helpers/repo.js';
import { killProcessesOf, killSessions, SCRIPTED_AGENT } from '../helpers/sessions.js';
import { waitFor } from '../helpers/wait.js';

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

const TOOLS = [
  'gt_sling_batch',
  'gt_list_convoys',
  'gt_convoy_status',
  'gt_ready',
  'gt_show',
  'gt_create',
  'gt_update',
  'gt_close',
  'gt_comment',
  'gt_mail_send',
  'gt_mail_inbox',
  'gt_hook',
  'gt_prime',
  'gt_mol_current',
  'gt_mol_step_done',
  'gt_done',
];

const r = useGtRepo();
let clients: Client[] = [];
/** Polecat loops a test started: killed (with their process groups) after it. */
let pids: number[] = [];

afterEach(async () => {
  // Closing the client ends the server: its stdin closes and it exits.
  for (const c of clients) await c.close();
  clients = [];
  killSessions(pids);
  pids = [];
  killProcessesOf(r.dir);
});

async function connect(...globalArgs: string[]): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GT_BIN, ...globalArgs, 'mcp'],
    cwd: r.dir,
    env: { ...(process.env as Record<string, string>), ...GIT_ENV, GT_AGENT: '' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'gt-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** The structured result of a call that must succeed. */
async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await call(client, name, args);
  if (result.isError) throw new Error(`${name} failed: ${result.content.map((c) => c.text).join('\n')}`);
  expect(result.content[0]?.type).toBe('text');
  return result.structuredContent as T;
}

/** Polls an asynchronous condition (a tool call) until it holds, with the suite's shared limit. */
async function untilTrue(what: string, check: () => Promise<boolean>): Promise<void> {
  await waitFor(what, async () => ((await check()) ? true : undefined), { intervalMs: 100 });
}

function textOf(result: ToolResult): string {
  return result.content.map((c) => c.text ?? '').join('\n');
}

interface ConvoyStatus {
  id: string;
  title: string;
  status: string;
  landed_at?: string;
  completed: number;
  total: number;
  tracked: { id: string; title: string; status: string; assignee?: string }[];
}

describe('gt mcp', () => {
  it('is the only command that loads the MCP SDK and zod: the bundle imports them only with import()', () => {
    const bundle = readFileSync(GT_BIN, 'utf8');
    const sdk = /["'](@modelcontextprotocol\/sdk[^"']*|zod)["']/g;
    const uses = [...bundle.matchAll(sdk)].map((m) => bundle.slice(Math.max(0, m.index - 7), m.index));
    expect(uses.length).toBeGreaterThan(0);
    for (const before of uses) expect(before).toBe('import(');
  });

  it('lists its tools, each with an input and an output schema, and tells the coordinator how to work', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const t of tools) {
      expect(t.description, t.name).toBeTruthy();
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
    }
    const sling = tools.find((t) => t.name === 'gt_sling_batch')!;
    expect(Object.keys(sling.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['convoy_title', 'tasks', 'agents', 'spawn']));
    expect(sling.inputSchema.required).toEqual(expect.arrayContaining(['convoy_title', 'tasks']));
    const instructions = client.getInstructions() ?? '';
    expect(instructions).toContain('gt_sling_batch');
    expect(instructions).toContain('gt_convoy_status');
    expect(instructions).toMatch(/land by themselves/);
  });

  it('slings a batch in one commit, follows it in list and status, and sees it land when the beads close', async () => {
    const client = await connect();
    const commitsBefore = Number(r.git('rev-list', '--count', 'gt/ledger').trim());
    const sling = await ok<{ convoy: { id: string; title: string; tracks: string[] }; beads: { id: string; title: string; description?: string }[]; hooked: { bead: string; agent: string }[] }>(
      client,
      'gt_sling_batch',
      {
        convoy_title: 'Refactor auth',
        tasks: [{ title: 'Split the middleware', body: 'one file per concern' }, { title: 'Move the session store' }, { title: 'Update the tests' }],
        agents: ['ann'],
      },
    );
    expect(sling.beads.map((b) => b.title)).toEqual(['Split the middleware', 'Move the session store', 'Update the tests']);
    expect(sling.beads[0]!.description).toBe('one file per concern');
    expect(sling.convoy.tracks).toEqual(sling.beads.map((b) => b.id).sort());
    expect(sling.hooked).toHaveLength(1);
    expect(sling.hooked[0]!.agent).toBe('ann');
    // Beads, convoy and the hook: one ledger commit.
    expect(Number(r.git('rev-list', '--count', 'gt/ledger').trim())).toBe(commitsBefore + 1);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger')).toContain(`convoy sling ${sling.convoy.id}: Refactor auth (3 beads, hooked ${sling.hooked[0]!.bead} on ann)`);

    const listed = await ok<{ convoys: { id: string; completed: number; total: number }[] }>(client, 'gt_list_convoys');
    expect(listed.convoys).toEqual([expect.objectContaining({ id: sling.convoy.id, completed: 0, total: 3 })]);
    const status = await ok<ConvoyStatus>(client, 'gt_convoy_status', { convoy_id: sling.convoy.id });
    expect(status).toMatchObject({ id: sling.convoy.id, title: 'Refactor auth', status: 'open', completed: 0, total: 3 });
    const hooked = status.tracked.find((t) => t.id === sling.hooked[0]!.bead)!;
    expect(hooked).toMatchObject({ status: 'hooked', assignee: 'ann' });
    // The same as the CLI says.
    expect(r.gtJson<ConvoyStatus>('convoy', 'status', sling.convoy.id).tracked).toEqual(status.tracked);

    // A write from outside the server (the CLI) is seen by its next call.
    const [first, ...rest] = sling.beads.map((b) => b.id);
    r.gtOk('close', first!);
    expect((await ok<ConvoyStatus>(client, 'gt_convoy_status', { convoy_id: sling.convoy.id })).completed).toBe(1);

    const closed = await ok<{ closed: { id: string }[]; landed: { id: string }[] }>(client, 'gt_close', { ids: rest, reason: 'done' });
    expect(closed.closed.map((b) => b.id)).toEqual(rest);
    expect(closed.landed.map((c) => c.id)).toEqual([sling.convoy.id]);
    const landed = await ok<ConvoyStatus>(client, 'gt_convoy_status', { convoy_id: sling.convoy.id });
    expect(landed).toMatchObject({ status: 'closed', completed: 3, total: 3 });
    expect(landed.landed_at).toBeTruthy();
    expect((await ok<{ convoys: unknown[] }>(client, 'gt_list_convoys')).convoys).toEqual([]);
    expect((await ok<{ convoys: { id: string }[] }>(client, 'gt_list_convoys', { all: true })).convoys.map((c) => c.id)).toEqual([sling.convoy.id]);

    const inbox = await ok<{ messages: { from: string; subject: string; body: string }[] }>(client, 'gt_mail_inbox');
    expect(inbox.messages).toEqual([expect.objectContaining({ from: 'observer', subject: `🚚 Convoy landed: Refactor auth (${sling.convoy.id})` })]);
    expect(inbox.messages[0]!.body).toContain('Split the middleware');
  });

  it('gives the CLI one-line message (and hint) as a tool error for bad arguments, changing nothing', async () => {
    const client = await connect();
    const id = (await ok<{ id: string }>(client, 'gt_create', { title: 'Real work' })).id;
    const before = r.git('rev-parse', 'gt/ledger');

    const unknown = await call(client, 'gt_show', { id: 'gt-zzzz' });
    expect(unknown.isError).toBe(true);
    const cliUnknown = r.gt(['show', 'gt-zzzz']);
    expect(cliUnknown.status).not.toBe(0);
    expect(textOf(unknown)).toBe(cliUnknown.stderr.trimEnd());
    expect(textOf(unknown)).toContain("no bead matches 'gt-zzzz'");

    const empty = await call(client, 'gt_create', { title: '  ' });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toBe(r.gt(['create', '  ']).stderr.trimEnd());

    const closeUnknown = await call(client, 'gt_close', { ids: ['gt-zzzz'] });
    expect(closeUnknown.isError).toBe(true);
    expect(textOf(closeUnknown)).toBe(r.gt(['close', 'gt-zzzz']).stderr.trimEnd());

    const noConvoy = await call(client, 'gt_convoy_status', { convoy_id: 'gt-cv-zzzz' });
    expect(noConvoy.isError).toBe(true);
    expect(textOf(noConvoy)).toBe(r.gt(['convoy', 'status', 'gt-cv-zzzz']).stderr.trimEnd());

    const untitled = await call(client, 'gt_sling_batch', { convoy_title: 'Batch', tasks: [{ title: 'ok' }, { title: '' }] });
    expect(untitled.isError).toBe(true);
    expect(textOf(untitled)).toBe('gt: gt_sling_batch task 2: title is missing');
    const both = await call(client, 'gt_sling_batch', { convoy_title: 'Batch', tasks: [{ title: 'ok' }], agents: ['ann'], spawn: 1 });
    expect(textOf(both)).toContain('spawn and agents both say who works the convoy');

    const shape = await call(client, 'gt_sling_batch', { convoy_title: 'Batch', tasks: 'not a list' });
    expect(shape.isError).toBe(true);

    expect(r.git('rev-parse', 'gt/ledger')).toBe(before);
    expect((await ok<{ beads: { id: string }[] }>(client, 'gt_ready')).beads.map((b) => b.id)).toEqual([id]);
  });

  it('acts as --as: the Mayor is primed to coordinate, and its writes go to its own branch', async () => {
    const client = await connect('--as', 'mayor');
    expect(client.getInstructions()).toContain('acts as mayor');
    const prime = await call(client, 'gt_prime');
    expect(prime.structuredContent).toMatchObject({ agent: 'mayor', role: 'mayor', branch: 'gt/agents/mayor' });
    expect(textOf(prime)).toContain('You are the Mayor');
    expect(textOf(prime)).toContain('gt_sling_batch');
    // The CLI's prime says the same.
    expect(r.gtOk('--as', 'mayor', 'prime')).toContain('You are the Mayor');

    const ledgerBefore = r.git('rev-parse', 'gt/ledger');
    const sling = await ok<{ convoy: { id: string; owner: string; created_by: string } }>(client, 'gt_sling_batch', { convoy_title: 'Mayor batch', tasks: [{ title: 'One' }, { title: 'Two' }] });
    expect(sling.convoy).toMatchObject({ owner: 'mayor', created_by: 'mayor' });
    expect(r.git('rev-parse', 'gt/ledger')).toBe(ledgerBefore);
    expect(r.git('show', `gt/agents/mayor:${ledgerFile('convoys', sling.convoy.id)}`)).toContain('title: Mayor batch');
    expect(r.git('log', '-1', '--format=%an %B', 'gt/agents/mayor')).toMatch(/^mayor [\s\S]*Gt-Actor: mayor/);
    // Its own reads see its unmerged work.
    expect((await ok<{ convoys: { id: string }[] }>(client, 'gt_list_convoys')).convoys.map((c) => c.id)).toEqual([sling.convoy.id]);

    const sent = await ok<{ id: string; from: string; to: string }>(client, 'gt_mail_send', { to: 'overseer', subject: 'Batch out', body: 'two beads' });
    expect(sent).toMatchObject({ from: 'mayor', to: 'overseer' });
    r.gtOk('merge');
    expect(r.gtJson<{ subject: string; from: string }[]>('mail', 'inbox')).toEqual([expect.objectContaining({ subject: 'Batch out', from: 'mayor' })]);
  });

  it('serves an agent its everyday work: hook, prime, molecule steps, comments, updates and done', async () => {
    mkdirSync(join(r.dir, '.gt', 'formulas'), { recursive: true });
    writeFileSync(join(r.dir, '.gt', 'formulas', 'pair.formula.toml'), 'formula = "pair"\nversion = 1\n[[steps]]\nid = "draft"\ntitle = "Draft it"\n[[steps]]\nid = "polish"\ntitle = "Polish it"\nneeds = ["draft"]\n');
    const stepped = r.gtJson<{ id: string }>('create', 'Write the guide').id;
    const slung = r.gtJson<{ convoy: { id: string } }>('sling', stepped, 'ann', '--formula', 'pair', '--create-agent');
    const client = await connect('--as', 'ann');

    expect((await ok<{ agent: string; hooked: { id: string }[] }>(client, 'gt_hook')).hooked.map((b) => b.id)).toEqual([stepped]);
    const prime = await call(client, 'gt_prime');
    expect(prime.structuredContent).toMatchObject({ agent: 'ann', role: 'polecat', hooked: [expect.objectContaining({ id: stepped })] });
    expect(textOf(prime)).toContain(`### ${stepped}: Write the guide`);

    const current = await ok<{ current: { title: string } }>(client, 'gt_mol_current');
    expect(current.current.title).toBe('Draft it');
    const first = await ok<{ claimed: { title: string } | null; closed_bead: string | null }>(client, 'gt_mol_step_done', { continue: true });
    expect(first).toMatchObject({ claimed: expect.objectContaining({ title: 'Polish it' }), closed_bead: null });
    const last = await ok<{ status: string; closed_bead: string | null; landed: string[] }>(client, 'gt_mol_step_done');
    expect(last).toMatchObject({ status: 'done', closed_bead: stepped, landed: [slung.convoy.id] });

    // Ann's work is on her branch until it is merged.
    expect(r.gtJson<{ status: string }[]>('show', stepped)[0]!.status).toBe('hooked');
    r.gtOk('merge');
    expect(r.gtJson<{ status: string }[]>('show', stepped)[0]!.status).toBe('closed');

    const plain = r.gtJson<{ id: string }>('create', 'Fix the footer').id;
    r.gtOk('sling', plain, 'ann');
    await ok(client, 'gt_comment', { id: plain, text: 'looking at it' });
    const updated = await ok<{ changed: string[] }>(client, 'gt_update', { id: plain, append_notes: 'footer uses the old grid' });
    expect(updated.changed).toEqual(['notes']);
    // The CLI's message; the hint speaks of the tool's fields, not of options.
    const nothing = textOf(await call(client, 'gt_update', { id: plain }));
    expect(nothing.split('\n')[0]).toBe(r.gt(['update', plain]).stderr.split('\n')[0]);
    expect(nothing).toContain('hint: name at least one field, e.g. status: in_progress');
    const done = await ok<{ closed: { id: string }[] }>(client, 'gt_done', { reason: 'fixed' });
    expect(done.closed.map((b) => b.id)).toEqual([plain]);
    // gt done merged ann's branch: the overseer sees it all on the ledger.
    const shown = r.gtJson<{ status: string; notes: string; comments: { author: string; text: string }[] }[]>('show', plain)[0]!;
    expect(shown).toMatchObject({ status: 'closed', notes: 'footer uses the old grid' });
    expect(shown.comments).toEqual([expect.objectContaining({ author: 'ann', text: 'looking at it' })]);
  });

  it('spawns polecats for a batch, as gt convoy sling --spawn does, and follows the convoy until it lands', async () => {
    r.gtOk('config', 'set', 'runtime.command', `sh '${SCRIPTED_AGENT}'`);
    r.gtOk('config', 'set', 'polecats.backoff', '100ms');
    const client = await connect();
    const out = await ok<{ convoy: { id: string; feed: string[] }; beads: { id: string }[]; polecats: { polecat: string; bead: string; pid: number | null; queued: boolean }[] }>(client, 'gt_sling_batch', {
      convoy_title: 'Two things',
      tasks: [{ title: 'One' }, { title: 'Two' }],
      spawn: 2,
    });
    for (const p of out.polecats) if (p.pid !== null) pids.push(p.pid);
    expect(out.polecats.map((p) => p.polecat)).toEqual(['nux', 'furiosa']);
    expect(out.polecats.every((p) => p.pid !== null && !p.queued)).toBe(true);
    expect([...out.convoy.feed].sort()).toEqual(['furiosa', 'nux']);
    // The polecats' work, merged by their gt done, reaches the server's next calls.
    await untilTrue('the convoy landed', async () => (await ok<ConvoyStatus>(client, 'gt_convoy_status', { convoy_id: out.convoy.id })).status === 'closed');
    const status = await ok<ConvoyStatus>(client, 'gt_convoy_status', { convoy_id: out.convoy.id });
    expect(status.tracked.map((t) => t.status)).toEqual(['closed', 'closed']);
    const inbox = await ok<{ messages: { subject: string }[] }>(client, 'gt_mail_inbox');
    expect(inbox.messages.map((m) => m.subject)).toContain(`🚚 Convoy landed: Two things (${out.convoy.id})`);

    // Spawning is the overseer's: a server acting as an agent refuses it, as the CLI does.
    const mayor = await connect('--as', 'mayor');
    const refused = await call(mayor, 'gt_sling_batch', { convoy_title: 'More', tasks: [{ title: 'Three' }], spawn: 1 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(r.gt(['--as', 'mayor', 'convoy', 'sling', 'More', '--task', 'Three', '--spawn', '1']).stderr.trimEnd());
  });
});
