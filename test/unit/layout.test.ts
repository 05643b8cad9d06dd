import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entityPath, isShardName, logicalChanges, logicalPath, placementOf, shardOf, storedPath } from '../../src/ledger/layout.js';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('the sharded ledger layout', () => {
  it('stores an entity file in the shard named by the first two hex digits of sha1 of its id', () => {
    expect(shardOf('gt-a1b2')).toBe(sha1('gt-a1b2').slice(0, 2));
    expect(storedPath(entityPath('beads', 'gt-a1b2'))).toBe(`beads/${sha1('gt-a1b2').slice(0, 2)}/gt-a1b2.yaml`);
    expect(storedPath('mail/gt-mail-9')).toBe('mail/gt-mail-9');
    expect(storedPath('gt.yaml')).toBe('gt.yaml');
    expect(storedPath('beads/README')).toBe('beads/README');
  });

  it('spreads ids over all 256 shards', () => {
    const shards = new Set(Array.from({ length: 5000 }, (_, i) => shardOf(`gt-${i.toString(36)}`)));
    expect(shards.size).toBe(256);
    for (const shard of shards) expect(isShardName(shard)).toBe(true);
    expect(isShardName('zz')).toBe(false);
    expect(isShardName('abc')).toBe(false);
  });

  it('maps stored paths of both layouts back to the logical path, and nothing else', () => {
    const path = 'beads/gt-a1b2.yaml';
    expect(logicalPath(storedPath(path))).toBe(path);
    expect(logicalPath(path)).toBe(path);
    expect(logicalPath('beads/00/gt-a1b2.yaml')).toBe(path);
    expect(logicalPath('beads/zz/gt-a1b2.yaml')).toBe('beads/zz/gt-a1b2.yaml');
    expect(logicalPath('beads/ab/notes.txt')).toBe('beads/ab/notes.txt');
    expect(logicalPath('gt.yaml')).toBe('gt.yaml');
  });

  it('tells a placed file from a flat one, one in another shard, and a file that is no entity file', () => {
    const path = 'beads/gt-a1b2.yaml';
    const own = shardOf('gt-a1b2');
    const other = own === '00' ? '01' : '00';
    expect(placementOf(storedPath(path))).toBe('placed');
    expect(placementOf(path)).toBe('flat');
    expect(placementOf(`beads/${other}/gt-a1b2.yaml`)).toBe('wrong-shard');
    expect(placementOf('beads/README')).toBeUndefined();
    expect(placementOf('gt.yaml')).toBeUndefined();
  });

  it('sees a move to the shard as no change, and a move with an edit as one change', () => {
    const path = 'beads/gt-a1b2.yaml';
    expect(logicalChanges([{ path, before: 'b1', after: null }, { path: storedPath(path), before: null, after: 'b1' }])).toEqual([]);
    expect(logicalChanges([{ path, before: 'b1', after: null }, { path: storedPath(path), before: null, after: 'b2' }])).toEqual([{ path, before: 'b1', after: 'b2' }]);
    expect(logicalChanges([{ path: storedPath(path), before: 'b2', after: 'b3' }, { path: 'gt.yaml', before: 'c1', after: 'c2' }])).toEqual([
      { path, before: 'b2', after: 'b3' },
      { path: 'gt.yaml', before: 'c1', after: 'c2' },
    ]);
  });
});
