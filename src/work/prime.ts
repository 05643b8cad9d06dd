/**
 * `gt prime`: what an agent reads when its session starts. Written for an AI agent: who it is, the
 * work on its hook in full, the convoy around it, unread mail, and exactly what to run next.
 */
import type { LedgerView } from '../ledger/view.js';
import type { Actor } from '../ledger/actor.js';
import type { Bead } from '../beads/bead.js';
import type { Mail } from '../mail/mail.js';
import { hookedOn } from '../agents/hook.js';
import { unreadFor } from '../mail/mail-service.js';
import { convoysTracking, progressOf } from '../convoys/convoy-service.js';
import type { Molecule } from '../molecules/molecule.js';
import { moleculeBrief, type MoleculeBrief } from '../molecules/molecule-brief.js';
import { activeMolecules, moleculesBoundTo } from '../molecules/molecule-service.js';
import { now as clockNow } from '../clock.js';
import type { MergeRequest } from '../mrs/mr.js';
import { latestRequest } from '../mrs/mr-service.js';
import { plural } from '../ledger/wording.js';

export interface PrimeInfo {
  agent: string;
  role: string;
  is_overseer: boolean;
  branch: string;
  checkout?: string;
  hooked: (Bead & { convoys: { id: string; title: string; completed: number; total: number }[]; molecule?: MoleculeBrief })[];
  /** The actor's other active molecules (not bound to hooked work; wisps included). */
  molecules: MoleculeBrief[];
  /** Unread nudges (`gt nudge`, the witness): shown before everything else. */
  nudges: Mail[];
  /** Other unread mail. */
  unread_mail: Mail[];
  /** The newest merge request of each bead the actor submitted that is still open: in review, failed or conflicted. */
  requests: MergeRequest[];
  /** The message the agent's previous session left with `gt handoff -m` (shown first). */
  handoff?: string;
}

/** The coordinator's role: an agent record with role mayor, or the agent named mayor. */
export const MAYOR = 'mayor';

/**
 * How the Mayor works, for `gt prime` and for the instructions of `gt mcp`: it coordinates, it does
 * not do the work itself. Tool names are the MCP server's, each beside the command that does the same.
 */
export const MAYOR_GUIDE = [
  'You are the Mayor: you coordinate. Others (polecats, crew) do the work; you plan it, hand it out and',
  'keep track of it.',
  '',
  '- Break a request into beads: small, independent tasks, each with a title that says what to do and a',
  '  body that says enough to do it without asking.',
  '- Group them with `gt_sling_batch` (CLI: `gt convoy sling "<title>" --task "title: body"…`): the beads',
  '  and one convoy tracking them are created in one commit; name agents to hook the first ready beads',
  '  on them, or give `spawn: N` to start N polecats on them. Prefer one batch over many single beads.',
  '- When asked how something is going, look before answering: `gt_list_convoys` (`gt convoy list`) for',
  '  every active batch with its progress, `gt_convoy_status` (`gt convoy status <id>`) for each bead with',
  '  its status, its assignee and its merge request.',
  '- Convoys land by themselves: when the last tracked bead closes, the convoy closes and its owner gets',
  '  a landing mail (`gt_mail_inbox`). Do not close convoys or their beads by hand to make them land.',
  '- Single beads: `gt_create`, `gt_update`, `gt_show`, `gt_ready`; talk to agents with `gt_mail_send`.',
].join('\n');

