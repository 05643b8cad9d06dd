/**
 * The library as another program uses it: imported by the package's name (package.json `exports`,
 * resolved to dist/ after a build), against a real git repository.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeBead, createBead, createConvoy, NotFoundError, openLedger, readyBeads, writeAndLand, type Ledger } from 'gt-ledger';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

describe('gt-ledger as a library', () => {
  let repo: TestRepo | undefined;
  let ledger: Ledger | undefined;
  afterEach(() => {
    ledger?.close();
    repo?.cleanup();
  });

  it('creates a bead, sees it ready, closes it', async () => {
    repo = makeRepo();
    ledger = openLedger({ cwd: repo.dir });
    const { created } = await ledger.init('lib');
    expect(created).toBe(true);

    const { result: bead, commit } = await ledger.write((tx) => {
      const bead = createBead(tx, { title: 'Fix the login page', priority: 1 });
      return { result: bead, message: `create ${bead.id}: ${bead.title}` };
    });
    expect(bead.id).toMatch(/^lib-[0-9a-z]{4,}$/);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readyBeads((await ledger.view()).beads).map((b) => b.id)).toEqual([bead.id]);

    await ledger.write((tx) => {
      const { bead: closed } = closeBead(tx, bead.id, { reason: 'done' });
      return { result: closed, message: `close ${closed.id}` };
    });
    const view = await ledger.view();
    expect(view.beads.get(bead.id)?.status).toBe('closed');
    expect(readyBeads(view.beads)).toEqual([]);
    // The CLI reads what the library wrote: one ledger, two clients.
    expect(repo.gtJson<{ id: string; status: string }[]>('show', bead.id)).toMatchObject([{ id: bead.id, status: 'closed' }]);

    await expect(ledger.write((tx) => ({ result: closeBead(tx, 'nope', {}), message: 'x' }))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lands a convoy in the commit that closes its last bead (writeAndLand)', async () => {
    repo = makeRepo();
    ledger = openLedger({ cwd: repo.dir });
    await ledger.init('lib');
    const { result: convoy } = await ledger.write((tx) => {
      const beads = [createBead(tx, { title: 'One' }), createBead(tx, { title: 'Two' })];
      const convoy = createConvoy(tx, { title: 'Ship', beads: beads.map((b) => b.id) });
      return { result: convoy, message: `convoy ${convoy.id}` };
    });
    const [first, second] = convoy.tracks ?? [];
    const closeOne = (id: string) => writeAndLand(ledger!, (tx) => ({ result: closeBead(tx, id, { reason: 'done' }).bead, message: `close ${id}` }));
    expect((await closeOne(first!)).landed).toEqual([]);
    const { landed, commit } = await closeOne(second!);
    expect(landed.map((c) => c.id)).toEqual([convoy.id]);
    expect(repo.git('log', '-1', '--format=%s', commit!)).toContain(`landed ${convoy.id}`);
    expect((await ledger.view()).convoys.get(convoy.id)?.status).toBe('closed');
  });
});
