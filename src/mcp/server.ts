/**
 * `gt mcp`: the Mayor's tools as an MCP server over stdio, a client of the library (src/index.ts) as
 * the CLI is. One ledger is opened for the server's life, as the actor it was started for; its views
 * stay in memory (see ViewCache), so a tool call re-reads only when the ledger or the actor's branch
 * moved. Tool calls run one at a time: they take milliseconds, and one at a time they never race for
 * the write lock.
 *
 * The SDK and zod are loaded with import(), here only: the bundle keeps them external, and every
 * other gt command starts without them.
 */
import type { z as Zod, ZodRawShape } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  GtError,
  UsageError,
  MAYOR_GUIDE,
  addComment,
  claimBead,
  closeBead,
  createBead,
  dependentsOf,
  finishWork,
  hookedOn,
  inboxOf,
  landedNotice,
  listConvoys,
  lookupBead,
  lookupConvoy,
  lookupMolecule,
  moleculeBrief,
  moleculeProgress,
  openLedger,
  parseAddress,
  planBatch,
  primeInfo,
  primeText,
  progressOf,
  readyBeads,
  sendMail,
  slingBatch,
  spawnConvoy,
  stepBrief,
  updateBead,
  writeAndLand,
  markStepDone,
  WispStore,
  type Bead,
  type ConvoyProgress,
  type Ledger,
  type Mail,
  type UpdateBeadInput,
  parseDepSpec,
} from '../index.js';

export interface McpServerOptions {
  cwd: string;
  /** `--as`: the agent every tool acts as (default: GT_AGENT, the checkout's agent, else the overseer). */
  actor?: string;
  /** The gt script, for the polecat loops `spawn` starts. */
  gtEntry: string;
  version: string;
}

type Z = typeof Zod;
interface ToolOutput {
  data: Record<string, unknown>;
  text: string;
}

/** What the CLI prints on stderr for the same mistake. */
export function errorText(error: GtError): string {
  return `gt: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`;
}

function beadLine(b: Bead): string {
  return `${b.id}  [${b.status}, P${b.priority}${b.assignee ? `, @${b.assignee}` : ''}]  ${b.title}`;
}

function progressJson(p: ConvoyProgress): Record<string, unknown> {
  return { ...p.convoy, tracked: p.tracked, completed: p.closed, total: p.total };
}

function progressText(p: ConvoyProgress): string {
  const c = p.convoy;
  const lines = [`${c.id}: ${c.title}  ${p.closed}/${p.total} closed  (${c.status === 'closed' ? (c.landed_at ? 'landed' : 'closed') : 'open'})`];
  for (const t of p.tracked) {
    const request = t.request ? `  [${t.request.id} ${t.request.status}${t.request.waiting ? `: ${t.request.waiting}` : ''}]` : '';
    lines.push(`  ${t.id}  ${t.status}  ${t.title ?? '(not on the ledger)'}${t.assignee ? `  @${t.assignee}` : ''}${request}`);
  }
  return lines.join('\n');
}

function mailLine(m: Mail): string {
  return `${m.status === 'unread' ? '●' : ' '} ${m.id}  ${m.created_at}  from ${m.from}: ${m.subject}`;
}

/** Output shapes. Loose: the result carries every field of the entity, the schema names the ones a client can rely on. */
function shapes(z: Z) {
  const bead = z.looseObject({
    id: z.string(),
    title: z.string(),
    status: z.string(),
    type: z.string(),
    priority: z.number(),
    assignee: z.string().optional(),
    labels: z.array(z.string()),
    description: z.string().optional(),
  });
  const convoy = z.looseObject({ id: z.string(), title: z.string(), status: z.string(), tracks: z.array(z.string()).optional(), owner: z.string().optional() });
  const tracked = z.looseObject({
    id: z.string(),
    title: z.string().optional(),
    status: z.string(),
    assignee: z.string().optional(),
    missing: z.boolean().optional(),
    request: z.object({ id: z.string(), status: z.string(), waiting: z.string().optional() }).optional(),
  });
  const progress = { id: z.string(), title: z.string(), status: z.string(), completed: z.number(), total: z.number(), landed_at: z.string().optional(), tracked: z.array(tracked) };
  const mail = z.looseObject({ id: z.string(), from: z.string(), to: z.string(), subject: z.string(), body: z.string().optional(), status: z.string(), created_at: z.string() });
  return { bead, convoy, progress, mail };
}

