import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, runGt, spawnGt, GIT_ENV } from '../helpers/repo.js';
import { bareRemote, cloneOf, gitIn as git, gtIn as gt, gtJsonIn as json, publishedPair } from '../helpers/clones.js';
import { until } from '../helpers/sessions.js';

interface BeadJson {
  id: string;
  status: string;
  close_reason?: string;
  comments: { id: string; text: string }[];
}
interface MailJson {
  id: string;
  subject: string;
}

let root: string;
let watcher: ChildProcess | undefined;
beforeEach(() => {
  root = makeTempDir('gt-observe-remote-');
});
afterEach(() => {
  if (watcher?.pid !== undefined && watcher.exitCode === null) watcher.kill('SIGTERM');
  watcher = undefined;
  execFileSync('rm', ['-rf', root]);
});

const bead = (cwd: string, id: string): BeadJson => json<BeadJson[]>(cwd, 'show', id)[0]!;
const commitRecords = (cwd: string, id: string): BeadJson['comments'] => bead(cwd, id).comments.filter((c) => c.id.startsWith('commit-'));
const landingMails = (cwd: string): MailJson[] => json<MailJson[]>(cwd, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'));

/** Clone a with a ledger holding one bead and a convoy of it, published; clone b adopted it. */
function twoClones(): { a: string; b: string; x: string; convoy: string } {
  // Adopting the remote's ledger starts b's observer: what b fetches from now on is new.
  const pair = publishedPair(root, 'Ship it');
  gt(pair.a, 'observe');
  return pair;
}

describe('the observer reads the code branches fetched from the remote', () => {
  it('a Closes: commit pushed by one clone closes its bead on the clone that fetched it; after syncing, one closure, one record, one landing', async () => {
    const { a, b, x, convoy } = twoClones();
    git(a, 'commit', '-q', '--allow-empty', '-m', 'ship it', '-m', `Closes: ${x}`);
    const sha = git(a, 'rev-parse', 'HEAD').trim();
    git(a, 'push', '-q', 'origin', 'main');
    gt(a, 'observe');
    expect(bead(a, x).status).toBe('closed');

    // b learns of the commit by git fetch alone: its main has not moved, origin/main has.
    watcher = spawnGt(['watch', '--no-witness', '--debounce', '0.02'], b);
    let output = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('the watcher in b to start', () => output.includes('watching'));
    git(b, 'fetch', '-q', 'origin');
    expect(git(b, 'rev-parse', 'main').trim()).not.toBe(sha);
    await until(`${x} to close in b`, () => bead(b, x).status === 'closed');
    await until('the convoy to land in b', () => landingMails(b).length > 0);
    await until('the watcher to say so', () => output.includes(`closed ${x} (commit ${sha.slice(0, 7)})`));
    watcher.kill('SIGTERM');
    await until('the watcher to stop', () => watcher!.exitCode !== null);
    // Named as the remote knows the branch: the very record a wrote.
    expect(commitRecords(b, x)).toEqual(commitRecords(a, x));
    expect(commitRecords(b, x)[0]).toMatchObject({ id: `commit-${sha}`, text: `Commit ${sha.slice(0, 7)} on main: ship it` });

    // A pull moves main and origin/main to the same commit: nothing more to record.
    git(b, 'pull', '-q', '--ff-only', 'origin', 'main');
    const tip = git(b, 'rev-parse', 'gt/ledger').trim();
    expect(gt(b, 'observe')).toBe('nothing to do\n');
    expect(git(b, 'rev-parse', 'gt/ledger').trim()).toBe(tip);

    gt(a, 'sync');
    gt(b, 'sync');
    gt(a, 'sync');
    expect(git(a, 'rev-parse', 'gt/ledger').trim()).toBe(git(b, 'rev-parse', 'gt/ledger').trim());
    for (const clone of [a, b]) {
      expect(bead(clone, x)).toMatchObject({ status: 'closed', close_reason: `Closed by commit ${sha.slice(0, 7)}: ship it` });
      expect(commitRecords(clone, x)).toHaveLength(1);
      expect(landingMails(clone)).toHaveLength(1);
      expect(json<{ status: string }>(clone, 'convoy', 'status', convoy).status).toBe('closed');
    }
    // The two records were the same: the merges superseded no comment.
    expect(git(a, 'log', '--format=%B', 'gt/ledger')).not.toContain(`comments[commit-${sha}]`);
  });

  it('with observer.branches refs/heads/* a fetched commit waits until it is merged into a local branch', () => {
    const { a, b, x } = twoClones();
    gt(b, 'config', 'set', '--local', 'observer.branches', 'refs/heads/*');
    expect(json<{ value: string[]; source: string }>(b, 'config', 'get', 'observer.branches')).toMatchObject({ value: ['refs/heads/*'], source: 'local' });
    git(a, 'commit', '-q', '--allow-empty', '-m', 'ship it', '-m', `Closes: ${x}`);
    git(a, 'push', '-q', 'origin', 'main');

    git(b, 'fetch', '-q', 'origin');
    gt(b, 'observe');
    expect(bead(b, x).status).toBe('open');
    expect(commitRecords(b, x)).toEqual([]);
    // A pass ran between the fetch and the merge: the commit still counts once it is on main.
    git(b, 'merge', '-q', '--ff-only', 'origin/main');
    gt(b, 'observe');
    expect(bead(b, x).status).toBe('closed');
  });

  it('a checkpoint from before remote-tracking branches counted takes them as they are: what they held is not replayed, what comes next is recorded', () => {
    const { a, b, x } = twoClones();
    const y = json<{ id: string }>(a, 'create', 'Then this').id;
    gt(a, 'sync');
    gt(b, 'sync');
    git(a, 'commit', '-q', '--allow-empty', '-m', 'old work', '-m', `Closes: ${x}`);
    git(a, 'push', '-q', 'origin', 'main');
    git(b, 'fetch', '-q', 'origin');
    // The checkpoint as an older gt wrote it: local branches only, no remotes flag.
    const file = join(b, '.git', 'gt', 'observer.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { branches: Record<string, string>; remotes?: boolean };
    delete saved.remotes;
    saved.branches = Object.fromEntries(Object.entries(saved.branches).filter(([ref]) => ref.startsWith('refs/heads/')));
    writeFileSync(file, JSON.stringify(saved));
    gt(b, 'observe');
    expect(bead(b, x).status).toBe('open');

    git(a, 'commit', '-q', '--allow-empty', '-m', 'new work', '-m', `Closes: ${y}`);
    git(a, 'push', '-q', 'origin', 'main');
    git(b, 'fetch', '-q', 'origin');
    gt(b, 'observe');
    expect(bead(b, y).status).toBe('closed');
    expect(bead(b, x).status).toBe('open');
  });

  it('records every commit of a fetched branch, however many (300 Closes: commits close 300 beads)', () => {
    const count = 300;
    const remote = bareRemote(root);
    const a = cloneOf(root, remote, 'a');
    gt(a, 'init', '--prefix', 'gt');
    const ids = Array.from({ length: count }, (_, i) => `gt-r${String(i).padStart(3, '0')}`);
    expect(runGt(['import', '-', '--format', 'json'], a, {}, JSON.stringify(ids.map((id) => ({ id, title: `Task ${id}` })))).status).toBe(0);
    gt(a, 'sync');
    const b = cloneOf(root, remote, 'b');
    gt(b, 'init');
    expect(json<unknown[]>(b, 'list', '--status', 'open')).toHaveLength(count);

    // One branch of 300 commits, made and pushed in one shell rather than 300 processes from node.
    const script = ['git checkout -q -b feature', ...ids.map((id) => `git commit -q --allow-empty -m 'work on ${id}' -m 'Closes: ${id}'`), 'git push -q origin feature'].join('\n');
    execFileSync('sh', ['-c', script], { cwd: a, env: { ...process.env, ...GIT_ENV } });
    git(b, 'fetch', '-q', 'origin');
    gt(b, 'observe');
    expect(json<unknown[]>(b, 'list', '--status', 'open')).toEqual([]);
    expect(json<unknown[]>(b, 'list', '--status', 'closed')).toHaveLength(count);
    expect(commitRecords(b, ids[count - 1]!)[0]!.text).toBe(`Commit ${git(a, 'rev-parse', '--short=7', 'feature').trim()} on feature: work on ${ids[count - 1]}`);
  });
  it('a git pull that makes a merge commit runs the observer through the hook: the pulled Closes: commit closes its bead without gt observe', () => {
    const { a, b, x } = twoClones();
    gt(b, 'hooks', 'install');
    gt(b, 'observe');
    git(a, 'commit', '-q', '--allow-empty', '-m', 'ship it', '-m', `Closes: ${x}`);
    git(a, 'push', '-q', 'origin', 'main');
    // b has a commit of its own, so the pull merges (the merge commit's own message names no bead).
    git(b, 'commit', '-q', '--allow-empty', '-m', 'local work');
    git(b, 'pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main');
    expect(git(b, 'log', '-1', '--format=%P', 'HEAD').trim().split(' ')).toHaveLength(2);
    expect(bead(b, x).status).toBe('closed');
  });
});
