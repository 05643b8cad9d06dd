import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, GT_BIN, useGtRepo } from '../helpers/repo.js';

const r = useGtRepo();

const which = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

/**
 * Runs bash's completion of `words` (the last one is the word being completed) as bash would on TAB:
 * COMP_WORDS/COMP_CWORD set, the `complete -F` function called, COMPREPLY printed one per line.
 */
function complete(script: string, words: string[]): string[] {
  const file = join(r.dir, '..', 'gt-completion.bash');
  writeFileSync(file, script);
  const driver = `source ${JSON.stringify(file)}
fn=$(complete -p gt | sed -E 's/.* -F ([^ ]+) .*/\\1/')
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
"$fn"
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = spawnSync('bash', ['--norc', '--noprofile', '-c', driver, 'bash', ...words], {
    cwd: r.dir,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV, GT_AGENT: '', _GT_COMPLETION_COMMAND: `${process.execPath} ${GT_BIN}` },
  });
  expect(out.stderr).toBe('');
  return out.stdout.split('\n').filter((l) => l !== '');
}

describe('gt completion', () => {
  it('bash completes commands, subcommands and options from the command tree, and bead, convoy and agent ids from the ledger', () => {
    const open = r.gtJson<{ id: string }>('create', 'Open work').id;
    const closed = r.gtJson<{ id: string }>('create', 'Done work').id;
    r.gtOk('close', closed);
    const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Release', open).id;
    r.gtOk('agents', 'add', 'ann');
    const script = r.gtOk('completion', 'bash');

    expect(complete(script, ['gt', 'conv'])).toEqual(['convoy']);
    expect(complete(script, ['gt', 'convoy', 'l'])).toEqual(['list']);
    // Every command of the tree is offered, this one included.
    expect(complete(script, ['gt', ''])).toEqual(expect.arrayContaining(['create', 'show', 'convoy', 'doctor', 'completion']));
    expect(complete(script, ['gt', 'convoy', 'list', '--a'])).toEqual(['--all', '--as']);
    expect(complete(script, ['gt', 'doctor', '--f'])).toEqual(['--fix']);

    // Bead ids: open ones before closed ones, whatever their order by id.
    expect(complete(script, ['gt', 'show', 'gt-'])).toEqual([open, closed, cv].filter((id) => !id.includes('-cv-')));
    expect(complete(script, ['gt', 'show', open.slice(0, 5)])).toContain(open);
    // A variadic argument keeps completing beads; an option in between does not count as one.
    expect(complete(script, ['gt', 'close', open, '--reason', 'x', 'gt-'])).toContain(closed);
    expect(complete(script, ['gt', 'convoy', 'status', 'gt-cv'])).toEqual([cv]);
    expect(complete(script, ['gt', 'sling', open, 'a'])).toEqual(['ann']);
    expect(complete(script, ['gt', 'list', '--assignee', ''])).toEqual(['ann']);
    expect(complete(script, ['gt', '--as', 'a'])).toEqual(['ann']);
    // Something gt cannot list (a title) offers nothing of gt's.
    expect(complete(script, ['gt', 'create', 'gt-'])).toEqual([]);
  });

  it('lists candidates through a documented command: open beads first, a prefix, descriptions for fish; formulas from the search path', () => {
    const a = r.gtJson<{ id: string }>('create', 'Alpha').id;
    const b = r.gtJson<{ id: string }>('create', 'Beta').id;
    r.gtOk('close', a);
    expect(r.gtOk('completion', 'list', 'beads').trim().split('\n')).toEqual([b, a]);
    expect(r.gtOk('completion', 'list', 'beads', b).trim()).toBe(b);
    expect(r.gtOk('completion', 'list', 'beads', b, '--describe').trim()).toBe(`${b}\topen: Beta`);
    expect(r.gtOk('completion', 'list', 'convoys')).toBe('');
    expect(r.gtOk('completion', 'list', 'formulas').split('\n')).toContain('feature');
    const bad = r.gt(['completion', 'list', 'widgets']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("invalid kind 'widgets'");
  });

  it('prints zsh and fish scripts from the same tree (run them where those shells are installed)', () => {
    const zsh = r.gtOk('completion', 'zsh');
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain("'convoy list') echo");
    const fish = r.gtOk('completion', 'fish');
    expect(fish).toContain("complete -c gt -f -k -a '(__gt_complete)'");
    expect(fish).toContain("case 'convoy status|0'");
    // zsh and fish are not installed on every machine; when they are, the scripts must at least parse.
    if (which('zsh')) {
      const out = spawnSync('zsh', ['-n', '-c', zsh], { encoding: 'utf8' });
      expect(out.stderr).toBe('');
    }
    if (which('fish')) {
      const out = spawnSync('fish', ['--no-execute', '-c', fish], { encoding: 'utf8' });
      expect(out.stderr).toBe('');
    }
  });
});
