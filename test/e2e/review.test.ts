/**
 * Reviewing ledger pull requests: gt diff (text, JSON, Markdown) between two ledger commits, gt check
 * of any revision (a detached HEAD in a checkout of a PR branch included), and git's own diff of
 * ledger files naming the bead in hunk headers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_ENV, makeRepo, makeTempDir, runGt, type TestRepo, ledgerFile } from '../helpers/repo.js';

let r: TestRepo;
let scratch: string;
beforeEach(() => {
  r = makeRepo();
  scratch = makeTempDir('gt-review-');
});
afterEach(() => {
  r.cleanup();
  execFileSync('rm', ['-rf', scratch]);
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
const create = (...args: string[]): string => r.gtJson<{ id: string }>('create', ...args).id;

interface DiffJson {
  from: string;
  to: string;
  counts: Record<string, number>;
  beads: { id: string; title: string; change: string; status: string; fields: { field: string; before?: unknown; after?: unknown; summary?: string }[]; comments: { author: string; text: string }[]; close_reason?: string }[];
  convoys: { id: string; change: string; tracked: number; created?: boolean }[];
  mail: { change: string; to: string }[];
  other: unknown[];
}

describe('gt diff', () => {
  it('summarises a branch by entity: created, closed, reopened, fields old → new, comments, a landed convoy; as text, JSON and Markdown', () => {
    r.gtOk('init', '--prefix', 'gt');
    const fix = create('Fix login bug', '-p', '2', '-d', 'Users cannot log in\nafter a reset\nof their password');
    const audit = create('Add audit log');
    r.gtOk('close', audit, '-r', 'done before');
    const tracked = create('Tracked work');
    const batch = r.gtJson<{ id: string }>('convoy', 'create', 'Release batch', tracked).id;
    git(r.dir, 'branch', 'base', 'gt/ledger');

    // The pull request's work.
    const added = create('New page', '-t', 'feature', '-l', 'ui', '--deps', `blocks:${fix}`);
    r.gtOk('update', fix, '-p', '0', '--title', 'Fix the login bug', '-d', 'Users cannot log in after a password reset, on every browser we tried so far');
    r.gtOk('comment', 'add', fix, 'Reproduced on staging');
    r.gtOk('reopen', audit, '-r', 'the log misses logins');
    r.gtOk('close', tracked, '-r', 'shipped in #42');
    git(r.dir, 'branch', 'pr', 'gt/ledger');
    // Meanwhile the ledger moved on: a..b shows that too, a...b only what the branch did.
    git(r.dir, 'update-ref', 'refs/heads/gt/ledger', 'base');
    const elsewhere = create('Unrelated work on the ledger');

    const json = r.gtJson<DiffJson>('diff', 'gt/ledger...pr');
    expect(json.from).toBe(git(r.dir, 'rev-parse', 'base').trim());
    expect(json.to).toBe(git(r.dir, 'rev-parse', 'pr').trim());
    const bead = (id: string) => json.beads.find((b) => b.id === id)!;
    expect(json.beads.map((b) => b.id).sort()).toEqual([added, audit, fix, tracked].sort());
    expect(bead(added)).toMatchObject({ change: 'created', title: 'New page', status: 'open' });
    expect(bead(added).fields).toEqual(expect.arrayContaining([{ field: 'type', after: 'feature' }, { field: 'labels', summary: '+ui' }, { field: 'deps', summary: `+blocks:${fix}` }]));
    expect(bead(fix).change).toBe('changed');
    expect(bead(fix).fields).toEqual([
      { field: 'title', before: 'Fix login bug', after: 'Fix the login bug' },
      { field: 'priority', before: 2, after: 0 },
      // Long texts are summarised, never dumped.
      { field: 'description', summary: expect.stringMatching(/^rewritten \(3 → 1 line/) },
    ]);
    expect(bead(fix).comments).toEqual([{ id: expect.any(String), author: 'overseer', at: expect.any(String), text: 'Reproduced on staging' }]);
    expect(bead(audit)).toMatchObject({ change: 'reopened', status: 'open', comments: [{ text: 'Reopened: the log misses logins' }] });
    expect(bead(tracked)).toMatchObject({ change: 'closed', close_reason: 'shipped in #42' });
    expect(json.convoys).toEqual([{ id: batch, title: 'Release batch', change: 'landed', tracked: 1, fields: [] }]);
    expect(json.mail).toEqual([expect.objectContaining({ change: 'created', to: 'overseer' })]);
    expect(json.counts).toMatchObject({ beads_created: 1, beads_changed: 1, beads_reopened: 1, beads_closed: 1, comments_added: 2, convoys_landed: 1, mail_sent: 1 });
    expect(JSON.stringify(json)).not.toContain(elsewhere);

    // Two dots: the two trees as they are, so the ledger's own new bead shows as gone on the branch.
    const twoDots = r.gtJson<DiffJson>('diff', 'gt/ledger..pr');
    expect(twoDots.beads.find((b) => b.id === elsewhere)?.change).toBe('deleted');

    const text = r.gtOk('diff', 'gt/ledger...pr');
    expect(text.split('\n')[0]).toContain('1 bead created, 1 bead closed, 1 bead reopened, 1 bead changed, 2 comments, 1 convoy landed, 1 mail sent');
    expect(text).toMatch(new RegExp(`\\+ ${added} +New page +created \\(open\\)`));
    expect(text).toMatch(new RegExp(`✓ ${tracked} +Tracked work +closed: "shipped in #42"`));
    expect(text).toMatch(new RegExp(`↺ ${audit} +Add audit log +reopened`));
    expect(text).toContain('      priority: 2 → 0');
    expect(text).toContain('      title: "Fix login bug" → "Fix the login bug"');
    expect(text).toContain('      comment by overseer: "Reproduced on staging"');
    expect(text).toMatch(new RegExp(`🚚 ${batch} +Release batch +landed \\(1 bead\\)`));
    expect(text).not.toContain('updated_at');

    const markdown = r.gtOk('diff', 'gt/ledger...pr', '--markdown');
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('### Ledger changes `gt/ledger...pr`');
    expect(lines[2]).toMatch(/^\*\*1 bead created, 1 bead closed, .*1 convoy landed, 1 mail sent\*\*/);
    expect(markdown).toContain('#### Beads (4)');
    expect(markdown).toContain(`- **reopened** \`${audit}\` Add audit log — (open)`);
    expect(markdown).toContain('  - priority: 2 → 0');
    expect(markdown).toContain(`- **landed** \`${batch}\` Release batch — (1 bead)`);
    expect(markdown).not.toContain('<details>');
  });

  it('folds long lists in Markdown, escapes ledger text, and refuses what is not a ledger range', () => {
    r.gtOk('init', '--prefix', 'gt');
    git(r.dir, 'branch', 'base', 'gt/ledger');
    for (let i = 0; i < 11; i++) create(`Task <b>${i}</b> *now*`);
    const markdown = r.gtOk('diff', 'base..gt/ledger', '--markdown');
    expect(markdown).toContain('<details>\n<summary>11 beads</summary>');
    expect(markdown).toContain('Task &lt;b&gt;0&lt;/b&gt; \\*now\\*');
    expect(markdown).not.toContain('<b>');

    const noRange = r.gt(['diff', 'gt/ledger']);
    expect(noRange.status).toBe(2);
    expect(noRange.stderr).toContain("'gt/ledger' is not a range");
    const unknown = r.gt(['diff', 'base..nope']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no revision matches 'nope'");
    const notLedger = r.gt(['diff', 'main..gt/ledger']);
    expect(notLedger.stderr).toContain('holds no ledger');
  });
});

