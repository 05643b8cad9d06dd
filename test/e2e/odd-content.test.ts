/**
 * Odd content on the ledger never hangs or crashes gt: files that are not `<folder>/<id>.yaml`,
 * committed with git plumbing as any other tool could, are skipped by every command and the
 * observer, carried through merges, and named by gt doctor.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, useGtRepo } from '../helpers/repo.js';

const r = useGtRepo();

/** Adds files to the tip of `branch` in one commit, natively: a temporary index, commit-tree, update-ref. */
function commitNatively(branch: string, files: Record<string, string>): void {
  const index = join(r.dir, '.git', `odd-index-${process.pid}`);
  const env = { ...process.env, ...GIT_ENV, GIT_INDEX_FILE: index };
  const git = (args: string[], input?: string): string =>
    execFileSync('git', args, { cwd: r.dir, env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) }).trim();
  try {
    git(['read-tree', branch]);
    for (const [path, text] of Object.entries(files)) {
      const blob = git(['hash-object', '-w', '--stdin'], text);
      git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
    }
    const tree = git(['write-tree']);
    const tip = git(['rev-parse', branch]);
    const commit = git(['commit-tree', tree, '-p', tip, '-m', 'odd files'], '');
    git(['update-ref', `refs/heads/${branch}`, commit, tip]);
  } finally {
    rmSync(index, { force: true });
  }
}

const ODD: Record<string, string> = {
  'beads/README': '# what lives here\n',
  'beads/x.yml': 'id: gt-x\ntitle: not a bead file\n',
  'beads/sub/gt-zz.yaml': 'id: gt-zz\n',
  'beads/sub/deeper/notes.yaml': 'a: 1\n',
  'convoys/README.md': 'convoys\n',
  'mail/notes.txt': 'mail\n',
  'agents/a/b/c.yaml': 'x: 1\n',
  'molecules/x.yml': 'y: 2\n',
  'README.md': 'the ledger\n',
  'stuff/a.yaml': 'z: 3\n',
};