/** The actor's requests to tell it about: the newest per bead, unless merged or rejected. */
function openRequests(view: LedgerView, agent: string): MergeRequest[] {
  const beads = new Set([...view.mrs.values()].filter((m) => m.agent === agent).map((m) => m.bead));
  return [...beads]
    .map((bead) => latestRequest(view.mrs, bead)!)
    .filter((m) => m.agent === agent && m.status !== 'merged' && m.status !== 'rejected')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

/** `wisps`: this machine's wisps, which the ledger view does not hold. */
export function primeInfo(view: LedgerView, actor: Actor, checkout: string | null, wisps: readonly Molecule[] = [], now: number = clockNow()): PrimeInfo {
  const shown = new Set<string>();
  const hooked = hookedOn(view.beads, actor.name).map((bead) => {
    const molecule = moleculesBoundTo(view, bead.id)[0];
    if (molecule) shown.add(molecule.id);
    return {
      ...bead,
      convoys: convoysTracking(view, bead.id).map((c) => {
        const p = progressOf(view, c);
        return { id: c.id, title: c.title, completed: p.closed, total: p.total };
      }),
      ...(molecule ? { molecule: moleculeBrief(molecule, actor.name, now) } : {}),
    };
  });
  const molecules = [...activeMolecules(view), ...wisps.filter((w) => w.status === 'active')]
    .filter((m) => m.assignee === actor.name && !shown.has(m.id))
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1))
    .map((m) => moleculeBrief(m, actor.name, now));
  const unread = unreadFor(view, actor.name);
  return {
    agent: actor.name,
    role: actor.isOverseer ? 'overseer' : (view.agents.get(actor.name)?.role ?? (actor.name === MAYOR ? MAYOR : 'polecat')),
    is_overseer: actor.isOverseer,
    branch: actor.isOverseer ? 'gt/ledger' : `gt/agents/${actor.name}`,
    ...(checkout ? { checkout } : {}),
    hooked,
    molecules,
    nudges: unread.nudges,
    unread_mail: unread.mail,
    requests: actor.isOverseer ? [] : openRequests(view, actor.name),
  };
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}

