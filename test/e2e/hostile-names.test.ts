import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gtRepo, type RunResult, type TestRepo } from '../helpers/repo.js';

/**
 * Hostile names and ids thrown at every place a name enters gt. Each must be refused as a usage error
 * (exit 2, one line "gt: …" and at most a hint line, no stack trace), and the repository must stay
 * clean for `git fsck --full`.
 */

// Each breaks a different rule (git's ref rules first); test/unit/names.test.ts covers many more.
const HOSTILE_AGENTS = ['x.lock', 'a..b', 'a.', '.x', 'a/b', 'a@{1}', 'a b', 'a\nb', 'Bob'];
const HOSTILE_IDS = ['../evil', 'a/b', '/abs', '.', '..', '.git', 'a\\b', 'a..b', 'a b', 'a\nb', 'a\u0000b', 'a\u0007b', ''];

let r: TestRepo;
let bead: string;

beforeAll(() => {
  r = gtRepo();
  bead = r.gtJson<{ id: string }>('create', 'Target').id;
});
afterAll(() => r.cleanup());

function expectUsageRefusal(result: RunResult, what: string): void {
  const context = `${what}\n${result.stderr}`;
  expect(result.status, context).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines[0], context).toMatch(/^gt: \S/);
  expect(lines.length, context).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1], context).toMatch(/^ {2}hint: /);
  expect(result.stderr, context).not.toMatch(/internal error|\n\s+at /);
}

describe('hostile names are refused everywhere and never reach git', () => {
  it('agent names: --as, GT_AGENT, agents add/bind, sling, mail send', () => {
    for (const name of HOSTILE_AGENTS) {
      const shown = JSON.stringify(name);
      expectUsageRefusal(r.gt(['--as', name, 'create', 'x']), `--as ${shown}`);
      expectUsageRefusal(r.gt(['create', 'x'], { env: { GT_AGENT: name } }), `GT_AGENT=${shown}`);
      expectUsageRefusal(r.gt(['agents', 'add', name, '--role', 'crew']), `agents add ${shown}`);
      expectUsageRefusal(r.gt(['agents', 'bind', name]), `agents bind ${shown}`);
      expectUsageRefusal(r.gt(['sling', bead, name]), `sling ${shown}`);
      expectUsageRefusal(r.gt(['mail', 'send', name, '-s', 'hi', '-m', 'body']), `mail send ${shown}`);
    }
  });

  it('agent names: convoy --owner/--notify/--feed, convoy sling --to, mol pour --assignee, merge', () => {
    for (const name of HOSTILE_AGENTS) {
      const shown = JSON.stringify(name);
      expectUsageRefusal(r.gt(['convoy', 'create', 'C', bead, '--owner', name]), `convoy --owner ${shown}`);
      expectUsageRefusal(r.gt(['convoy', 'create', 'C', bead, '--notify', name]), `convoy --notify ${shown}`);
      expectUsageRefusal(r.gt(['convoy', 'create', 'C', bead, '--feed', name]), `convoy --feed ${shown}`);
      expectUsageRefusal(r.gt(['convoy', 'sling', 'C', '--task', 'T', '--to', name]), `convoy sling --to ${shown}`);
      expectUsageRefusal(r.gt(['mol', 'pour', 'feature', '--var', 'feature=F', '--assignee', name]), `mol pour --assignee ${shown}`);
      expectUsageRefusal(r.gt(['merge', name]), `merge ${shown}`);
    }
  });

  it('prefixes and formula names', () => {
    for (const prefix of ['../x', 'a/b', 'a b', 'a\nb', 'G', 'x.lock', '']) {
      expectUsageRefusal(r.gt(['init', '--prefix', prefix]), `init --prefix ${JSON.stringify(prefix)}`);
    }
    for (const name of ['..', '.', '.git', 'a b', 'a\nb', 'a\u0001b']) {
      const shown = JSON.stringify(name);
      expectUsageRefusal(r.gt(['cook', name]), `cook ${shown}`);
      expectUsageRefusal(r.gt(['formula', 'show', name]), `formula show ${shown}`);
      expectUsageRefusal(r.gt(['mol', 'pour', name]), `mol pour ${shown}`);
      expectUsageRefusal(r.gt(['mol', 'wisp', name]), `mol wisp ${shown}`);
      expectUsageRefusal(r.gt(['sling', bead, 'alice', '--formula', name]), `sling --formula ${shown}`);
    }
  });

  it('bead ids and dependency ids in an import (bd JSONL and JSON lists): refused, nothing written', () => {
    const tip = r.git('rev-parse', 'gt/ledger');
    for (const id of HOSTILE_IDS) {
      const shown = JSON.stringify(id);
      const jsonl = join(r.dir, '..', 'hostile.jsonl');
      writeFileSync(jsonl, `{"id":"gt-ok1","title":"fine"}\n${JSON.stringify({ id, title: 'evil' })}\n`);
      expectUsageRefusal(r.gt(['import', jsonl]), `import jsonl id ${shown}`);
      const json = join(r.dir, '..', 'hostile.json');
      writeFileSync(json, JSON.stringify([{ id: 'gt-ok1', title: 'fine' }, { id, title: 'evil' }]));
      expectUsageRefusal(r.gt(['import', json]), `import json id ${shown}`);
      const dep = join(r.dir, '..', 'hostile-dep.json');
      writeFileSync(dep, JSON.stringify([{ id: 'gt-ok2', title: 'fine', deps: [{ type: 'blocks', id }] }]));
      expectUsageRefusal(r.gt(['import', dep]), `import dep on ${shown}`);
    }
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
  });

  it('after all of that, git fsck --full is clean and only sane refs and files exist', () => {
    const fsck = (() => {
      try {
        return { ok: true, out: r.git('fsck', '--full', '--no-dangling', '--strict') };
      } catch (error) {
        return { ok: false, out: String((error as { stderr?: unknown }).stderr ?? error) };
      }
    })();
    expect(fsck.out).not.toMatch(/error|warning|bad|broken/i);
    expect(fsck.ok).toBe(true);
    const refs = r.git('for-each-ref', '--format=%(refname)').trim().split('\n');
    for (const ref of refs) expect(ref).toMatch(/^refs\/heads\/(main|gt\/ledger|gt\/agents\/[a-z0-9][a-z0-9._-]*)$/);
    const files = r.git('ls-tree', '-r', '--name-only', 'gt/ledger').trim().split('\n');
    for (const file of files) expect(file).toMatch(/^(gt\.yaml|\.gitattributes|[a-z]+\/[0-9a-f]{2}\/[^/\s]+\.yaml)$/);
    expect(r.gtJson<unknown[]>('list', '--all').length).toBe(1);
  });
});
