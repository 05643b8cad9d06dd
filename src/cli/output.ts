import type { Bead } from '../beads/bead.js';
import type { LedgerProblem } from '../ledger/view.js';

/** Everything the CLI prints goes through here, so tests and pipes see the same text. */

/**
 * Text from the ledger as a terminal may show it: C0 and C1 control characters (ESC, BEL, CR, DEL, CSI…)
 * written as `\x1b`-style escapes, so a title cannot set the terminal's title, clear the screen or
 * rewrite a line. Newlines (multi-line descriptions) and tabs are kept. JSON needs none of this: it
 * escapes control characters itself.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Indented for a person at a terminal; one compact line for a pipe, where a program reads it (like `gh --json`). */
export function printJson(value: unknown): void {
  const text = process.stdout.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  process.stdout.write(`${text}\n`);
}

/** Every line of human output goes through here (or terminalSafe): ledger text cannot drive the terminal. */
export function printLine(text = ''): void {
  process.stdout.write(`${terminalSafe(text)}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`gt: warning: ${terminalSafe(text)}\n`);
}

const STATUS_ICONS: Record<string, string> = {
  open: '○',
  in_progress: '◐',
  blocked: '⊘',
  deferred: '❄',
  hooked: '⚓',
  closed: '✓',
};

export function statusIcon(status: string): string {
  return STATUS_ICONS[status] ?? '?';
}

/** One bead on one line, for lists: icon, id, priority, type, title, assignee, labels. */
export function beadLine(bead: Bead, idWidth = 0): string {
  const parts = [
    statusIcon(bead.status),
    bead.id.padEnd(idWidth),
    `P${bead.priority}`,
    bead.type.padEnd(8),
    bead.title,
  ];
  if (bead.assignee) parts.push(`@${bead.assignee}`);
  if (bead.labels.length > 0) parts.push(`[${bead.labels.join(', ')}]`);
  return parts.join('  ');
}

export function idWidthOf(beads: readonly Bead[]): number {
  return beads.reduce((w, b) => Math.max(w, b.id.length), 0);
}

export function printBeadList(beads: readonly Bead[], empty: string): void {
  if (beads.length === 0) {
    printLine(empty);
    return;
  }
  const width = idWidthOf(beads);
  process.stdout.write(`${terminalSafe(beads.map((b) => beadLine(b, width)).join('\n'))}\n`);
}

export function describeProblem(problem: LedgerProblem): string {
  return `${problem.path}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.problem}`;
}

/** Broken ledger files are reported on stderr by every command that reads the beads, once each. */
export function warnProblems(problems: readonly LedgerProblem[]): void {
  for (const p of problems.slice(0, 5)) warn(`${describeProblem(p)} (skipped; see gt doctor)`);
  if (problems.length > 5) warn(`${problems.length - 5} more broken files (see gt doctor)`);
}

export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '';
}
