/**
 * Issue 8 §2, "nothing is lost": a checkout of a branch gt writes follows gt's writes (or the write is
 * refused), and the replay of an agent's unmerged commits keeps every appended note and comment.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGt, useGtRepo, ledgerFile } from '../helpers/repo.js';
import { sized } from '../helpers/stress.js';
import { openLedger } from '../../src/kinds.js';
import { changeMolecule, stepDone } from '../../src/molecules/molecule-service.js';

interface BeadJson {
  id: string;
  title: string;
  notes?: string;
  comments: { text: string }[];
}

const r = useGtRepo();

const beadFile = (dir: string, id: string): string => join(dir, ledgerFile('beads', id));

describe('a checkout of gt/ledger', () => {
  it('in a linked worktree follows a gt write, so a native commit there keeps what gt wrote', () => {
    const first = r.gtJson<BeadJson>('create', 'Before the checkout');
    const wt = join(r.dir, '..', 'wt-ledger');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    const second = r.gtJson<BeadJson>('create', 'Written while checked out');
    // The checkout moved with the ref: files, index and HEAD agree with the new tip.
    expect(existsSync(beadFile(wt, second.id))).toBe(true);
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
    // A native edit and `git commit -am` there must not delete the bead gt wrote.
    const firstPath = beadFile(wt, first.id);
    writeFileSync(firstPath, readFileSync(firstPath, 'utf8').replace('title: Before the checkout', 'title: Edited natively'));
    r.git('-C', wt, 'commit', '-qam', 'native edit');
    const titles = r.gtJson<BeadJson[]>('list').map((b) => b.title).sort();
    expect(titles).toEqual(['Edited natively', 'Written while checked out']);
  });

  it('with uncommitted changes refuses the write in one line naming the checkout, and writes nothing', () => {
    const bead = r.gtJson<BeadJson>('create', 'Seed');
    const wt = join(r.dir, '..', 'wt-dirty');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    writeFileSync(beadFile(wt, bead.id), `${readFileSync(beadFile(wt, bead.id), 'utf8')}# local edit\n`);
    const tip = r.git('rev-parse', 'gt/ledger');
    const refused = r.gt(['create', 'Refused']);
    expect(refused.status).not.toBe(0);
    const first = refused.stderr.split('\n')[0]!;
    expect(first).toContain('gt/ledger is checked out in');
    expect(first).toContain('wt-dirty');
    expect(refused.stderr).toMatch(/commit or stash/);
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
    expect(readFileSync(beadFile(wt, bead.id), 'utf8')).toContain('# local edit');
    // Once the change is committed there, gt writes again (and the checkout follows).
    r.git('-C', wt, 'commit', '-qam', 'local edit');
    const next = r.gtJson<BeadJson>('create', 'Accepted');
    expect(existsSync(beadFile(wt, next.id))).toBe(true);
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
  });

  it('in the main worktree (git checkout gt/ledger) follows a gt write too', () => {
    const first = r.gtJson<BeadJson>('create', 'One');
    r.git('checkout', '-q', 'gt/ledger');
    const second = r.gtJson<BeadJson>('create', 'Two');
    expect(existsSync(beadFile(r.dir, second.id))).toBe(true);
    expect(r.git('status', '--porcelain')).toBe('');
    const path = beadFile(r.dir, first.id);
    writeFileSync(path, readFileSync(path, 'utf8').replace('title: One', 'title: One, edited'));
    r.git('commit', '-qam', 'native edit');
    expect(r.gtJson<BeadJson[]>('list').map((b) => b.title).sort()).toEqual(['One, edited', 'Two']);
  });

  it('an agent branch checked out follows the agent’s writes', () => {
    const bead = r.gtJson<BeadJson>('create', 'Work');
    r.gt(['update', bead.id, '--append-notes', 'start'], { env: { GT_AGENT: 'alice' } });
    const wt = join(r.dir, '..', 'wt-alice');
    r.git('worktree', 'add', '-q', wt, 'gt/agents/alice');
    const res = r.gt(['update', bead.id, '--append-notes', 'more'], { env: { GT_AGENT: 'alice' } });
    expect(res.status, res.stderr).toBe(0);
    expect(readFileSync(beadFile(wt, bead.id), 'utf8')).toContain('more');
    expect(r.git('-C', wt, 'status', '--porcelain')).toBe('');
  });
});

/** Runs gt without blocking the test's event loop, so that several run at once. */
function gtAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  return new Promise((done) => {
    const child = spawnGt(args, r.dir, env);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    child.on('close', (status) => done({ status: status ?? -1, stderr }));
  });
}

