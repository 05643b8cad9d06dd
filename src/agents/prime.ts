/**
 * `gt prime`: what an agent reads when its session starts. Written for an AI agent: who it is, the
 * work on its hook in full, the convoy around it, unread mail, and exactly what to run next.
 */
import type { LedgerView } from '../ledger/view.js';
import type { Actor } from '../ledger/actor.js';
import type { Bead } from '../beads/bead.js';
import type { Mail } from '../mail/mail.js';
import { hookedOn } from './hook-service.js';
import { inboxOf } from '../mail/mail-service.js';
import { convoysTracking, progressOf } from '../convoys/convoy-service.js';

export interface PrimeInfo {
  agent: string;
  role: string;
  is_overseer: boolean;
  branch: string;
  checkout?: string;
  hooked: (Bead & { convoys: { id: string; title: string; completed: number; total: number }[] })[];
  unread_mail: Mail[];
}

export function primeInfo(view: LedgerView, actor: Actor, checkout: string | null): PrimeInfo {
  const hooked = hookedOn(view.beads, actor.name).map((bead) => ({
    ...bead,
    convoys: convoysTracking(view, bead.id).map((c) => {
      const p = progressOf(view, c);
      return { id: c.id, title: c.title, completed: p.closed, total: p.total };
    }),
  }));
  return {
    agent: actor.name,
    role: actor.isOverseer ? 'overseer' : (view.agents.get(actor.name)?.role ?? 'polecat'),
    is_overseer: actor.isOverseer,
    branch: actor.isOverseer ? 'gt/ledger' : `gt/agents/${actor.name}`,
    ...(checkout ? { checkout } : {}),
    hooked,
    unread_mail: inboxOf(view, actor.name, { unreadOnly: true }),
  };
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}

export function primeText(info: PrimeInfo): string {
  const out: string[] = [];
  out.push(`# You are ${info.agent} (${info.role})`);
  out.push(`Your gt writes go to ${info.branch}.${info.checkout ? ` Checkout: ${info.checkout}` : ''}`);
  out.push('');
  if (info.hooked.length === 0) {
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
    }
    out.push('');
    out.push('When the work is done: commit with `Closes: <id>` in the message (if the git hooks are installed),');
    out.push('or run `gt done`. Either closes the bead; the observer then hands you the next one.');
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
