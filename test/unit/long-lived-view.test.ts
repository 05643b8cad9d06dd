import { describe, expect, it } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createBead, updateBead } from '../../src/beads/bead-service.js';
import { shardOf } from '../../src/ledger/layout.js';
import { useGtRepo } from '../helpers/repo.js';
import { useLedgers } from '../helpers/ledgers.js';

/**
 * A long-lived process (gt mcp, gt watch, gt dashboard) keeps one Ledger open. When another process
 * moves the ledger, its next view reads only the shards that changed: from the writer's cache when
 * there is one, from git when there is none (a fetch, a native merge).
 */
describe('a long-lived process following a moving ledger', () => {
  const repo = useGtRepo();
  const ledgerAt = useLedgers();

  it('reads only the changed shard, whoever moved the ledger', async () => {
    const dir = repo.dir;
    const writer = ledgerAt(dir);
    const { result: ids } = await writer.write((tx) => ({
      result: Array.from({ length: 600 }, (_, i) => createBead(tx, { title: `bead ${i}` }).id),
      message: 'create 600 beads',
    }));
    const follower = ledgerAt(dir);
    const titles = async (): Promise<string[]> => [...(await follower.view()).beads.values()].map((b) => b.title).sort();
    expect((await titles()).length).toBe(600);
    const shards = new Set(ids.map(shardOf)).size;
    expect(shards).toBeGreaterThan(200);

    // Another process changes one bead: its write left the new head and shard behind.
    const target = ids[17]!;
    await ledgerAt(dir).write((tx) => ({ result: updateBead(tx, target, { title: 'renamed' }), message: 'rename' }));
    let before = follower.viewStats;
    expect(await titles()).toContain('renamed');
    expect(follower.viewStats.filesRead - before.filesRead).toBe(1);
    expect(follower.viewStats.shardsStored - before.shardsStored).toBe(0);

    // A change that arrives without any cache (a fetch, a native git merge): the head is built from the
    // last one this process saw, decoding only the shard that differs.
    const other = ids[400]!;
    await ledgerAt(dir).write((tx) => ({ result: updateBead(tx, other, { title: 'arrived' }), message: 'arrive' }));
    const state = join(dir, '.git', 'gt');
    for (const cache of readdirSync(state)) if (/^(heads|shards|derived)-v\d+$/.test(cache)) rmSync(join(state, cache), { recursive: true, force: true });
    before = follower.viewStats;
    expect(await titles()).toContain('arrived');
    expect(follower.viewStats.shardsStored - before.shardsStored).toBe(1);
    expect(follower.viewStats.filesRead - before.filesRead).toBe(0);
    expect((await titles()).length).toBe(600);
  });
});
