import { describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGtRepo } from '../helpers/repo.js';
import { blockedBeads, readyBeads } from '../../src/beads/readiness.js';
import type { Bead } from '../../src/beads/bead.js';

const r = useGtRepo();

/** What every read command shows, as one comparable value. */
function readAll(as?: string): unknown {
  const who = as ? ['--as', as] : [];
  return {
    list: r.gtJson(...who, 'list', '--all', '--json'),
    ready: r.gtJson(...who, 'ready', '--json'),
    blocked: r.gtJson(...who, 'blocked', '--json'),
    stats: r.gtJson(...who, 'stats', '--json'),
  };
}

function dropCaches(): void {
  rmSync(join(r.dir, '.git', 'gt'), { recursive: true, force: true });
}

describe('caches', () => {
  it('the view a write leaves behind equals the view rebuilt from git, for the overseer and for an agent', () => {
    const id = (json: string): string => (JSON.parse(json) as { id: string }).id;
    const a = id(r.gtOk('create', 'Schema', '-p', '1', '--json'));
    const b = id(r.gtOk('create', 'API', '--deps', `blocks:${a}`, '--json'));
    const c = id(r.gtOk('create', 'Epic', '-t', 'epic', '--json'));
    const steps: string[][] = [
      ['create', 'Child', '--parent', c, '-l', 'ui'],
      ['update', a, '--claim'],
      ['--as', 'ann', 'update', b, '--notes', 'agent note'],
      ['comment', 'add', b, 'looks fine'],
      ['close', a, '--reason', 'done'],
      ['--as', 'ann', 'label', 'add', b, 'api'],
      ['update', c, '--status', 'deferred'],
      ['reopen', a],
      ['--as', 'ann', 'create', 'Agent bead', '--deps', `blocks:${b}`],
      ['dep', 'remove', b, a],
    ];
    for (const [i, step] of steps.entries()) {
      r.gtOk(...step);
      for (const as of [undefined, 'ann']) {
        const cached = readAll(as);
        dropCaches();
        expect(readAll(as), `after ${step.join(' ')} (${as ?? 'overseer'})`).toEqual(cached);
        // Every other step, the next write starts without any cache: both write paths are covered.
        if (i % 2 === 1) dropCaches();
      }
    }
  });

  it('list --json for a pipe (beads as stored, unparsed) equals the ordinary listing, also with non-ASCII and quotes', () => {
    r.gtOk('create', 'Zoë and Łukasz: "priority":0 in a title', '-p', '3');
    r.gtOk('create', 'Café 🚚', '-p', '1', '-d', 'emoji and accents');
    const closed = (JSON.parse(r.gtOk('create', 'Done already', '--json')) as { id: string }).id;
    r.gtOk('close', closed);
    for (const args of [['list'], ['list', '--all'], ['list', '--status', 'closed'], ['list', '-r', '-n', '2']]) {
      const fast = r.gtOk(...args, '--json');
      // --text '' matches everything but needs the fields: the ordinary path.
      const ordinary = r.gtOk(...args, '--json', '--text', '');
      expect(JSON.parse(fast), args.join(' ')).toEqual(JSON.parse(ordinary));
    }
    expect((JSON.parse(r.gtOk('list', '--json')) as { title: string }[]).map((b) => b.title)).toEqual(['Café 🚚', 'Zoë and Łukasz: "priority":0 in a title']);
    dropCaches();
    expect((JSON.parse(r.gtOk('list', '--json')) as { title: string }[])[0]!.title).toBe('Café 🚚');
  });

  it('ready --json for a pipe (computed from the stored texts) equals readiness computed from the beads', () => {
    const id = (json: string): string => (JSON.parse(json) as { id: string }).id;
    const epic = id(r.gtOk('create', 'Epic', '-t', 'epic', '--json'));
    const blocker = id(r.gtOk('create', 'Blocker "deps":[x]', '-p', '1', '--json'));
    const child = id(r.gtOk('create', 'Child', '--parent', epic, '--json'));
    id(r.gtOk('create', 'Blocked', '--deps', `blocks:${blocker}`, '--json'));
    const done = id(r.gtOk('create', 'Done', '--json'));
    id(r.gtOk('create', 'After done', '-p', '0', '--deps', `blocks:${done}`, '--json'));
    r.gtOk('close', done);
    r.gtOk('update', epic, '--status', 'deferred');
    const all = JSON.parse(r.gtOk('list', '--all', '--json')) as Bead[];
    const expected = readyBeads(new Map(all.map((b) => [b.id, b]))).map((b) => b.id);
    const fast = (JSON.parse(r.gtOk('ready', '--json')) as Bead[]).map((b) => b.id);
    expect(fast).toEqual(expected);
    expect(fast).not.toContain(child);
    expect(fast[0]).toBe(all.find((b) => b.title === 'After done')!.id);
    expect((JSON.parse(r.gtOk('ready', '--json', '-n', '1')) as Bead[]).map((b) => b.id)).toEqual(expected.slice(0, 1));
    // blocked --json for a pipe splices blocked_by into the stored texts: the same value as the beads with it.
    const blocked = blockedBeads(new Map(all.map((b) => [b.id, b]))).map(({ bead, blockers }) => ({ ...bead, blocked_by: blockers }));
    expect(blocked.length).toBeGreaterThan(0);
    expect(JSON.parse(r.gtOk('blocked', '--json'))).toEqual(blocked);
    for (const status of ['open', 'blocked', 'deferred']) {
      expect(JSON.parse(r.gtOk('list', '--status', status, '--json')), status).toEqual(JSON.parse(r.gtOk('list', '--status', status, '--json', '--text', '')));
    }
  });

  it('an index of an older format is dropped and rebuilt, and torn head, shard and derived (links, readiness) files are rebuilt', () => {
    const one = (JSON.parse(r.gtOk('create', 'One', '--json')) as { id: string }).id;
    r.gtOk('create', 'Needs one', '--deps', `blocks:${one}`);
    const before = { ...(readAll() as object), show: r.gtJson('show', one, '--json') };
    const stateDir = join(r.dir, '.git', 'gt');
    writeFileSync(join(stateDir, 'index.json'), JSON.stringify({ version: 1, files: { junk: 42 } }));
    writeFileSync(join(stateDir, 'index.log'), '{"version":1,"files":{"beads/x.yaml y":7}}\n');
    const tear = (dir: string): void => {
      for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (f.isFile()) writeFileSync(join(f.parentPath, f.name), 'gt-1\tx\topen\t{"id":');
      }
    };
    for (const cache of ['heads-v1', 'shards-v1', 'derived-v1']) {
      tear(join(stateDir, cache));
      expect({ ...(readAll() as object), show: r.gtJson('show', one, '--json') }, cache).toEqual(before);
    }
    r.gtOk('create', 'Two');
    expect((r.gtJson('list', '--json') as unknown[]).length).toBe(3);
  });
});
