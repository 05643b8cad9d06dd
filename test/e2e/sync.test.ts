import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir, runGt, spawnGt, type RunResult } from '../helpers/repo.js';
import { bareRemote, cloneOf as cloneIn, gitIn as git, gtIn as gt, gtJsonIn as json } from '../helpers/clones.js';
import { openLedger } from '../../src/kinds.js';
import { syncLedger } from '../../src/work/sync.js';

interface BeadJson {
  id: string;
  title: string;
  priority: number;
  labels?: string[];
  status: string;
  description?: string;
}
interface SyncJson {
  remote: string;
  pushed: boolean;
  adopted: boolean;
  attempts: number;
  dryRun: boolean;
  merged: { from: string; outcome: string; changed: string[] }[];
  ledger: { before: string | null; after: string | null; remoteBefore: string | null };
}

let root: string;
beforeEach(() => {
  root = makeTempDir('gt-sync-');
});
afterEach(() => execFileSync('rm', ['-rf', root]));

/** A bare remote with one code commit, and clones of it. */
function remoteAndClones(...names: string[]): { remote: string; clones: string[] } {
  const remote = bareRemote(root);
  return { remote, clones: names.map((name) => cloneIn(root, remote, name)) };
}

function cloneOf(remote: string, name: string): string {
  return cloneIn(root, remote, name);
}

const bead = (cwd: string, id: string): BeadJson => json<BeadJson[]>(cwd, 'show', id)[0]!;