describe('files that are not <folder>/<id>.yaml', () => {
  it('are skipped by list, show, ready, blocked, export and the convoy and mail commands', () => {
    const a = r.gtJson<{ id: string }>('create', 'Real work').id;
    commitNatively('gt/ledger', ODD);
    for (const args of [['list'], ['ready'], ['blocked'], ['show', a], ['export'], ['convoy', 'list'], ['mail', 'inbox'], ['agents'], ['mol', 'list'], ['stats']]) {
      const result = r.gt(args);
      expect(result.status, `gt ${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr, `gt ${args.join(' ')}`).toBe('');
    }
    expect(r.gtJson<{ id: string }[]>('list').map((b) => b.id)).toEqual([a]);
    expect(r.gtJson<{ id: string }[]>('ready').map((b) => b.id)).toEqual([a]);
  });

  it('never stop the observer: a closure among them is still handled (the convoy feeds its next bead)', () => {
    r.gtOk('agents', 'add', 'alice', '--role', 'polecat');
    const a = r.gtJson<{ id: string }>('create', 'Tracked').id;
    const b = r.gtJson<{ id: string }>('create', 'Tracked next').id;
    const convoy = r.gtJson<{ id: string }>('convoy', 'create', 'Ship it', a, b, '--feed', 'alice').id;
    r.gtOk('observe');
    commitNatively('gt/ledger', ODD);
    r.gtOk('close', a, '-r', 'done');
    commitNatively('gt/ledger', { 'beads/x.yml': 'changed\n', 'beads/README': 'changed too\n' });
    const pass = r.gt(['observe']);
    expect(pass.stderr).toBe('');
    expect(pass.status).toBe(0);
    expect(pass.stdout).toContain(`fed ${b}`);
    expect(pass.stdout).toContain(`convoy ${convoy}`);
    expect(r.gtJson<{ status: string }[]>('convoy', 'status', convoy)).toBeDefined();
    // gt's own writes keep what they do not know.
    const files = r.git('ls-tree', '-r', '--name-only', 'gt/ledger').split('\n');
    for (const path of Object.keys(ODD)) expect(files).toContain(path);
  });

  it('are carried through gt merge, even when both sides add the same odd path differently', () => {
    const a = r.gtJson<{ id: string }>('create', 'Claim me').id;
    r.gtOk('--as', 'alice', 'update', a, '--claim');
    commitNatively('gt/agents/alice', { 'beads/README': 'alice wrote this\n', 'beads/alice.yml': 'x\n', 'beads/sub/a.yaml': 'x\n' });
    commitNatively('gt/ledger', { 'beads/README': 'the overseer wrote this\n', 'beads/x.yml': 'x\n' });
    const merged = r.gt(['merge']);
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(0);
    expect(r.gtJson<{ status: string; assignee: string }[]>('show', a)[0]).toMatchObject({ status: 'in_progress', assignee: 'alice' });
    const files = r.git('ls-tree', '-r', '--name-only', 'gt/ledger').split('\n');
    // Files in a kind's folder are carried (the ledger's side of a file both added wins); gt reads no
    // subfolder, so alice's beads/sub/ stays on her branch only.
    expect(files).toEqual(expect.arrayContaining(['beads/README', 'beads/alice.yml', 'beads/x.yml']));
    expect(r.git('show', 'gt/ledger:beads/README')).toBe('the overseer wrote this\n');
  });

  it('are named by gt doctor, one warning each, and the ledger is otherwise healthy', () => {
    r.gtOk('create', 'Fine');
    commitNatively('gt/ledger', ODD);
    const result = r.gt(['doctor']);
    expect(result.status).toBe(0);
    const findings = r.gtJson<{ severity: string; path: string; message: string }[]>('doctor');
    expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    expect(findings.map((f) => f.path).sort()).toEqual([
      'README.md',
      'agents/a/',
      'beads/README',
      'beads/sub/',
      'beads/x.yml',
      'convoys/README.md',
      'mail/notes.txt',
      'molecules/x.yml',
      'stuff/',
    ]);
    expect(result.stdout).toContain('warning: beads/x.yml: not a ledger file gt reads');
    expect(result.stdout).toContain('warning: beads/sub/: a folder gt does not read');
  });
});

describe('control characters in ledger text', () => {
  const EVIL = 'Evil \x1b]0;pwned\x07 title \x1b[2J end\r\x9b1m';
  const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

  /** Runs gt; nothing it prints to stdout or stderr carries a raw control character (newlines and tabs aside). */
  function safe(args: string[], env: Record<string, string> = {}): string {
    const result = r.gt(args, { env });
    expect(result.status, `gt ${args.join(' ')}: ${result.stderr}`).toBe(0);
    expect(RAW.test(result.stdout), `gt ${args.join(' ')} printed ${JSON.stringify(result.stdout)}`).toBe(false);
    expect(RAW.test(result.stderr), `gt ${args.join(' ')} printed ${JSON.stringify(result.stderr)}`).toBe(false);
    return result.stdout;
  }

  it('are escaped in every human output, kept as they are in --json', () => {
    r.gtOk('agents', 'add', 'alice', '--role', 'polecat');
    const evil = r.gtJson<{ id: string }>('create', EVIL, '-d', 'first line\n\x1b[31mred\x1b[0m\tand a tab', '-l', 'x').id;
    const after = r.gtJson<{ id: string }>('create', 'After the evil one', '--deps', `blocks:${evil}`).id;
    const convoy = r.gtJson<{ id: string }>('convoy', 'create', `Convoy ${EVIL}`, evil, after).id;
    r.gtOk('comment', 'add', evil, `a comment ${EVIL}`);
    r.gtOk('mail', 'send', 'overseer', '-s', `Subject ${EVIL}`, '-m', `Body ${EVIL}`);
    r.gtOk('sling', evil, 'alice', '--no-convoy');
    r.gtOk('observe');

    const listed = safe(['list']);
    expect(listed).toContain('Evil \\x1b]0;pwned\\x07 title \\x1b[2J end');
    expect(listed).toContain('\\x9b1m');
    const shown = safe(['show', evil]);
    expect(shown).toContain('first line\n');
    expect(shown).toContain('\\x1b[31mred\\x1b[0m\tand a tab');
    safe(['ready']);
    expect(safe(['blocked'])).toContain(after);
    safe(['dep', 'tree', after]);
    expect(safe(['convoy', 'status', convoy])).toContain('Convoy Evil \\x1b]0;pwned');
    safe(['convoy', 'list', '--tree']);
    const inbox = safe(['mail', 'inbox']);
    expect(inbox).toContain('Subject Evil \\x1b');
    const mailId = r.gtJson<{ id: string }[]>('mail', 'inbox')[0]!.id;
    expect(safe(['mail', 'read', mailId])).toContain('Body Evil \\x1b');
    expect(safe(['prime'], { GT_AGENT: 'alice' })).toContain('Evil \\x1b]0;pwned');
    safe(['hook', 'alice']);
    safe(['agents']);
    safe(['log', evil]);
    safe(['comment', 'list', evil]);
    safe(['stats']);

    // The observer's lines, as gt observe prints them.
    r.gtOk('close', evil, '-r', 'done');
    expect(safe(['close', after, '-r', 'done'])).toContain('Convoy Evil \\x1b]0;pwned');

    // Errors that quote ledger text, and doctor naming an odd path.
    commitNatively('gt/ledger', { 'beads/\x1b[2Jx.yml': 'odd\n' });
    expect(safe(['doctor'])).toContain('beads/\\x1b[2Jx.yml');

    // JSON escapes by itself: the value comes back as stored (gt turns a carriage return in a title into a space).
    expect(r.gtJson<{ title: string }[]>('show', evil)[0]!.title).toBe(EVIL.replace('\r', ' '));
  });
});
