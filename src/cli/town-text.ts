/** `gt status` as text: the town model (src/town/town.ts) for a terminal. Ledger text goes through terminalSafe. */
import type { Activity, Town } from '../town/town.js';
import { colors, formatTime, statusIcon, terminalSafe } from './output.js';
import { plural } from '../ledger/wording.js';
import { LOOPS } from '../observer/running.js';

const BAR_WIDTH = 20;

export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}


function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Activity coloured as upstream's dashboard does; no colour where colorEnabled says no (a pipe, NO_COLOR). */
function activityColour(activity: Activity): (s: string) => string {
  const pc = colors();
  return { active: pc.green, complete: pc.green, stale: pc.yellow, stuck: pc.red, waiting: pc.gray }[activity];
}

/** The whole town, one string, lines ending in newlines. `columns` cuts long titles. */
export function townText(town: Town, columns = 100): string {
  const pc = colors();
  const safe = (text: string): string => terminalSafe(text);
  const titleRoom = Math.max(20, columns - 50);
  const lines: string[] = [];
  lines.push(pc.bold(`Town at ${formatTime(town.now)}  (ledger ${town.head.slice(0, 10)})`));

  lines.push('');
  if (town.needs.length === 0) lines.push(`${pc.green('✓')} nothing needs you`);
  else {
    lines.push(pc.bold(pc.red(`Needs you (${town.needs.length})`)));
    for (const n of town.needs) lines.push(`  ${pc.red('⚠')} ${safe(cut(n.text, columns - 4))}\n      ${pc.dim(`→ ${safe(n.hint)}`)}`);
  }

  lines.push('');
  lines.push(pc.bold(`Convoys (${town.convoys.length} open)`));
  if (town.convoys.length === 0) lines.push(pc.dim('  no open convoys'));
  const idWidth = town.convoys.reduce((w, c) => Math.max(w, c.id.length), 0);
  for (const c of town.convoys) {
    const bar = c.closed === c.total && c.total > 0 ? pc.green(progressBar(c.closed, c.total)) : pc.cyan(progressBar(c.closed, c.total));
    lines.push(`  ${c.id.padEnd(idWidth)}  ${bar} ${`${c.closed}/${c.total}`.padStart(5)}  ${safe(cut(c.title, titleRoom))}${c.stranded ? pc.yellow('  (stranded)') : ''}`);
  }

  lines.push('');
  lines.push(pc.bold(`Agents (${town.agents.length})`));
  if (town.agents.length === 0) lines.push(pc.dim('  no agents yet'));
  const nameWidth = town.agents.reduce((w, a) => Math.max(w, a.name.length), 0);
  for (const a of town.agents) {
    const colour = activityColour(a.activity);
    const work = a.bead ? `${statusIcon('hooked')} ${a.bead}  ${safe(cut(a.title ?? '', titleRoom - 10))}${a.hooked.length > 1 ? pc.dim(` (+${a.hooked.length - 1})`) : ''}` : pc.dim('-');
    const seen = a.last_activity ? pc.dim(`  active ${formatTime(a.last_activity)}`) : '';
    lines.push(`  ${colour('●')} ${safe(a.name.padEnd(nameWidth))}  ${a.role.padEnd(7)}  ${colour(a.state.padEnd(7))}  ${work}${seen}`);
  }

  lines.push('');
  const q = town.merge_queue.counts;
  const shown = (['queued', 'merging', 'conflict', 'failed'] as const).map((s) => {
    const text = `${q[s]} ${s}`;
    return q[s] > 0 && (s === 'conflict' || s === 'failed') ? pc.red(text) : text;
  });
  lines.push(`${pc.bold('Merge queue')}  ${shown.join(', ')}  ${pc.dim(`(${q.merged} merged, ${q.rejected} rejected)`)}`);
  for (const r of town.merge_queue.requests) lines.push(`  ${r.id}  ${r.status.padEnd(8)}  ${r.bead}  ${safe(r.branch)} → ${safe(r.target)}  @${safe(r.agent)}${r.waiting ? pc.dim(`  (waiting: ${safe(r.waiting)})`) : ''}`);

  lines.push('');
  const m = town.mail;
  lines.push(`${pc.bold('Mail')}  ${m.unread === 0 ? 'no unread mail' : `${plural(m.unread, 'unread message')}${m.escalations > 0 ? pc.red(` (${plural(m.escalations, 'escalation')})`) : ''}`}`);
  for (const mail of m.messages) lines.push(`  ${mail.escalation ? pc.red('⚠') : '✉'} ${mail.id}  ${safe(mail.from)}: ${safe(cut(mail.subject, titleRoom))}`);

  lines.push('');
  const loops = LOOPS.map((name) => {
    const l = town.loops[name];
    return l.running ? `${pc.green('✓')} ${name} ${pc.dim(`(${l.command}, pid ${l.pid})`)}` : `${pc.gray('✗')} ${name} ${pc.dim('not running')}`;
  });
  lines.push(`${pc.bold('Loops')}  ${loops.join('   ')}`);
  if (!town.loops.observer.running) lines.push(pc.dim('  gt watch runs the observer, the witness and (with refinery.target) the refinery'));
  return `${lines.join('\n')}\n`;
}
