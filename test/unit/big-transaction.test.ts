import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createBead, updateBead } from '../../src/beads/bead-service.js';
import { LooseObjectWriter } from '../../src/git/object-writer.js';
import { useGtRepo } from '../helpers/repo.js';
import { useLedgers } from '../helpers/ledgers.js';

/**
 * Past 1,000 changed files a transaction stores each file in git as it is put and holds no row for it
 * (ledger.ts, record): whatever asks for such an entity in the same transaction reads it back from git.
 */
describe('a transaction of thousands of files', () => {
  const repo = useGtRepo();
  const ledgerAt = useLedgers();

  it('reads back what it stored, as it was put, and commits it all', async () => {
    const ledger = ledgerAt(repo.dir);
    const count = 1_050;
    const { result } = await ledger.write((tx) => {
      const ids = Array.from({ length: count }, (_, i) => createBead(tx, { title: `bead ${i}`, labels: [`n${i}`] }).id);
      // Entities past the first thousand, read back in the transaction that put them: by id, as text,
      // in a full iteration, and changed again.
      const late = ids[count - 10]!;
      const seen = {
        title: tx.beads.get(late)?.title,
        labels: tx.beads.get(late)?.labels,
        text: JSON.parse(tx.beads.textOf(ids[count - 1]!)!) as { title: string },
        all: [...tx.beads.values()].length,
        status: tx.beads.statusOf(late),
      };
      updateBead(tx, late, { title: 'renamed in the same transaction' });
      return { result: { ids, seen }, message: 'many beads' };
    });
    expect(result.seen).toEqual({ title: `bead ${count - 10}`, labels: [`n${count - 10}`], text: expect.objectContaining({ title: `bead ${count - 1}` }), all: count, status: 'open' });
    const view = await ledgerAt(repo.dir).view();
    expect(view.beads.size).toBe(count);
    expect(view.beads.get(result.ids[count - 10]!)?.title).toBe('renamed in the same transaction');
    expect(view.beads.get(result.ids[count - 1]!)?.labels).toEqual([`n${count - 1}`]);
  });

  it('a blob it wrote is read back from a pack when git gc packed it meanwhile', () => {
    const objects = join(repo.dir, '.git', 'objects');
    const writer = new LooseObjectWriter(objects);
    const oid = writer.write('blob', Buffer.from('id: x\ntitle: Zoë\n', 'utf8'));
    execFileSync('git', ['pack-objects', '-q', join(objects, 'pack', 'pack')], { cwd: repo.dir, input: `${oid}\n` });
    execFileSync('git', ['prune-packed'], { cwd: repo.dir });
    expect(existsSync(join(objects, oid.slice(0, 2), oid.slice(2)))).toBe(false);
    expect(writer.readBlobBack(oid)).toBe('id: x\ntitle: Zoë\n');
    rmSync(join(objects, 'pack'), { recursive: true, force: true });
  });
});