export function serverInstructions(actor: { name: string }): string {
  return `gt keeps this git repository's work as beads (work items) and convoys (batches of beads) on its gt/ledger branch. Every tool acts as ${actor.name}.\n\n${MAYOR_GUIDE}`;
}

/** Builds the server: every tool registered on `ledger`, nothing connected. */
export async function buildServer(ledger: Ledger, options: McpServerOptions): Promise<McpServer> {
  const [{ McpServer: Server }, { z }] = await Promise.all([import('@modelcontextprotocol/sdk/server/mcp.js'), import('zod')]);
  const server = new Server({ name: 'gt', version: options.version }, { instructions: serverInstructions(ledger.actor) });
  const s = shapes(z);
  const wisps = new WispStore(ledger.repo.stateDir);
  let queue: Promise<unknown> = Promise.resolve();

  const tool = <I extends ZodRawShape>(
    name: string,
    description: string,
    input: I,
    output: ZodRawShape,
    run: (args: Zod.infer<Zod.ZodObject<I>>) => Promise<ToolOutput>,
    readOnly = false,
  ): void => {
    const call = async (args: Zod.infer<Zod.ZodObject<I>>): Promise<CallToolResult> => {
      try {
        const { data, text } = await run(args);
        return { content: [{ type: 'text', text }], structuredContent: data };
      } catch (error) {
        if (error instanceof GtError) return { isError: true, content: [{ type: 'text', text: errorText(error) }] };
        if (process.env.GT_DEBUG === '1') process.stderr.write(`${(error as Error).stack}\n`);
        return { isError: true, content: [{ type: 'text', text: `gt: internal error: ${(error as Error).message}` }] };
      }
    };
    server.registerTool(
      name,
      { description, inputSchema: input, outputSchema: output, annotations: { readOnlyHint: readOnly, openWorldHint: false } },
      // One at a time, in the order they came (see the file's comment).
      ((args: Zod.infer<Zod.ZodObject<I>>) => {
        const next = queue.then(() => call(args));
        queue = next.catch(() => undefined);
        return next;
      }) as never,
    );
  };

  const view = () => ledger.view();

  tool(
    'gt_sling_batch',
    'Sling several tasks as one tracked convoy: creates a bead per task and a convoy tracking them in one commit, hooks the first ready beads on the named agents, or starts `spawn` polecats on them. Use it whenever work breaks into parallel sub-tasks.',
    {
      convoy_title: z.string().describe('the overall task, e.g. "Refactor the auth module"'),
      tasks: z
        .array(
          z.object({
            title: z.string().describe('what to do'),
            body: z.string().optional().describe('enough detail to do it without asking'),
            priority: z.union([z.number(), z.string()]).optional().describe('0 (most urgent) to 4, or P0 to P4; default 2'),
            type: z.string().optional().describe('task (default), bug, feature, chore, …'),
            labels: z.array(z.string()).optional(),
          }),
        )
        .describe('one bead per task'),
      agents: z.array(z.string()).optional().describe('agents to hook one ready bead each on; they are also fed the next beads as they finish'),
      spawn: z.number().optional().describe('start this many polecats (sandbox, hook, loop) on the first ready beads, as gt convoy sling --spawn; needs runtime.command'),
      owner: z.string().optional().describe('who gets the landing mail (default: the actor)'),
      notify: z.array(z.string()).optional().describe('more addresses for the landing mail'),
    },
    {
      convoy: s.convoy,
      beads: z.array(s.bead),
      hooked: z.array(z.object({ bead: z.string(), agent: z.string() })),
      busy: z.array(z.string()),
      polecats: z.array(z.looseObject({ polecat: z.string(), bead: z.string(), queued: z.boolean() })).optional(),
    },
    async (args) => {
      if (args.spawn !== undefined && args.agents !== undefined && args.agents.length > 0) throw new UsageError('spawn and agents both say who works the convoy', 'give one of them');
      if (args.spawn !== undefined && (!Number.isInteger(args.spawn) || args.spawn < 1)) throw new UsageError(`spawn takes a whole number of at least 1, not '${args.spawn}'`);
      if (args.tasks.length === 0) throw new UsageError('no tasks given', 'give tasks: [{title, body}]');
      const tasks = planBatch(
        [],
        args.tasks.map((t) => ({ title: t.title, ...(t.body !== undefined ? { description: t.body } : {}), ...(t.priority !== undefined ? { priority: t.priority } : {}), ...(t.type !== undefined ? { type: t.type } : {}), ...(t.labels !== undefined ? { labels: t.labels } : {}) })),
        'gt_sling_batch',
      );
      const base = { title: args.convoy_title, tasks, ...(args.owner !== undefined ? { owner: args.owner } : {}), notify: args.notify ?? [] };
      if (args.spawn !== undefined) {
        const r = await spawnConvoy(ledger, base, args.spawn, options.gtEntry);
        const lines = [`🚚 ${r.convoy.id}: ${r.convoy.title} with ${r.beads.length} beads`, ...r.beads.map((b) => `   ${b.id}  ${b.title}`)];
        for (const p of r.polecats) lines.push(`   ⚓ ${p.bead} hooked on polecat ${p.polecat}${p.queued ? ' (queued: polecats.max loops run)' : `, loop ${p.pid}`}`);
        return { data: { convoy: r.convoy, beads: r.beads, hooked: r.hooked, busy: r.busy, polecats: r.polecats }, text: lines.join('\n') };
      }
      const { result: r } = await ledger.write((tx) => {
        const out = slingBatch(tx, { ...base, agents: (args.agents ?? []).map(parseAddress) });
        return { result: out, message: `convoy sling ${out.convoy.id}: ${out.convoy.title} (${out.beads.length} beads${out.hooked.length > 0 ? `, hooked ${out.hooked.map((h) => `${h.bead} on ${h.agent}`).join(', ')}` : ''})` };
      });
      const lines = [`🚚 ${r.convoy.id}: ${r.convoy.title} with ${r.beads.length} beads`, ...r.beads.map((b) => `   ${b.id}  ${b.title}`)];
      for (const h of r.hooked) lines.push(`   ⚓ ${h.bead} hooked on ${h.agent}`);
      for (const agent of r.busy) lines.push(`   ${agent} is busy: it gets this convoy's work when its hook is free`);
      return { data: { convoy: r.convoy, beads: r.beads, hooked: r.hooked, busy: r.busy }, text: lines.join('\n') };
    },
  );

  tool(
    'gt_list_convoys',
    'Active convoys with progress: how many tracked beads are closed of how many. Check it when asked how work is going.',
    { all: z.boolean().optional().describe('include landed and closed convoys') },
    { convoys: z.array(z.looseObject({ id: z.string(), title: z.string(), status: z.string(), completed: z.number(), total: z.number(), created_at: z.string(), landed_at: z.string().optional() })) },
    async (args) => {
      const v = await view();
      const convoys = listConvoys(v.convoys, { all: args.all === true }).map((c) => {
        const p = progressOf(v, c);
        const { tracks: _tracks, edited: _edited, ...rest } = c;
        return { ...rest, completed: p.closed, total: p.total };
      });
      const text = convoys.length === 0 ? (args.all ? 'no convoys' : 'no open convoys') : convoys.map((c) => `${c.id}  ${c.title}  ${c.completed}/${c.total}${c.status === 'closed' ? `  (${c.landed_at ? 'landed' : 'closed'})` : ''}`).join('\n');
      return { data: { convoys }, text };
    },
    true,
  );

  tool(
    'gt_convoy_status',
    'One convoy in detail: each tracked bead with its status, assignee and merge request, and the progress.',
    { convoy_id: z.string().describe('convoy id (any unique prefix)') },
    s.progress,
    async (args) => {
      const v = await view();
      const p = progressOf(v, lookupConvoy(v.convoys, args.convoy_id));
      return { data: progressJson(p), text: progressText(p) };
    },
    true,
  );

  tool(
    'gt_ready',
    'Beads that can be started now: open, not deferred, nothing blocking them; most urgent and oldest first.',
    { limit: z.number().optional().describe('at most this many') },
    { beads: z.array(s.bead) },
    async (args) => {
      const beads = readyBeads((await view()).beads).slice(0, args.limit ?? Infinity);
      return { data: { beads }, text: beads.length === 0 ? 'nothing is ready' : beads.map(beadLine).join('\n') };
    },
    true,
  );

  tool(
    'gt_show',
    'A bead in full: fields, description, dependencies, dependents and comments.',
    { id: z.string().describe('bead id (any unique prefix)') },
    s.bead.extend({ dependents: z.array(z.object({ id: z.string(), type: z.string(), title: z.string(), status: z.string() })) }).shape,
    async (args) => {
      const v = await view();
      const bead = lookupBead(v.beads, v.broken.beads, args.id);
      const dependents = dependentsOf(v, bead.id);
      const lines = [beadLine(bead), ...(bead.description ? ['', bead.description] : []), ...bead.deps.map((d) => `depends on (${d.type}) ${d.id}`), ...dependents.map((d) => `needed by (${d.type}) ${d.id}: ${d.title}`)];
      for (const c of bead.comments) lines.push(`${c.author}, ${c.at}: ${c.text}`);
      return { data: { ...bead, dependents }, text: lines.join('\n') };
    },
    true,
  );

  tool(
    'gt_create',
    'Create one bead (a work item). To hand out several at once, use gt_sling_batch.',
    {
      title: z.string(),
      description: z.string().optional(),
      type: z.string().optional().describe('task (default), bug, feature, chore, epic, decision, or a type declared in gt.yaml'),
      priority: z.union([z.number(), z.string()]).optional().describe('0 (most urgent) to 4, or P0 to P4; default 2'),
      assignee: z.string().optional(),
      labels: z.array(z.string()).optional(),
      acceptance: z.string().optional().describe('how to tell it is done'),
      parent: z.string().optional().describe('parent bead id'),
      deps: z.array(z.string()).optional().describe('dependencies as <type>:<id>, e.g. blocks:gt-4f2a'),
    },
    s.bead.shape,
    async (args) => {
      const deps = (args.deps ?? []).map(parseDepSpec);
      const { result: bead } = await ledger.write((tx) => {
        const b = createBead(tx, {
          title: args.title,
          ...(args.description !== undefined ? { description: args.description } : {}),
          ...(args.type !== undefined ? { type: args.type } : {}),
          ...(args.priority !== undefined ? { priority: args.priority } : {}),
          ...(args.assignee !== undefined ? { assignee: args.assignee === '' ? '' : parseAddress(args.assignee) } : {}),
          labels: args.labels ?? [],
          ...(args.acceptance !== undefined ? { acceptance: args.acceptance } : {}),
          ...(args.parent !== undefined ? { parent: args.parent } : {}),
          deps,
        });
        return { result: b, message: `create ${b.id}: ${b.title}` };
      });
      return { data: { ...bead }, text: `created ${bead.id}: ${bead.title}` };
    },
  );

  tool(
    'gt_update',
    'Change fields of a bead; `claim` takes an open, unassigned bead (assigned to you, in progress). Closing it here lands the convoys it completes.',
    {
      id: z.string().describe('bead id (any unique prefix)'),
      title: z.string().optional(),
      status: z.string().optional().describe('open, in_progress, blocked, deferred, hooked or closed'),
      priority: z.union([z.number(), z.string()]).optional(),
      type: z.string().optional(),
      assignee: z.string().optional().describe('"" to unassign'),
      description: z.string().optional(),
      acceptance: z.string().optional(),
      notes: z.string().optional().describe('replace the notes'),
      append_notes: z.string().optional().describe('add a line to the notes'),
      add_labels: z.array(z.string()).optional(),
      remove_labels: z.array(z.string()).optional(),
      claim: z.boolean().optional(),
    },
    { bead: s.bead, changed: z.array(z.string()), landed: z.array(s.convoy) },
    async (args) => {
      const { id, append_notes, add_labels, remove_labels, assignee, ...fields } = args;
      const input: UpdateBeadInput = {
        ...fields,
        ...(assignee !== undefined ? { assignee: assignee.trim() === '' ? '' : parseAddress(assignee) } : {}),
        ...(append_notes !== undefined ? { appendNotes: append_notes } : {}),
        ...(add_labels !== undefined ? { addLabels: add_labels } : {}),
        ...(remove_labels !== undefined ? { removeLabels: remove_labels } : {}),
      };
      if (input.claim === false) delete input.claim;
      if (Object.keys(input).length === 0) throw new UsageError('nothing to update', 'name at least one field, e.g. status: in_progress');
      const { result, landed } = await writeAndLand(ledger, async (tx) => {
        const outcome = input.claim ? await claimBead(tx, id, input) : updateBead(tx, id, input);
        return { result: outcome, message: `${input.claim ? 'claim' : 'update'} ${outcome.bead.id}: ${outcome.changed.join(', ')}` };
      });
      const head = result.changed.length === 0 ? `${result.bead.id}: nothing changed` : `${input.claim ? 'claimed' : 'updated'} ${result.bead.id}: ${result.changed.join(', ')}`;
      return { data: { bead: result.bead, changed: result.changed, landed }, text: [head, ...landed.map(landedNotice)].join('\n') };
    },
  );

  tool(
    'gt_close',
    'Close beads (work done, or not to be done). A convoy whose last tracked bead closes lands in the same commit.',
    { ids: z.array(z.string()).describe('bead ids (any unique prefixes)'), reason: z.string().optional(), force: z.boolean().optional().describe('close an epic even though some of its children are open') },
    { closed: z.array(s.bead), already_closed: z.array(z.string()), landed: z.array(s.convoy) },
    async (args) => {
      if (args.ids.length === 0) throw new UsageError('no beads given', 'name the beads to close: ids: ["gt-4f2a"]');
      const options = { ...(args.reason !== undefined ? { reason: args.reason } : {}), ...(args.force ? { force: true } : {}) };
      const { result, landed } = await writeAndLand(ledger, (tx) => {
        const results = args.ids.map((q) => closeBead(tx, q, options));
        const closed = results.filter((r) => r.changed.length > 0).map((r) => r.bead);
        const what = closed.length === 1 ? `${closed[0]!.id}: ${closed[0]!.title}` : closed.map((b) => b.id).join(', ');
        return { result: results, message: `close ${what}${args.reason ? `\n\n${args.reason}` : ''}` };
      });
      const closed = result.filter((r) => r.changed.length > 0).map((r) => r.bead);
      const already = result.filter((r) => r.changed.length === 0).map((r) => r.bead.id);
      const lines = [...closed.map((b) => `closed ${b.id}: ${b.title}`), ...already.map((id) => `${id} was already closed`), ...landed.map(landedNotice)];
      return { data: { closed, already_closed: already, landed }, text: lines.join('\n') };
    },
  );

  tool(
    'gt_comment',
    'Add a comment to a bead.',
    { id: z.string().describe('bead id (any unique prefix)'), text: z.string() },
    { bead: z.string(), comment: z.looseObject({ id: z.string(), author: z.string(), text: z.string(), at: z.string() }) },
    async (args) => {
      const { result } = await ledger.write((tx) => {
        const outcome = addComment(tx, args.id, args.text);
        return { result: outcome, message: `comment ${outcome.bead.id}` };
      });
      return { data: { bead: result.bead.id, comment: result.comment }, text: `commented on ${result.bead.id}` };
    },
  );

  tool(
    'gt_mail_send',
    'Send mail to an agent or the overseer (kept on the ledger).',
    { to: z.string().describe('an agent name, or overseer'), subject: z.string(), body: z.string().optional() },
    s.mail.shape,
    async (args) => {
      const { result } = await ledger.write((tx) => {
        const m = sendMail(tx, { to: args.to, subject: args.subject, ...(args.body !== undefined ? { body: args.body } : {}) });
        return { result: m, message: `mail ${m.id} to ${m.to}: ${m.subject}` };
      });
      return { data: { ...result }, text: `sent ${result.id} to ${result.to}: ${result.subject}` };
    },
  );

  tool(
    'gt_mail_inbox',
    'Your mail, newest first (landing mail of your convoys arrives here).',
    { unread: z.boolean().optional().describe('only unread messages') },
    { messages: z.array(s.mail) },
    async (args) => {
      const messages = inboxOf(await view(), ledger.actor.name, { unreadOnly: args.unread === true });
      return { data: { messages }, text: messages.length === 0 ? (args.unread ? 'no unread mail' : 'no mail') : messages.map(mailLine).join('\n') };
    },
    true,
  );

  tool(
    'gt_hook',
    "What hangs on an agent's hook (default: yours).",
    { agent: z.string().optional() },
    { agent: z.string(), hooked: z.array(s.bead) },
    async (args) => {
      const agent = args.agent !== undefined ? parseAddress(args.agent) : ledger.actor.name;
      const hooked = hookedOn((await view()).beads, agent);
      return { data: { agent, hooked }, text: hooked.length === 0 ? `${agent}'s hook is empty` : hooked.map((b) => `⚓ ${agent}: ${beadLine(b)}`).join('\n') };
    },
    true,
  );

  tool(
    'gt_prime',
    'Who you are and how to work: your role, the work on your hook in full, your molecules, unread mail and what to do next.',
    {},
    { agent: z.string(), role: z.string(), branch: z.string(), hooked: z.array(s.bead), unread_mail: z.array(s.mail) },
    async () => {
      const info = primeInfo(await view(), ledger.actor, ledger.repo.paths.workTree, wisps.all().molecules);
      return { data: { ...info }, text: primeText(info) };
    },
    true,
  );

  tool(
    'gt_mol_current',
    'Your current molecule step in full (in progress for you, else the first ready one) and what is ready next.',
    { id: z.string().optional().describe('molecule or wisp id (default: the one on your hook, else your only active one)') },
    { id: z.string(), title: z.string(), status: z.string(), finished: z.number(), total: z.number(), current: z.looseObject({ id: z.string(), title: z.string() }).optional() },
    async (args) => {
      const v = await view();
      const m = lookupMolecule(v, wisps, ledger.actor.name, args.id, v.problems);
      const brief = moleculeBrief(m, ledger.actor.name, ledger.now());
      const c = brief.current;
      const lines = [`${brief.id}: ${brief.title} (${brief.finished}/${brief.total} steps done)`];
      if (brief.status === 'done') lines.push('complete');
      else if (c) lines.push(`current: ${c.id}: ${c.title} [${c.state}]`, ...(c.description ? [c.description] : []), ...(c.acceptance ? [`acceptance: ${c.acceptance}`] : []));
      else lines.push(`nothing is ready for ${ledger.actor.name}`);
      if (brief.next.length > 0) lines.push(`next ready: ${brief.next.map((x) => x.id).join(', ')}`);
      return { data: { ...brief }, text: lines.join('\n') };
    },
    true,
  );

  tool(
    'gt_mol_step_done',
    'Finish a molecule step (default: your current one); with continue, also claim the next ready step. The last step completes the molecule and closes its bead.',
    {
      step: z.string().optional().describe('step id (any unique prefix, or its last segment)'),
      mol: z.string().optional().describe('the molecule (default: the one on your hook, else your only active one)'),
      continue: z.boolean().optional(),
      force: z.boolean().optional().describe('finish a step another agent holds'),
    },
    { molecule: z.string(), status: z.string(), finished: z.string().nullable(), claimed: z.looseObject({ id: z.string(), title: z.string() }).nullable(), closed_bead: z.string().nullable(), landed: z.array(z.string()) },
    async (args) => {
      const { applied, landed } = await markStepDone(ledger, args.mol, args.step, { continue: args.continue === true, force: args.force === true });
      const m = applied.molecule;
      const finish = applied.result.finish;
      const progress = finish?.progress ?? moleculeProgress(m);
      const claimed = finish?.claimed ? progress.byId.get(finish.claimed.id) : undefined;
      const lines: string[] = [];
      if (finish) lines.push(`done ${m.id} ${finish.finished.id}: ${finish.finished.title}`);
      if (claimed) lines.push(`next: ${claimed.step.id}: ${claimed.step.title}`, ...(claimed.step.description ? [claimed.step.description] : []));
      if (m.status === 'done') lines.push(`molecule ${m.id} complete (${m.steps.length} steps)`);
      if (applied.closedBead) lines.push(`closed ${applied.closedBead.id}: ${applied.closedBead.title}`);
      lines.push(...landed.map(landedNotice));
      return {
        data: {
          molecule: m.id,
          status: m.status,
          finished: finish ? finish.finished.id : null,
          claimed: claimed ? stepBrief(claimed) : null,
          closed_bead: applied.closedBead?.id ?? null,
          landed: landed.map((c) => c.id),
          progress: { finished: progress.finished, total: progress.total },
        },
        text: lines.join('\n'),
      };
    },
  );

  tool(
    'gt_done',
    'Finish the work on your hook: close it and go idle (with a refinery: submit your committed branch for review), merge your branch into the ledger, and let the observer hand out what comes next.',
    { reason: z.string().optional() },
    { closed: z.array(s.bead).optional(), landed: z.array(s.convoy).optional(), submitted: z.array(z.looseObject({ id: z.string(), bead: z.string() })).optional(), actions: z.array(z.object({ kind: z.string(), line: z.string() })) },
    async (args) => {
      const done = await finishWork(ledger, args.reason);
      if ('submission' in done) {
        const lines = [...done.submission.requests.map((mr) => `submitted ${mr.bead} for review: ${mr.id} (${mr.branch} into ${mr.target})`), ...done.actions.map((a) => a.line)];
        return { data: { submitted: done.submission.requests, actions: done.actions }, text: lines.join('\n') };
      }
      const lines = [...done.closed.map((b) => `closed ${b.id}: ${b.title}`), ...done.landed.map(landedNotice), ...done.actions.map((a) => a.line)];
      return { data: { closed: done.closed, landed: done.landed, actions: done.actions }, text: lines.join('\n') };
    },
  );

  return server;
}

/** Runs the server on stdin/stdout until the client goes away (stdin closes) or a signal asks it to stop. */
export async function runMcpServer(options: McpServerOptions): Promise<void> {
  const ledger = openLedger({ cwd: options.cwd, ...(options.actor !== undefined ? { actor: options.actor } : {}) });
  try {
    // No ledger here: say so on the command line, before any client is talking to us.
    await ledger.view();
    const server = await buildServer(ledger, options);
    const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
    const stopped = new Promise<void>((resolve) => {
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.connect(new StdioServerTransport());
    await stopped;
    await server.close();
  } finally {
    ledger.close();
  }
}
