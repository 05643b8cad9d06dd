import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../../src/kinds.js';
import { mrKind } from '../../src/mrs/mr.js';
import { submitRequest } from '../../src/mrs/mr-service.js';
import { createBead } from '../../src/beads/bead-service.js';
import { setSetting } from '../../src/settings/settings-service.js';
import { runRefinery } from '../../src/refinery/refinery.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/**
 * A refinery killed between moving the target and recording the merge (or before moving it): the
 * next run finds the request `merging` with its run gone, and tells the two apart by the target.
 */
describe('a restarted refinery resumes interrupted requests', () => {
  let r: TestRepo | undefined;
  afterEach(() => r?.cleanup());

  it('records as merged the one the target holds, and merges the other again', async () => {
    r = makeRepo();
    const repo = r;
    const branchCommit = (name: string, file: string): string => {
      repo.git('branch', name, 'main');
      repo.git('checkout', '-q', name);
      writeFileSync(join(repo.dir, file), `${file}\n`);
      repo.git('add', file);
      repo.git('commit', '-q', '-m', file);
      repo.git('checkout', '-q', 'main');
      return repo.git('rev-parse', name).trim();
    };
    const landed = branchCommit('polecat/nux', 'a');
    const pending = branchCommit('polecat/slit', 'b');
    // The interrupted run moved main to its merge of polecat/nux; its merge of polecat/slit never got there.
    repo.git('merge', '-q', '--no-ff', '-m', 'merge nux', 'polecat/nux');
    const moved = repo.git('rev-parse', 'main').trim();
    const lost = repo.git('commit-tree', '-p', moved, '-p', pending, '-m', 'never moved', `${pending}^{tree}`).trim();

    const ledger = openLedger({ cwd: repo.dir, actor: '' });
    const dead = `${hostname()}:999999`;
    let ids: { nux: string; slit: string; beadNux: string; beadSlit: string };
    try {
      await ledger.init('gt');
      const { result } = await ledger.write((tx) => {
        setSetting(tx, 'refinery.target', 'main');
        const beadNux = createBead(tx, { title: 'A', status: 'blocked', assignee: 'nux', labels: ['in-review'] }).id;
        const beadSlit = createBead(tx, { title: 'B', status: 'blocked', assignee: 'slit', labels: ['in-review'] }).id;
        const nux = submitRequest(tx, { branch: 'polecat/nux', commit: landed, target: 'main', bead: beadNux, agent: 'nux', priority: 2 }).mr;
        const slit = submitRequest(tx, { branch: 'polecat/slit', commit: pending, target: 'main', bead: beadSlit, agent: 'slit', priority: 2 }).mr;
        tx.put(mrKind, { ...nux, status: 'merging', attempts: '1', runner: dead, merge_commit: moved });
        tx.put(mrKind, { ...slit, status: 'merging', attempts: '1', runner: dead, merge_commit: lost });
        return { result: { nux: nux.id, slit: slit.id, beadNux, beadSlit }, message: 'an interrupted run' };
      });
      ids = result;
    } finally {
      ledger.close();
    }

    const actions = await runRefinery(repo.dir, { once: true });
    // Both were claimed in one commit: which is looked at first is up to their (random) ids.
    const of = (mr: string) => actions.filter((a) => (a.kind === 'merged' || a.kind === 'resumed') && a.mr === mr).map((a) => a.kind);
    expect(of(ids.nux)).toEqual(['merged']);
    expect(of(ids.slit)).toEqual(['resumed', 'merged']);
    const after = openLedger({ cwd: repo.dir, actor: '' });
    try {
      const view = await after.view();
      expect(view.mrs.get(ids.nux)).toMatchObject({ status: 'merged', merge_commit: moved, attempts: '1' });
      expect(view.mrs.get(ids.slit)).toMatchObject({ status: 'merged', attempts: '1' });
      expect(view.mrs.get(ids.slit)!.merge_commit).not.toBe(lost);
      expect(view.beads.get(ids.beadNux)).toMatchObject({ status: 'closed', close_reason: `Merged in ${ids.nux}` });
      expect(view.beads.get(ids.beadSlit)).toMatchObject({ status: 'closed', close_reason: `Merged in ${ids.slit}` });
    } finally {
      after.close();
    }
    expect(repo.git('rev-parse', 'main^1').trim()).toBe(moved);
  });
});
