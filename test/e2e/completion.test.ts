import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { plainText, runOnPty, type PtyStep } from '../helpers/pty.js';
import { GIT_ENV, GT_BIN, useGtRepo } from '../helpers/repo.js';

const r = useGtRepo();

/** The shell's path; CI installs zsh and fish (.ci/run), so a missing one fails the test rather than skipping it. */
function shell(name: 'zsh' | 'fish'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${name} is not installed: .ci/run installs it (apt-get install -y ${name})`);
  return found.stdout.trim();
}

const PROMPT = 'gt-test-prompt> ';

/**
 * The shells find gt on PATH as a user's do (the built one, ahead of any other: a script running it),
 * and have a home of the test's own for their files.
 */
function shellEnv(): Record<string, string> {
  const home = join(r.dir, '..', 'home');
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'gt'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(GT_BIN)} "$@"\n`, { mode: 0o755 });
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...GIT_ENV, GT_AGENT: '', HOME: home, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR', 'ZDOTDIR', '_GT_COMPLETION_COMMAND']) delete env[key];
  return env;
}

/** Two beads (one closed), a convoy tracking the open one, and an agent. */
function seed(): { open: string; closed: string; cv: string } {
  const open = r.gtJson<{ id: string }>('create', 'Open work').id;
  const closed = r.gtJson<{ id: string }>('create', 'Done work').id;
  r.gtOk('close', closed);
  const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Release', open).id;
  r.gtOk('agents', 'add', 'ann');
  return { open, closed, cv };
}

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
    env: shellEnv(),
  });
  expect(out.stderr).toBe('');
  return out.stdout.split('\n').filter((l) => l !== '');
}

describe('gt completion', () => {
  it('bash completes commands, subcommands and options from the command tree, and bead, convoy and agent ids from the ledger', () => {
    const { open, closed, cv } = seed();
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

  it('fish completes commands, options and ids with their descriptions, --opt=value, and falls back to files', () => {
    const { open, closed, cv } = seed();
    writeFileSync(join(r.dir, 'notes.txt'), 'x\n');
    const file = join(r.dir, '..', 'gt-completion.fish');
    writeFileSync(file, r.gtOk('completion', 'fish'));
    const fish = (line: string): string[] => {
      const out = spawnSync(shell('fish'), ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { cwd: r.dir, encoding: 'utf8', env: shellEnv() });
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      return out.stdout.split('\n').filter((l) => l !== '');
    };
    const names = (lines: string[]): string[] => lines.map((l) => l.split('\t')[0]!);

    // Commands and options come with their help, as fish shows it beside each candidate.
    const con = fish('gt con');
    expect(names(con).sort()).toEqual(['config', 'convoy']);
    expect(con).toContain('convoy\tconvoys: batches of beads that land when all their work is done');
    expect(fish('gt convoy l')).toEqual([expect.stringMatching(/^list\t\S/)]);
    const options = fish('gt convoy list --a');
    expect(names(options)).toEqual(['--all', '--as']);
    expect(options[0]).toBe('--all\tinclude closed convoys');

    // Ids from the ledger with status and title, open work first.
    expect(fish('gt show gt-')).toEqual([`${open}\topen: Open work`, `${closed}\tclosed: Done work`]);
    expect(fish(`gt show ${open.slice(0, 5)}`)).toContain(`${open}\topen: Open work`);
    expect(fish(`gt close ${open} --reason x gt-`)).toContain(`${closed}\tclosed: Done work`);
    expect(fish('gt convoy status gt-cv')).toEqual([`${cv}\topen: Release`]);
    expect(fish(`gt sling ${open} a`)).toEqual(['ann\tpolecat']);
    expect(fish('gt list --assignee ')).toEqual(['ann\tpolecat']);
    expect(fish('gt list --assignee=')).toEqual(['--assignee=ann\tpolecat']);
    expect(fish('gt formula show fea')).toContain('feature\tbuiltin');
    // What gt cannot list (a title here) offers file names, as bash's -o default does.
    expect(fish('gt create no')).toEqual(['notes.txt']);
  });

  it('zsh, at a real terminal, completes commands, options and bead, convoy and agent ids on TAB', () => {
    const { open, closed, cv } = seed();
    const file = join(r.dir, '..', 'gt-completion.zsh');
    writeFileSync(file, r.gtOk('completion', 'zsh'));
    // Each step types a line and TAB, waits for what zsh lists or inserts, then Ctrl-U to clear the line:
    // a key, read once the completion widget is done (Ctrl-C would be a signal, and could cut it short).
    const tab = (line: string, ...shown: string[]): PtyStep[] => [{ send: `${line}\t` }, ...shown.map((text) => ({ expect: text })), { send: '\x15' }];
    const run = runOnPty(
      [shell('zsh'), '-f', '-i'],
      r.dir,
      [
        // $((1+1)): the echo of the typed line is not mistaken for the setup having run. Emacs keys, whatever
        // $EDITOR says, for Ctrl-U. No listambiguous:
        // zsh lists the candidates on the first TAB even when it can also insert a longer common prefix
        // (two random ids may share more than `gt-`).
        { send: `PS1=${JSON.stringify(PROMPT)}; bindkey -e; unsetopt listambiguous; autoload -U compinit && compinit -u -D; source ${JSON.stringify(file)}; print setup-$((1+1))\r` },
        { expect: 'setup-2' },
        ...tab('gt con', 'config', 'convoy'),
        ...tab('gt convoy list --a', '--all', '--as'),
        // An unambiguous prefix is completed in place (zsh draws the space after it in bold: not looked for).
        ...tab(`gt show ${open.slice(0, 5)}`, `gt show ${open}`),
        // Both ids listed, open one first or not (zsh sorts), on the first TAB: see listambiguous above.
        ...tab('gt show gt-', open.slice(3), closed.slice(3)),
        ...tab('gt convoy status gt-cv', `status ${cv}`),
        ...tab(`gt sling ${open} a`, `${open} ann`),
        ...tab('gt list --assignee=', '--assignee=ann'),
        { send: 'exit\r' },
      ],
      { env: shellEnv() },
    );
    expect(run.failed, plainText(run.output)).toBeNull();
    expect(run.status).toBe(0);
    // zsh printed no complaint about the script (a bash-only construct, an unknown option).
    expect(plainText(run.output)).not.toMatch(/command not found|parse error|bad option|no such/i);
  });
});