describe('replaying an agent’s unmerged commits onto a newer ledger', () => {
  it('records what the replay superseded in the replayed commit, worded as gt merge words it', () => {
    const bead = r.gtJson<BeadJson>('create', 'Original');
    r.gtOk('update', bead.id, '--title', 'Agent loses');
    // alice's branch forks here; her title edit is older than the overseer's next one.
    r.gt(['update', bead.id, '--title', 'Alice title'], { env: { GT_AGENT: 'alice' } });
    r.gtOk('update', bead.id, '--title', 'Ledger title');
    const res = r.gt(['update', bead.id, '-p', '1'], { env: { GT_AGENT: 'alice' } });
    expect(res.status, res.stderr).toBe(0);
    const log = r.git('log', '--format=%B%x00', 'gt/ledger..gt/agents/alice');
    expect(log).toContain(`${bead.id} title: kept "Ledger title" over "Alice title"`);
    r.gtOk('merge');
    expect((r.gtJson<BeadJson[]>('show', bead.id))[0]!.title).toBe('Ledger title');
  });

  it('keeps every note appended and every comment added by 8 agents and the overseer at once', async () => {
    const agents = Array.from({ length: 8 }, (_, i) => `agent${i}`);
    const perWriter = sized(3, 20);
    const beads = [r.gtJson<BeadJson>('create', 'Shared one'), r.gtJson<BeadJson>('create', 'Shared two')];
    r.gtOk('update', beads[0]!.id, '--notes', 'Base line');
    const writers = [...agents, 'overseer'];
    const failures: string[] = [];
    await Promise.all(
      writers.map(async (writer) => {
        const env = { GT_AGENT: writer === 'overseer' ? '' : writer };
        for (let k = 0; k < perWriter; k++) {
          const bead = beads[k % 2]!.id;
          const note = await gtAsync(['update', bead, '--append-notes', `${writer} note ${k}`], env);
          if (note.status !== 0) failures.push(note.stderr);
          const comment = await gtAsync(['comment', 'add', beads[(k + 1) % 2]!.id, `${writer} comment ${k}`], env);
          if (comment.status !== 0) failures.push(comment.stderr);
        }
      }),
    );
    expect(failures).toEqual([]);
    r.gtOk('merge');
    const shown = r.gtJson<BeadJson[]>('show', beads[0]!.id, beads[1]!.id);
    const notes = shown.flatMap((b) => (b.notes ?? '').split('\n'));
    const comments = shown.flatMap((b) => b.comments.map((c) => c.text));
    for (const writer of writers) {
      for (let k = 0; k < perWriter; k++) {
        expect(notes).toContain(`${writer} note ${k}`);
        expect(comments).toContain(`${writer} comment ${k}`);
      }
    }
    expect(notes.filter((line) => line.includes(' note '))).toHaveLength(writers.length * perWriter);
    expect(shown[0]!.notes!.startsWith('Base line\n')).toBe(true);
    // Each writer's lines keep their own order.
    for (const b of shown) {
      const lines = (b.notes ?? '').split('\n');
      for (const writer of writers) {
        const mine = lines.filter((l) => l.startsWith(`${writer} note `));
        expect(mine).toEqual([...mine].sort((x, y) => Number(x.split(' ').pop()) - Number(y.split(' ').pop())));
      }
    }
  });
});

describe('squashing a wisp when it completes', () => {
  const wispPath = (id: string): string => join(r.dir, '.git', 'gt', 'wisps', `${id}.yaml`);
  const pourTidy = (): string => {
    mkdirSync(join(r.dir, '.gt', 'formulas'), { recursive: true });
    writeFileSync(
      join(r.dir, '.gt', 'formulas', 'tidy.formula.toml'),
      'formula = "tidy"\nversion = 1\n[squash]\ntrigger = "on_complete"\n[[steps]]\nid = "sweep"\ntitle = "Sweep"\n',
    );
    const id = r.gtJson<{ id: string }>('mol', 'wisp', 'tidy').id;
    expect(existsSync(wispPath(id))).toBe(true);
    return id;
  };

  it('keeps the wisp when the write is retried (the ledger moved), and removes it once the digest is committed', async () => {
    const id = pourTidy();
    const ledger = openLedger({ cwd: r.dir, actor: '' });
    let calls = 0;
    try {
      const applied = await changeMolecule(ledger, id, (m, ctx) => {
        if (calls++ === 0) {
          // Native git moves the ledger while gt works: gt's compare-and-swap fails and it runs again.
          const tip = r.git('rev-parse', 'gt/ledger').trim();
          const moved = r.git('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'native commit').trim();
          r.git('update-ref', 'refs/heads/gt/ledger', moved, tip);
        }
        return stepDone(m, 'sweep', ctx, {});
      });
      expect(calls).toBe(2);
      expect(applied.digest?.title).toBe('Digest: tidy');
    } finally {
      ledger.close();
    }
    expect(existsSync(wispPath(id))).toBe(false);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger')).toContain(`squash ${id}`);
  });

  it('keeps the wisp when the digest cannot be committed', () => {
    const id = pourTidy();
    const seed = r.gtJson<BeadJson>('create', 'Seed');
    const wt = join(r.dir, '..', 'wt-busy');
    r.git('worktree', 'add', '-q', wt, 'gt/ledger');
    writeFileSync(beadFile(wt, seed.id), `${readFileSync(beadFile(wt, seed.id), 'utf8')}# local edit\n`);
    const refused = r.gt(['mol', 'step', 'done', '--mol', id, 'sweep']);
    expect(refused.status).not.toBe(0);
    expect(existsSync(wispPath(id))).toBe(true);
    // Once the checkout is clean, the same command squashes it.
    r.git('-C', wt, 'checkout', '--', '.');
    r.gtOk('mol', 'step', 'done', '--mol', id, 'sweep');
    expect(existsSync(wispPath(id))).toBe(false);
  });
});
