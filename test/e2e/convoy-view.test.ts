import { describe, expect, it } from 'vitest';
import { useGtRepo } from '../helpers/repo.js';
import { plainText, runGtOnPty } from '../helpers/pty.js';

const r = useGtRepo();

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const DOWN = '\x1b[B';
const UP = '\x1b[A';

describe('gt convoy list -i', () => {
  it('shows convoys as rows; arrows move, Enter expands one into its beads with status and assignee, q quits and gives the screen back', () => {
    const schema = create('Design Database schema');
    const api = create('Write API endpoints');
    const docs = create('Update Documentation');
    r.gtOk('close', schema);
    r.gtOk('update', api, '--status', 'in_progress', '--assignee', 'ann');
    const release = r.gtJson<{ id: string }>('convoy', 'create', 'Release 1.0', schema, api, docs).id;
    const guide = create('Write the user guide');
    r.gtJson('convoy', 'create', 'Handbook', guide);

    const run = runGtOnPty(['convoy', 'list', '-i'], r.dir, [
      { expect: 'Handbook: (0/1 completed)' },
      // Down to the second row and open it: its bead shows, the first convoy's do not.
      { send: DOWN },
      { expect: 'Release 1.0' },
      { send: '\r' },
      { expect: `${guide}: Write the user guide [OPEN]` },
      // Back up and open the first: each tracked bead with its status and assignee.
      { send: UP },
      { expect: 'Release 1.0' },
      { send: '\r' },
      { expect: `${api}: Write API endpoints [IN PROGRESS] @ann` },
      { send: 'q' },
    ]);
    expect(run.failed).toBeNull();
    expect(run.status).toBe(0);
    const text = plainText(run.output);
    expect(text).toContain('▶ 1. 🚚 Release 1.0: (1/3 completed)');
    expect(text).toContain('▼ 1. 🚚 Release 1.0: (1/3 completed)');
    expect(text).toContain(`✓ ${schema}: Design Database schema [CLOSED]`);
    expect(text).toContain(`○ ${docs}: Update Documentation [OPEN]`);
    expect(text).toMatch(/^   └─ /m);
    expect(text).toContain(release);
    // The alternate screen is left and the cursor shown again.
    expect(run.output.endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
  });

  it('refuses without a terminal, in one line (exit 2); plain convoy list is unchanged', () => {
    const b = create('Only bead');
    const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Solo', b).id;
    const out = r.gt(['convoy', 'list', '-i']);
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')[0]).toBe('gt: gt convoy list -i needs a terminal (stdin and stdout)');
    expect(out.stdout).toBe('');
    expect(r.gtOk('convoy', 'list')).toBe(`▶ ${cv}  Solo  0/1\n`);
    expect(r.gt(['convoy', 'list', '-i', '--json']).status).toBe(2);
  });

  it('on a terminal, lists cut long titles to its width and colour status symbols; pipes and NO_COLOR get neither', () => {
    const long = create(`A very long title ${'that goes on '.repeat(12)}until the end`);
    r.gtOk('update', long, '--status', 'in_progress');
    const run = runGtOnPty(['list'], r.dir, [{ expect: long }], { columns: 60 });
    expect(run.status).toBe(0);
    const lines = plainText(run.output).split('\n').filter((l) => l.includes(long));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('…')).toBe(true);
    expect([...lines[0]!].length).toBe(60);
    expect(run.output).toContain('\x1b[33m◐\x1b[39m');
    const noColor = runGtOnPty(['list'], r.dir, [{ expect: long }], { env: { NO_COLOR: '1' } });
    expect(noColor.output).not.toContain('\x1b[33m');
    const piped = r.gtOk('list');
    expect(piped).toContain('until the end');
    expect(piped).not.toContain('\x1b');
    expect(r.gt(['list'], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[33m◐\x1b[39m');
    expect(r.gt(['list', '--json'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain('\x1b');
  });
});