describe('gt sync through a git remote', () => {
  it('publishes a ledger, a fresh clone adopts it instead of starting another, and writes on both sides meet field by field', () => {
    const { remote, clones } = remoteAndClones('alpha', 'beta');
    const [a, b] = clones as [string, string];
    gt(a, 'init', '--prefix', 'gt');
    const shared = json<BeadJson>(a, 'create', 'Shared task', '-p', '2').id;
    const first = json<SyncJson>(a, 'sync');
    expect(first).toMatchObject({ remote: 'origin', pushed: true, attempts: 1 });
    expect(git(remote, 'rev-parse', 'gt/ledger').trim()).toBe(git(a, 'rev-parse', 'gt/ledger').trim());
    expect(git(a, 'config', '--get', 'branch.gt/ledger.remote').trim()).toBe('origin');

    // beta was cloned before the ledger existed: it fetches, is told to adopt, and adopts.
    git(b, 'fetch', '-q', 'origin');
    const told = runGt(['list'], b);
    expect(told.status).not.toBe(0);
    expect(told.stderr).toContain('origin has one');
    expect(told.stderr).toContain('gt init');
    expect(gt(b, 'init')).toContain("adopted origin's ledger");
    expect(bead(b, shared).title).toBe('Shared task');

    // Both write: different fields of one bead, and a new bead each.
    gt(a, 'update', shared, '-p', '0');
    const fromA = json<BeadJson>(a, 'create', 'From alpha').id;
    gt(b, 'update', shared, '--add-label', 'ui', '-d', 'Described on beta');
    const fromB = json<BeadJson>(b, 'create', 'From beta').id;
    gt(b, 'update', fromB, '--claim', '--as', 'bob');

    // Dry run: says what would move, moves nothing.
    const beforeDry = git(b, 'rev-parse', 'gt/ledger').trim();
    const dry = json<SyncJson>(b, 'sync', '--dry-run');
    expect(dry.dryRun).toBe(true);
    expect(dry.pushed).toBe(true);
    expect(dry.merged.map((m) => m.from).sort()).toEqual(['gt/agents/bob']);
    expect(git(b, 'rev-parse', 'gt/ledger').trim()).toBe(beforeDry);

    expect(json<SyncJson>(a, 'sync').pushed).toBe(true);
    const fromBSide = json<SyncJson>(b, 'sync');
    expect(fromBSide.merged.map((m) => m.from).sort()).toEqual(['gt/agents/bob', 'origin/gt/ledger']);
    expect(fromBSide.pushed).toBe(true);
    const last = json<SyncJson>(a, 'sync');
    expect(last.merged.map((m) => m.outcome)).toEqual(['fast-forward']);
    expect(last.pushed).toBe(false);

    const tip = git(remote, 'rev-parse', 'gt/ledger').trim();
    expect(git(a, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    expect(git(b, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    for (const clone of [a, b]) {
      const s = bead(clone, shared);
      expect(s.priority).toBe(0);
      expect(s.labels).toEqual(['ui']);
      expect(s.description).toBe('Described on beta');
      expect(bead(clone, fromA).title).toBe('From alpha');
      expect(bead(clone, fromB).status).toBe('in_progress');
    }
    expect(gt(a, 'sync')).toContain('the same here and on origin');
    git(a, 'fsck', '--strict');
    // A clone that only ever ran gt sync adopts the ledger and gets the merge driver as gt init would.
    const c = cloneOf(remote, 'gamma');
    const adopted = json<SyncJson & { merge_driver: string[] }>(c, 'sync');
    expect(adopted.adopted).toBe(true);
    expect(adopted.merge_driver).toContain("registered gt's merge driver (git config merge.gt.driver)");
    expect(git(c, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
  });

  it('two clones syncing at once both succeed, and one more round each leaves them equal', async () => {
    const { remote, clones } = remoteAndClones('one', 'two');
    const [a, b] = clones as [string, string];
    gt(a, 'init', '--prefix', 'gt');
    gt(a, 'sync');
    gt(b, 'init');
    for (let i = 0; i < 3; i++) {
      gt(a, 'create', `alpha ${i}`);
      gt(b, 'create', `beta ${i}`);
    }
    const run = (cwd: string): Promise<RunResult> =>
      new Promise((resolve) => {
        const child = spawnGt(['sync', '--json'], cwd);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
      });
    const [ra, rb] = await Promise.all([run(a), run(b)]);
    expect(ra.status, ra.stderr).toBe(0);
    expect(rb.status, rb.stderr).toBe(0);
    // One of them may have pushed before the other fetched; one more sync each settles both.
    gt(a, 'sync');
    gt(b, 'sync');
    gt(a, 'sync');
    const tip = git(remote, 'rev-parse', 'gt/ledger').trim();
    expect(git(a, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    expect(git(b, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    expect(json<BeadJson[]>(a, 'list').map((x) => x.title).sort()).toEqual(['alpha 0', 'alpha 1', 'alpha 2', 'beta 0', 'beta 1', 'beta 2']);
  });

  it('a push that loses the race to another clone is refused, and the next round merges and pushes both', async () => {
    const { remote, clones } = remoteAndClones('first', 'second');
    const [a, b] = clones as [string, string];
    gt(a, 'init', '--prefix', 'gt');
    gt(a, 'sync');
    gt(b, 'init');
    gt(a, 'create', 'From first');
    gt(b, 'create', 'From second');
    const ledger = openLedger({ cwd: a, actor: 'overseer' });
    let raced = false;
    try {
      const report = await syncLedger(ledger, {
        progress: (line) => {
          // Just before this clone pushes, the other one pushes first.
          if (line.startsWith('pushing') && !raced) {
            raced = true;
            gt(b, 'sync');
          }
        },
      });
      expect(raced).toBe(true);
      expect(report.attempts).toBe(2);
      expect(report.pushed).toBe(true);
    } finally {
      ledger.close();
    }
    gt(b, 'sync');
    const tip = git(remote, 'rev-parse', 'gt/ledger').trim();
    expect(git(a, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    expect(git(b, 'rev-parse', 'gt/ledger').trim()).toBe(tip);
    expect(json<BeadJson[]>(b, 'list').map((x) => x.title).sort()).toEqual(['From first', 'From second']);
  });

  it('refuses two unrelated ledgers, a missing remote, and merges any ref holding a ledger with gt merge <ref>', () => {
    const { clones } = remoteAndClones('left', 'right');
    const [a, b] = clones as [string, string];
    gt(a, 'init', '--prefix', 'gt');
    gt(a, 'create', 'Left');
    // right made its own ledger while the remote had none: a second, unrelated one. (Two inits in one
    // second with one prefix and one author make the very same commit: those ledgers are one.)
    gt(b, 'init', '--prefix', 'rt');
    gt(a, 'sync');
    const refused = runGt(['sync'], b);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('shares no history');
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(2);

    const none = runGt(['sync', 'nowhere'], a);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("no git remote named 'nowhere'");

    // gt merge <ref>: a remote-tracking branch holding a ledger.
    const c = cloneOf(join(root, 'remote.git'), 'third');
    gt(c, 'init');
    gt(a, 'create', 'Later on left');
    gt(a, 'sync');
    git(c, 'fetch', '-q', 'origin');
    const merged = json<{ ref: string; outcome: string }[]>(c, 'merge', 'origin/gt/ledger');
    expect(merged).toEqual([expect.objectContaining({ ref: 'origin/gt/ledger', outcome: 'fast-forward' })]);
    expect(json<BeadJson[]>(c, 'list').map((x) => x.title).sort()).toEqual(['Later on left', 'Left']);
    const notLedger = runGt(['merge', 'main'], c);
    expect(notLedger.status).not.toBe(0);
    expect(notLedger.stderr).toContain('holds no gt ledger');
  });
});
