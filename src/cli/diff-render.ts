/** `gt diff` as a person reads it: grouped text for a terminal, Markdown for a pull-request comment. */
import type { BeadChange, ConvoyChange, FieldChange, LedgerDiff, MoleculeChange } from '../work/ledger-diff.js';

/** Words for each count of LedgerDiff.counts, in the order the summary line gives them. */
const COUNT_WORDS: readonly [key: string, one: string, many: string][] = [
  ['beads_created', 'bead created', 'beads created'],
  ['beads_closed', 'bead closed', 'beads closed'],
  ['beads_reopened', 'bead reopened', 'beads reopened'],
  ['beads_changed', 'bead changed', 'beads changed'],
  ['beads_deleted', 'bead deleted', 'beads deleted'],
  ['comments_added', 'comment', 'comments'],
  ['convoys_created', 'convoy created', 'convoys created'],
  ['convoys_landed', 'convoy landed', 'convoys landed'],
  ['convoys_closed', 'convoy closed', 'convoys closed'],
  ['convoys_reopened', 'convoy reopened', 'convoys reopened'],
  ['convoys_changed', 'convoy changed', 'convoys changed'],
  ['convoys_deleted', 'convoy deleted', 'convoys deleted'],
  ['molecules_created', 'molecule poured', 'molecules poured'],
  ['molecules_advanced', 'molecule advanced', 'molecules advanced'],
  ['molecules_completed', 'molecule completed', 'molecules completed'],
  ['molecules_changed', 'molecule changed', 'molecules changed'],
  ['molecules_deleted', 'molecule removed', 'molecules removed'],
  ['steps_done', 'step done', 'steps done'],
  ['agents_created', 'agent added', 'agents added'],
  ['agents_changed', 'agent changed', 'agents changed'],
  ['agents_deleted', 'agent removed', 'agents removed'],
  ['mail_sent', 'mail sent', 'mails sent'],
  ['mail_read', 'mail read', 'mails read'],
  ['mail_changed', 'mail changed', 'mails changed'],
  ['mail_deleted', 'mail removed', 'mails removed'],
  ['mrs_created', 'merge request', 'merge requests'],
  ['mrs_changed', 'merge request changed', 'merge requests changed'],
  ['mrs_deleted', 'merge request removed', 'merge requests removed'],
  ['other_files', 'other file', 'other files'],
];

/** `3 beads created, 1 bead closed, 2 comments`; `no ledger changes` when there are none. */
export function summaryLine(diff: LedgerDiff): string {
  const parts = COUNT_WORDS.filter(([key]) => diff.counts[key]).map(([key, one, many]) => `${diff.counts[key]} ${diff.counts[key] === 1 ? one : many}`);
  return parts.length === 0 ? 'no ledger changes' : parts.join(', ');
}