describe('gt check', () => {
  it('is clean on a fresh ledger, and names every problem of a hand-broken PR branch at a detached HEAD', () => {
    r.gtOk('init', '--prefix', 'gt');
    expect(r.gtOk('check')).toMatch(/^ledger at [0-9a-f]{10} is clean\n$/);
    const first = create('First');
    const second = create('Second');
    const target = create('Target');
    const holder = create('Holder', '--deps', `blocks:${target}`);
    const loopA = create('Loop A');
    const loopB = create('Loop B', '--deps', `blocks:${loopA}`);
    expect(r.gtJson<{ ok: boolean; problems: unknown[] }>('check')).toMatchObject({ ok: true, problems: [] });

    // A checkout of the pull request, detached, broken by hand and committed there.
    const wt = join(scratch, 'pr');
    git(r.dir, 'worktree', 'add', '-q', '--detach', wt, 'gt/ledger');
    const edit = (id: string, change: (text: string) => string) => {
      const path = join(wt, ledgerFile('beads', id));
      writeFileSync(path, change(readFileSync(path, 'utf8')));
    };
    edit(first, (t) => t.replace('title: First\n', 'title:   First\n'));
    edit(second, (t) => t.replace('status: open', 'status: finished'));
    git(wt, 'rm', '-q', ledgerFile('beads', target));
    edit(loopA, (t) => t.replace(/^created_at:/m, `deps:\n  - type: blocks\n    id: ${loopB}\ncreated_at:`));
    git(wt, 'commit', '-qam', 'hand edits');
    git(wt, 'checkout', '-q', '--detach', 'HEAD');

    const result = runGt(['check'], wt);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${ledgerFile('beads', first)}:2: not in canonical form: gt writes "title: First" here, the file has "title:   First" (write it as gt does)`,
        expect.stringMatching(new RegExp(`^${ledgerFile('beads', second)}:4: unknown status 'finished'`)),
        `${ledgerFile('beads', holder)}: blocks dependency on ${target}, which does not exist`,
        expect.stringMatching(new RegExp(`^beads/[0-9a-f]{2}/gt-[a-z0-9]+\\.yaml: dependency cycle: (${loopA} → ${loopB} → ${loopA}|${loopB} → ${loopA} → ${loopB})$`)),
      ]),
    );
    expect(lines).toHaveLength(4);
    const json = JSON.parse(runGt(['check', '--json'], wt).stdout) as { commit: string; ok: boolean; problems: { severity: string; path: string; line?: number }[] };
    expect(json.commit).toBe(git(wt, 'rev-parse', 'HEAD').trim());
    expect(json.ok).toBe(false);
    expect(json.problems).toHaveLength(4);
    // The same answer whatever gt has cached: with every cache removed (cold), then with them built (warm).
    for (const cache of ['index.json', 'index.log', 'heads-v1', 'shards-v1', 'derived-v1']) rmSync(join(r.dir, '.git', 'gt', cache), { recursive: true, force: true });
    const cold = runGt(['check', '--json'], wt).stdout;
    expect(JSON.parse(cold)).toEqual(json);
    expect(runGt(['check', '--json'], wt).stdout).toBe(cold);
    expect(r.gt(['list', '--json']).status).toBe(0);
    expect(runGt(['check', '--json'], wt).stdout).toBe(cold);

    // The main checkout (HEAD on main, no ledger) checks gt/ledger, which is still clean; a named revision works from anywhere.
    expect(r.gt(['check']).status).toBe(0);
    expect(r.gt(['check', json.commit]).status).toBe(1);
    // A stray file is a warning: named, but not a failure.
    writeFileSync(join(wt, 'README.md'), 'notes\n');
    git(wt, 'add', 'README.md');
    git(wt, 'commit', '-qm', 'readme');
    const stray = JSON.parse(runGt(['check', '--json'], wt).stdout) as { problems: { severity: string; path: string }[] };
    expect(stray.problems).toContainEqual(expect.objectContaining({ severity: 'warning', path: 'README.md' }));
    git(r.dir, 'worktree', 'remove', '--force', wt);
  });
});

describe("gt's diff driver", () => {
  it('makes git diff of ledger commits name the bead and its title in hunk headers, from any branch', () => {
    const init = r.gtOk('init', '--prefix', 'gt');
    expect(init).toContain("registered gt's diff driver");
    expect(git(r.dir, 'config', '--get', 'diff.gt.xfuncname').trim()).toBe('^((id|title|subject): .*)$');
    expect(git(r.dir, 'show', 'gt/ledger:.gitattributes')).toContain('*.yaml merge=gt diff=gt');
    const id = create('Fix login bug', '-d', 'one\ntwo\nthree\nfour\nfive\nsix');
    r.gtOk('comment', 'add', id, 'Looked into it');
    // HEAD is main: git takes attributes from the checkout, so info/attributes carries diff=gt.
    const diff = git(r.dir, 'diff', 'gt/ledger~1', 'gt/ledger');
    expect(diff).toContain(`diff --git a/${ledgerFile('beads', id)} b/${ledgerFile('beads', id)}`);
    expect(diff).toMatch(/^@@ [^@]+ @@ title: Fix login bug$/m);
    // Without the driver git would name whatever line starts with a letter.
    const plain = execFileSync('git', ['-c', 'diff.gt.xfuncname=', 'diff', 'gt/ledger~1', 'gt/ledger'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    expect(plain).not.toMatch(/^@@ [^@]+ @@ title: Fix login bug$/m);
  });

  it('gt doctor names a missing diff driver, and --fix and gt init set it up again, rewriting an older ledger .gitattributes', () => {
    r.gtOk('init', '--prefix', 'gt');
    git(r.dir, 'config', '--unset', 'diff.gt.xfuncname');
    writeFileSync(join(r.dir, '.git', 'info', 'attributes'), '*.bin binary\n');
    const messages = r.gtJson<{ message: string }[]>('doctor').map((f) => f.message).join('\n');
    expect(messages).toContain('diff.gt.xfuncname is not set');
    expect(messages).toContain('info/attributes does not send ledger files');
    const fixed = r.gtJson<{ fixed: string[]; findings: unknown[] }>('doctor', '--fix');
    expect(fixed.fixed).toEqual(["registered gt's diff driver (git config diff.gt.xfuncname)", "sent ledger files to gt's diff driver from every branch (info/attributes)"]);
    expect(fixed.findings).toEqual([]);
    // What else info/attributes held is kept, and a second fix changes nothing.
    expect(readFileSync(join(r.dir, '.git', 'info', 'attributes'), 'utf8')).toMatch(/^\*\.bin binary\n# >>> gt/);
    expect(r.gtJson<{ fixed: string[] }>('doctor', '--fix').fixed).toEqual([]);

    // A ledger written before the diff driver: its .gitattributes says only merge=gt. gt init rewrites it.
    const tip = git(r.dir, 'rev-parse', 'gt/ledger').trim();
    const oldAttributes = '*.yaml merge=gt\n';
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: r.dir, input: oldAttributes, encoding: 'utf8' }).trim();
    const listing = git(r.dir, 'ls-tree', tip).split('\n').filter((l) => l !== '' && !l.endsWith('\t.gitattributes'));
    const tree = execFileSync('git', ['mktree'], { cwd: r.dir, input: `${[...listing, `100644 blob ${blob}\t.gitattributes`].join('\n')}\n`, encoding: 'utf8' }).trim();
    git(r.dir, 'update-ref', 'refs/heads/gt/ledger', git(r.dir, 'commit-tree', '-p', tip, '-m', 'older attributes', tree).trim());
    expect(r.gtJson<{ path?: string }[]>('doctor').map((f) => f.path)).toContain('.gitattributes');
    expect(r.gtOk('init')).toContain("wrote the ledger's .gitattributes");
    expect(git(r.dir, 'show', 'gt/ledger:.gitattributes')).toContain('*.yaml merge=gt diff=gt');
    expect(git(r.dir, 'log', '-1', '--format=%s', 'gt/ledger').trim()).toBe("ledger: .gitattributes sends ledger files to gt's merge and diff drivers");
    expect(r.gtOk('doctor')).toContain('ledger is healthy');
    expect(r.gt(['check']).stdout).toMatch(/is clean/);
  });
});
