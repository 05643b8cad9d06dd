import { once } from 'node:events';
import pc from 'picocolors';
import type { Bead } from '../beads/bead.js';
import type { LedgerProblem } from '../ledger/view.js';
import { plural } from '../ledger/wording.js';

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

/**
 * A JSON array of values already written as JSON (entities as the view keeps them), a slice at a time:
 * a listing of 50,000 beads is never one string of the whole output. JSON text escapes every control
 * character itself, so it needs no terminalSafe.
 */
export function printJsonTexts(texts: readonly string[]): Promise<void> {
  const SLICE = 512;
  if (texts.length === 0) return writeSlices(['[]\n']);
  return writeSlices(
    (function* () {
      for (let at = 0; at < texts.length; at += SLICE) {
        yield `${at === 0 ? '[' : ','}${texts.slice(at, at + SLICE).join(',')}${at + SLICE >= texts.length ? ']\n' : ''}`;
      }
    })(),
  );
}

/**
 * Writes to stdout a slice at a time, each only once the one before has gone: a pipe's reader sets
 * the pace. Node queues what a pipe does not take at once, so writing 26 MB of listing without waiting
 * held most of it in memory (gt list --json at 50,000 beads: 275 MB, 210 MB waiting).
 */
export async function writeSlices(slices: Iterable<string>, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  for (const slice of slices) {
    if (!out.write(slice)) await once(out, 'drain');
  }
}

/** Every line of human output goes through here (or terminalSafe): ledger text cannot drive the terminal. */
export function printLine(text = ''): void {
  process.stdout.write(`${terminalSafe(text)}\n`);
}

/**
 * Colour only for a person at a terminal: stdout a TTY (never a pipe or file), unless NO_COLOR is set
 * (it wins) or FORCE_COLOR asks for it anyway (FORCE_COLOR=0 turns it off); TERM=dumb gets none.
 * JSON is never coloured: printJson does not come here.
 */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

let palette: ReturnType<typeof pc.createColors> | undefined;
/** picocolors' functions, each a no-op where colorEnabled says no. */
export function colors(): ReturnType<typeof pc.createColors> {
  palette ??= pc.createColors(colorEnabled());
  return palette;
}

/**
 * One line of a list (beads, convoys, messages) for a person: cut to the terminal's width there, its
 * status symbols coloured; whole and plain in a pipe. Never for JSON.
 */
export function printRow(text: string): void {
  const safe = terminalSafe(text);
  process.stdout.write(`${paintIcons(process.stdout.isTTY && process.stdout.columns ? fitWidth(safe, process.stdout.columns) : safe)}\n`);
}

/** Columns a character takes on a terminal: 0 for combining marks, 2 for wide (CJK, emoji), else 1. */
function charWidth(code: number): number {
  if ((code >= 0x300 && code <= 0x36f) || code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/** The text cut to `columns` terminal columns, with … where it was cut. */
export function fitWidth(text: string, columns: number): string {
  if (columns <= 0 || displayWidth(text) <= columns) return text;
  let out = '';
  let width = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0)!);
    if (width + w > columns - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

export { plural } from '../ledger/wording.js';

/**
 * The one way human output shows a time: `2026-11-30 14:15:02 UTC`, from an ISO time or epoch
 * milliseconds ('' for none). JSON keeps the stored ISO text.
 */
export function formatTime(at: string | number | undefined): string {
  if (at === undefined || at === '') return '';
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return String(at);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
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

const ICON_COLORS: Record<string, (text: string) => string> = {
  '◐': (t) => colors().yellow(t),
  '⊘': (t) => colors().red(t),
  '❄': (t) => colors().blue(t),
  '⚓': (t) => colors().cyan(t),
  '✓': (t) => colors().green(t),
  '●': (t) => colors().green(t),
  '▶': (t) => colors().cyan(t),
};

/**
 * Status symbols coloured where colour is on. It runs on text terminalSafe has already made safe, so
 * the escapes it adds are the only ones on the line; a symbol is coloured where it stands as a word.
 */
function paintIcons(safe: string): string {
  if (!colorEnabled()) return safe;
  return safe.replace(/(^|\s)([◐⊘❄⚓✓●▶])(?=\s)/gmu, (_m, lead: string, icon: string) => `${lead}${ICON_COLORS[icon]!(icon)}`);
}

/** For `--help` of commands that list beads: what each status symbol means. */
export const STATUS_LEGEND = `
Status symbols:
  ${Object.entries(STATUS_ICONS).map(([status, icon]) => `${icon} ${status}`).join('   ')}   ? not on the ledger`;

/** For `--help` of convoy lists. */
export const CONVOY_LEGEND = `
Convoy symbols:
  ▶ open   ● complete, not landed yet (gt convoy check lands it)   ✓ closed (landed or closed by hand)${STATUS_LEGEND}`;

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

export function idWidthOf(beads: readonly { id: string }[]): number {
  return beads.reduce((w, b) => Math.max(w, b.id.length), 0);
}

export function printBeadList(beads: readonly Bead[], empty: string): Promise<void> {
  return printBeadLines(beads.map((b) => ({ id: b.id, bead: () => b })), empty);
}

/**
 * A list of beads as stored (their JSON texts), each parsed only for its line and dropped: `gt list
 * --all` of 50,000 beads never holds them all parsed, nor all their lines as one string.
 */
export function printBeadTexts(rows: readonly { id: string; text: string }[], empty: string): Promise<void> {
  return printBeadLines(rows.map((r) => ({ id: r.id, bead: () => JSON.parse(r.text) as Bead })), empty);
}

/** Lines written per write: a list of any length is never one string. */
const LIST_CHUNK = 1000;

async function printBeadLines(rows: readonly { id: string; bead: () => Bead }[], empty: string): Promise<void> {
  if (rows.length === 0) {
    printLine(empty);
    return;
  }
  const width = idWidthOf(rows);
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  await writeSlices(
    (function* () {
      for (let at = 0; at < rows.length; at += LIST_CHUNK) {
        const lines = rows.slice(at, at + LIST_CHUNK).map((r) => {
          const line = terminalSafe(beadLine(r.bead(), width));
          return columns ? fitWidth(line, columns) : line;
        });
        yield `${paintIcons(lines.join('\n'))}\n`;
      }
    })(),
  );
}

export function describeProblem(problem: LedgerProblem): string {
  return `${problem.path}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.problem}`;
}

/** Broken ledger files are reported on stderr by every command that reads the beads, once each. */
export function warnProblems(problems: readonly LedgerProblem[]): void {
  for (const p of problems.slice(0, 5)) warn(`${describeProblem(p)} (skipped; see gt doctor)`);
  if (problems.length > 5) warn(`${plural(problems.length - 5, 'more broken file')} (see gt doctor)`);
}