function value(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** `priority: 2 → 1`, `labels: +auth -ui`, `description: appended 2 lines` */
export function describeField(f: FieldChange): string {
  return f.summary !== undefined ? `${f.field}: ${f.summary}` : `${f.field}: ${value(f.before)} → ${value(f.after)}`;
}

function beadHeadline(b: BeadChange): string {
  switch (b.change) {
    case 'created':
      return `created (${b.status})`;
    case 'closed':
      return b.close_reason !== undefined ? `closed: ${JSON.stringify(b.close_reason)}` : 'closed';
    case 'reopened':
      return `reopened (${b.status})`;
    case 'deleted':
      return 'deleted';
    case 'changed':
      return 'changed';
  }
}

/** The details under a bead: what a new bead was created with on one line, or each changed field; then comments. */
function beadDetails(b: BeadChange): string[] {
  const lines =
    b.change === 'created'
      ? [b.fields.map((f) => (f.field === 'type' ? String(f.after) : f.field === 'priority' ? `P${String(f.after)}` : `${f.field}: ${f.summary?.replace(/(^| )\+/g, '$1') ?? String(f.after)}`)).join(' · ')]
      : b.fields.map(describeField);
  for (const c of b.comments) lines.push(`comment by ${c.author}: ${JSON.stringify(c.text)}`);
  return lines.filter((l) => l !== '');
}

function convoyHeadline(c: ConvoyChange): string {
  const beads = `(${c.tracked} bead${c.tracked === 1 ? '' : 's'})`;
  if (c.change === 'landed') return c.created ? `created and landed ${beads}` : `landed ${beads}`;
  return c.change === 'created' ? `created ${beads}` : c.change;
}

function moleculeHeadline(m: MoleculeChange): string {
  const steps = [...m.steps_done, ...m.steps_skipped.map((s) => `${s} (skipped)`)];
  const progress = `${m.progress.done}/${m.progress.total} steps`;
  const on = m.bead !== undefined ? ` on ${m.bead}` : '';
  if (m.change === 'created') return `poured${on} (${progress})`;
  if (m.change === 'deleted') return `removed (${progress})`;
  return `${m.change}${steps.length > 0 ? `: ${steps.join(', ')} done` : ''} (${progress})`;
}

const MARKS: Record<string, string> = { created: '+', closed: '✓', reopened: '↺', changed: '~', deleted: '-', landed: '🚚', advanced: '▸', completed: '✓', read: '·' };

/** Every section of a diff as [title, entries]; an entry is a headline and its detail lines. */
function sections(diff: LedgerDiff): [string, { mark: string; id: string; title: string; headline: string; details: string[] }[]][] {
  const out: ReturnType<typeof sections> = [];
  const push = (title: string, entries: ReturnType<typeof sections>[number][1]) => {
    if (entries.length > 0) out.push([title, entries]);
  };
  push('Beads', diff.beads.map((b) => ({ mark: MARKS[b.change]!, id: b.id, title: b.title, headline: beadHeadline(b), details: beadDetails(b) })));
  push('Convoys', diff.convoys.map((c) => ({ mark: MARKS[c.change]!, id: c.id, title: c.title, headline: convoyHeadline(c), details: c.fields.map(describeField) })));
  push('Molecules', diff.molecules.map((m) => ({ mark: MARKS[m.change]!, id: m.id, title: m.title, headline: moleculeHeadline(m), details: [] })));
  push('Merge requests', diff.mrs.map((m) => ({ mark: MARKS[m.change]!, id: m.id, title: `${m.bead} from ${m.branch}`, headline: m.change === 'created' ? `created (${m.status})` : m.change, details: m.fields.map(describeField) })));
  push('Agents', diff.agents.map((a) => ({ mark: MARKS[a.change]!, id: a.id, title: a.role ?? '', headline: a.change, details: a.fields.map(describeField) })));
  push('Mail', diff.mail.map((m) => ({ mark: MARKS[m.change]!, id: m.id, title: `${m.from} → ${m.to}: ${m.subject}`, headline: m.change === 'created' ? 'sent' : m.change, details: [] })));
  push('Other files', diff.other.map((o) => ({ mark: o.change === 'added' ? '+' : o.change === 'removed' ? '-' : '~', id: o.path, title: '', headline: o.change, details: o.problem !== undefined ? [`unreadable: ${o.problem}`] : [] })));
  return out;
}

function short(commit: string): string {
  return commit.slice(0, 10);
}

/** The diff for a terminal: a summary line, then each section with one line per entity and its details indented. */
export function renderText(diff: LedgerDiff, range: string): string[] {
  const lines = [`${range} (${short(diff.from)}..${short(diff.to)}): ${summaryLine(diff)}`];
  for (const [title, entries] of sections(diff)) {
    lines.push('', title);
    const width = Math.max(...entries.map((e) => e.id.length));
    for (const e of entries) {
      lines.push(`  ${e.mark} ${e.id.padEnd(width)}  ${e.title ? `${e.title}  ` : ''}${e.headline}`);
      for (const d of e.details) lines.push(`      ${d}`);
    }
  }
  return lines;
}

/**
 * Ledger text inside Markdown: nothing in it can format, link, open HTML or (an agent's comment
 * quoting `@someone`) mention a user in a pull-request comment.
 */
export function markdownEscape(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|~&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`))
    .replace(/@(?=\w)/g, '@\u200b')
    .replace(/\r?\n/g, ' ');
}

/** Lists longer than this are folded into a collapsible block. */
const FOLD_AFTER = 10;

/** The diff as a pull-request comment: a heading, the summary line, then a section per kind. */
export function renderMarkdown(diff: LedgerDiff, range: string): string {
  const lines = [`### Ledger changes \`${range.replace(/`/g, '')}\``, '', `**${summaryLine(diff)}** (\`${short(diff.from)}..${short(diff.to)}\`)`];
  for (const [title, entries] of sections(diff)) {
    lines.push('', `#### ${title} (${entries.length})`, '');
    const folded = entries.length > FOLD_AFTER;
    if (folded) lines.push('<details>', `<summary>${entries.length} ${title.toLowerCase()}</summary>`, '');
    for (const e of entries) {
      const name = `\`${e.id.replace(/`/g, '')}\``;
      const [verb, note] = splitHeadline(e.headline);
      lines.push(`- **${verb}** ${name}${e.title ? ` ${markdownEscape(e.title)}` : ''}${note === '' ? '' : ` — ${markdownEscape(note)}`}`);
      for (const d of e.details) lines.push(`  - ${markdownEscape(d)}`);
    }
    if (folded) lines.push('', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

/** A headline's verb (`closed`, `created and landed`) and what follows it (`"why"`, `(1 bead)`). */
function splitHeadline(headline: string): [string, string] {
  const match = /^([a-z][a-z ]*?)(?::\s*|\s+(?=\()|$)(.*)$/.exec(headline);
  return match ? [match[1]!, match[2]!] : [headline, ''];
}
