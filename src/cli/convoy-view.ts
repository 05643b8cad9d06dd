/**
 * `gt convoy list -i`: convoys as rows on the terminal, arrow keys (or j/k) move, Enter (or space)
 * expands a convoy into its tracked beads with status and assignee, q (or Esc, Ctrl-C) quits. It draws
 * on the terminal's alternate screen and gives the screen back as it was when it ends.
 */
import type { ConvoyProgress } from '../convoys/convoy-service.js';
import { colors, fitWidth, statusIcon, terminalSafe } from './output.js';

export interface ConvoyViewState {
  cursor: number;
  expanded: Set<string>;
}

const KEYS_HELP = '↑/↓ move · Enter expand · q quit';

function convoyRow(p: ConvoyProgress, index: number, open: boolean): string {
  const done = p.convoy.status === 'closed' ? (p.convoy.landed_at ? ', landed' : ', closed') : '';
  return `${open ? '▼' : '▶'} ${index + 1}. 🚚 ${p.convoy.title}: (${p.closed}/${p.total} completed${done})  ${p.convoy.id}`;
}

function beadRows(p: ConvoyProgress): string[] {
  if (p.tracked.length === 0) return ['   └─ (tracks no beads)'];
  return p.tracked.map((t, i) => {
    const branch = i === p.tracked.length - 1 ? '└─' : '├─';
    const status = t.missing ? 'NOT ON THE LEDGER' : t.status.toUpperCase().replace('_', ' ');
    return `   ${branch} ${t.missing ? '?' : statusIcon(t.status)} ${t.id}: ${t.title ?? ''} [${status}]${t.assignee ? ` @${t.assignee}` : ''}`;
  });
}

/** The screen as lines: a title, the rows (the cursor's one highlighted), the keys; cut to the terminal's size. */
export function renderConvoyView(progress: readonly ConvoyProgress[], state: ConvoyViewState, size: { columns: number; rows: number }): string[] {
  const c = colors();
  const body: string[] = [];
  let cursorLine = 0;
  progress.forEach((p, i) => {
    const open = state.expanded.has(p.convoy.id);
    if (i === state.cursor) cursorLine = body.length;
    const row = fitWidth(terminalSafe(convoyRow(p, i, open)), size.columns);
    body.push(i === state.cursor ? c.inverse(row) : row);
    if (open) for (const line of beadRows(p)) body.push(fitWidth(terminalSafe(line), size.columns));
  });
  if (progress.length === 0) body.push('no convoys');
  // Rows beyond the screen scroll so that the cursor stays in sight.
  const room = Math.max(1, size.rows - 3);
  const top = Math.min(Math.max(0, cursorLine - Math.floor(room / 2)), Math.max(0, body.length - room));
  return [c.bold('Convoys'), ...body.slice(top, top + room), '', c.dim(fitWidth(KEYS_HELP, size.columns))];
}

/** What a key press does to the state; 'quit' ends the view. */
export function applyKey(key: string, state: ConvoyViewState, progress: readonly ConvoyProgress[]): 'quit' | 'redraw' | 'ignore' {
  switch (key) {
    case 'q':
    case 'Q':
    case '\x1b':
    case '\x03':
      return 'quit';
    case '\x1b[A':
    case '\x1bOA':
    case 'k':
      if (state.cursor === 0) return 'ignore';
      state.cursor--;
      return 'redraw';
    case '\x1b[B':
    case '\x1bOB':
    case 'j':
      if (state.cursor >= progress.length - 1) return 'ignore';
      state.cursor++;
      return 'redraw';
    case '\r':
    case '\n':
    case ' ': {
      const id = progress[state.cursor]?.convoy.id;
      if (id === undefined) return 'ignore';
      if (state.expanded.has(id)) state.expanded.delete(id);
      else state.expanded.add(id);
      return 'redraw';
    }
    default:
      return 'ignore';
  }
}

/** Splits what one read gave into keys: escape sequences (arrows) whole, other characters one by one. */
export function keysOf(data: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < data.length; ) {
    const seq = /^\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(data.slice(i));
    const key = seq ? seq[0] : data[i]!;
    keys.push(key);
    i += key.length;
  }
  return keys;
}

/** Runs the view until q; resolves when the terminal is given back. */
export function runConvoyView(progress: readonly ConvoyProgress[]): Promise<void> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const state: ConvoyViewState = { cursor: 0, expanded: new Set() };
  const draw = (): void => {
    const lines = renderConvoyView(progress, state, { columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.write(`\x1b[H\x1b[2J${lines.join('\r\n')}`);
  };
  return new Promise((resolve) => {
    const finish = (): void => {
      stdin.off('data', onData);
      stdout.off('resize', draw);
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write('\x1b[?25h\x1b[?1049l');
      resolve();
    };
    const onData = (data: string): void => {
      for (const key of keysOf(data)) {
        const outcome = applyKey(key, state, progress);
        if (outcome === 'quit') return finish();
        if (outcome === 'redraw') draw();
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdout.on('resize', draw);
    stdin.resume();
    // The alternate screen, without a cursor: what was on the terminal comes back on quit.
    stdout.write('\x1b[?1049h\x1b[?25l');
    draw();
  });
}