/** A molecule's position for prime: progress, the current step in full, what comes next. */
function moleculeText(m: MoleculeBrief): string[] {
  const out = [`#### Molecule ${m.id}${m.wisp ? ' (wisp)' : ''}: ${m.title}`, `formula ${m.formula} v${m.formula_version} · ${m.finished}/${plural(m.total, 'step')} done`];
  const vars = Object.entries(m.vars);
  if (vars.length > 0) out.push(`variables: ${vars.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const c = m.current;
  if (!c) {
    out.push(m.finished === m.total ? 'All steps are done.' : 'No step is ready for you now: see `gt mol show ' + m.id + '`.');
    return out;
  }
  out.push(`Current step: ${c.id}: ${c.title} [${c.state === 'in_progress' ? 'in progress, yours' : 'ready: claim it with `gt mol step claim ' + c.id + '`, or just do it'}]`);
  if (c.description) out.push('Description:', indent(c.description));
  if (c.acceptance) out.push('Acceptance:', indent(c.acceptance));
  if (c.notes) out.push('Notes:', indent(c.notes));
  if (m.next.length > 0) out.push(`Also ready: ${m.next.slice(0, 5).map((s) => `${s.id} (${s.title})`).join(', ')}${m.next.length > 5 ? `, and ${m.next.length - 5} more` : ''}`);
  return out;
}

/** One message for an agent to read: a line, then its body indented. */
export function messageLines(m: Mail): string[] {
  return [`- ${m.id} from ${m.from} at ${m.created_at}: ${m.subject}`, ...(m.body ? [indent(m.body)] : [])];
}

/** Unread nudges as a block headed to be read first; empty when there are none. `markedRead`: say nothing about marking them read. */
export function nudgeLines(nudges: readonly Mail[], markedRead = false): string[] {
  if (nudges.length === 0) return [];
  const out = [`## ⚠ Nudge${nudges.length === 1 ? '' : 's'} for you (${nudges.length}): read ${nudges.length === 1 ? 'this' : 'these'} first`];
  for (const m of nudges) out.push(...messageLines(m));
  if (!markedRead) out.push('Mark one read with `gt mail read <id>` (`gt mail check --inject` shows and marks them all).');
  out.push('');
  return out;
}

/** What a request's state asks of its agent. */
function requestText(mr: MergeRequest): string[] {
  const head = `- ${mr.id} (${mr.bead}, ${mr.branch} → ${mr.target}): ${mr.status}`;
  switch (mr.status) {
    case 'conflict':
      return [
        `${head} in ${mr.conflict_files?.join(', ') || 'files git did not name'}.`,
        `  Resolve it: ${mr.conflict_bead ?? 'the conflict bead'} is on your hook. In your sandbox run \`git merge ${mr.target}\`, fix the`,
        '  conflicting files, commit, and run `gt done`: the refinery merges your branch again.',
      ];
    case 'failed':
      return [
        `${head}: the tests failed on the merge with ${mr.target}; ${mr.bead} is back on your hook, the output's tail in its notes.`,
        '  Fix the failure on your branch, commit, and run `gt done` again (it supersedes this request).',
      ];
    default:
      return [`${head}${mr.waiting ? ` (waiting: ${mr.waiting})` : ''}: in review, nothing to do; the bead closes when it merges.`];
  }
}

export function primeText(info: PrimeInfo): string {
  const out: string[] = [];
  // What the previous session asked to pass on comes first, then nudges: both are for now.
  if (info.handoff !== undefined) out.push(`Handoff from your previous session: ${info.handoff}`, '');
  out.push(...nudgeLines(info.nudges));
  out.push(`# You are ${info.agent} (${info.role})`);
  out.push(`Your gt writes go to ${info.branch}.${info.checkout ? ` Checkout: ${info.checkout}` : ''}`);
  out.push('');
  if (info.role === MAYOR) out.push('## How you work', MAYOR_GUIDE, '');
  if (info.hooked.length === 0 && info.role === MAYOR) {
    out.push('## Your hook is empty');
    out.push('That is usual for the Mayor: the work hangs on the hooks of the agents you hand it to.');
  } else if (info.hooked.length === 0) {
    out.push('## Your hook is empty');
    out.push('Nothing is assigned to you. See what is ready with `gt ready`, or wait for work to be slung to you.');
  } else {
    out.push(`## On your hook (${info.hooked.length})`);
    out.push('If your hook has work, run it: this is your assignment.');
    for (const bead of info.hooked) {
      out.push('');
      out.push(`### ${bead.id}: ${bead.title}`);
      out.push(`type ${bead.type} · priority P${bead.priority} · status ${bead.status}${bead.labels.length > 0 ? ` · labels ${bead.labels.join(', ')}` : ''}`);
      for (const c of bead.convoys) out.push(`convoy ${c.id} "${c.title}": ${c.completed}/${c.total} done`);
      if (bead.description) out.push('Description:', indent(bead.description));
      if (bead.acceptance) out.push('Acceptance:', indent(bead.acceptance));
      if (bead.notes) out.push('Notes:', indent(bead.notes));
      const blocks = bead.deps.filter((d) => d.type === 'blocks');
      if (blocks.length > 0) out.push(`Depends on: ${blocks.map((d) => d.id).join(', ')}`);
      if (bead.molecule) out.push('', ...moleculeText(bead.molecule));
    }
    out.push('');
    if (info.hooked.some((b) => b.molecule)) {
      out.push('Work a molecule step by step: do the current step, then run `gt mol step done --continue`, which');
      out.push('closes it and starts the next. Finishing the last step closes the bead; the observer then hands you');
      out.push('the next one. The molecule is the state: after a restart, `gt prime` shows where to resume.');
    } else {
      out.push('When the work is done: commit with `Closes: <id>` in the message (if the git hooks are installed),');
      out.push('or run `gt done`. Either closes the bead; the observer then hands you the next one. With a refinery');
      out.push('(refinery.target set), commit everything first: `gt done` submits your branch and the bead closes once it merges.');
    }
  }
  if (info.requests.length > 0) {
    out.push('');
    out.push(`## Your merge requests (${info.requests.length})`);
    for (const mr of info.requests) out.push(...requestText(mr));
  }
  if (info.molecules.length > 0) {
    out.push('');
    out.push(`## Your molecules (${info.molecules.length})`);
    for (const m of info.molecules) out.push('', ...moleculeText(m));
    out.push('', 'Advance with `gt mol step done --continue` (name the molecule when you have several).');
  }
  out.push('');
  if (info.unread_mail.length === 0) {
    out.push('## Mail: nothing unread');
  } else {
    out.push(`## Mail: ${info.unread_mail.length} unread`);
    for (const m of info.unread_mail) {
      out.push(`- ${m.id} from ${m.from}: ${m.subject}`);
      if (m.body) out.push(indent(m.body));
    }
    out.push('Mark read with `gt mail read <id>`; answer with `gt mail reply <id> -m "..."`.');
  }
  return `${out.join('\n')}\n`;
}
