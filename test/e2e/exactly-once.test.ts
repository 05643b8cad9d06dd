import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/repo.js';
import { gitIn as git, gtIn as gt, gtJsonIn as json, publishedPair } from '../helpers/clones.js';

interface MailJson {
  id: string;
  subject: string;
  status: string;
}
interface ConvoyJson {
  id: string;
  status: string;
  landed_at?: string;
}

let root: string;
beforeEach(() => {
  root = makeTempDir('gt-once-');
});
afterEach(() => execFileSync('rm', ['-rf', root]));

describe('effects seen by several clones happen once', () => {
  it('two clones that observe the same closure both land the convoy; after syncing there is one landing and one mail', () => {
    const { a, b, x, convoy } = publishedPair(root, 'Ship it');
    // Each observer remembers where the code branches are, then a commit closing the bead arrives.
    gt(a, 'observe');
    gt(b, 'observe');
    git(a, 'commit', '-q', '--allow-empty', '-m', 'ship it', '-m', `Closes: ${x}`);
    git(a, 'push', '-q', 'origin', 'main');
    git(b, 'pull', '-q', '--ff-only', 'origin', 'main');
    for (const clone of [a, b]) {
      gt(clone, 'observe');
      expect(json<ConvoyJson>(clone, 'convoy', 'status', convoy).status).toBe('closed');
      expect(json<MailJson[]>(clone, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'))).toHaveLength(1);
    }
    const mailA = json<MailJson[]>(a, 'mail', 'inbox')[0]!.id;
    const mailB = json<MailJson[]>(b, 'mail', 'inbox')[0]!.id;
    expect(mailB).toBe(mailA);

    gt(a, 'sync');
    gt(b, 'sync');
    gt(a, 'sync');
    expect(git(a, 'rev-parse', 'gt/ledger').trim()).toBe(git(b, 'rev-parse', 'gt/ledger').trim());
    for (const clone of [a, b]) {
      const landings = json<MailJson[]>(clone, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'));
      expect(landings.map((m) => m.id)).toEqual([mailA]);
      expect(json<ConvoyJson>(clone, 'convoy', 'status', convoy).status).toBe('closed');
    }
    expect(gt(a, 'doctor')).toContain('ledger is healthy');
  });

  it('work added on one clone while another landed the convoy reopens it after syncing; its next landing mails again', () => {
    const { a, b, x, convoy } = publishedPair(root, 'Last one', ['lander', 'adder']);
    gt(a, 'close', x);
    expect(json<ConvoyJson>(a, 'convoy', 'status', convoy).status).toBe('closed');
    const y = json<{ id: string }>(b, 'create', 'One more').id;
    gt(b, 'convoy', 'add', convoy, y);
    gt(a, 'sync');
    gt(b, 'sync');
    // The merge keeps the landing and the added bead: the sweep sees a landed convoy with open work.
    expect(json<{ status: string; tracked: unknown[] }>(b, 'convoy', 'status', convoy)).toMatchObject({ status: 'closed' });
    expect(gt(b, 'observe', '--sweep')).toContain(`reopened ${convoy}`);
    expect(json<ConvoyJson>(b, 'convoy', 'status', convoy).status).toBe('open');
    gt(b, 'close', y);
    gt(b, 'sync');
    gt(a, 'sync');
    const landings = json<MailJson[]>(a, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'));
    expect(landings).toHaveLength(2);
    expect(json<ConvoyJson>(a, 'convoy', 'status', convoy).status).toBe('closed');
  });

  it('a convoy reopened and landed again sends a new landing mail', () => {
    const r = join(root, 'solo');
    git(root, 'init', '-q', '-b', 'main', r);
    git(r, 'commit', '-q', '--allow-empty', '-m', 'initial');
    gt(r, 'init', '--prefix', 'gt');
    const x = json<{ id: string }>(r, 'create', 'First').id;
    const convoy = json<ConvoyJson>(r, 'convoy', 'create', 'Waves', x).id;
    gt(r, 'close', x);
    const y = json<{ id: string }>(r, 'create', 'Second').id;
    gt(r, 'convoy', 'add', convoy, y);
    gt(r, 'close', y);
    const landings = json<MailJson[]>(r, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'));
    expect(landings).toHaveLength(2);
    expect(new Set(landings.map((m) => m.id)).size).toBe(2);
  });
});
