import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const BD_EXPORT = [
  '{"id":"bd-a1","title":"Epic: payments","status":"open","priority":1,"issue_type":"epic","created_at":"2026-01-01T10:00:00Z","created_by":"steve","updated_at":"2026-01-01T10:00:00Z","labels":["payments"]}',
  '{"id":"bd-a1.1","title":"Card form","description":"Build it","acceptance_criteria":"renders","status":"in_progress","priority":2,"issue_type":"task","assignee":"alice","created_at":"2026-01-02T10:00:00Z","updated_at":"2026-01-03T10:00:00Z","dependencies":[{"issue_id":"bd-a1.1","depends_on_id":"bd-a1","type":"parent-child","created_at":"2026-01-02T10:00:00Z","created_by":"steve","metadata":"{}"}],"comments":[{"id":7,"issue_id":"bd-a1.1","author":"bob","text":"looks fine","created_at":"2026-01-03T09:00:00Z"}]}',
  '{"id":"bd-b2","title":"Old bug","status":"closed","priority":0,"issue_type":"bug","created_at":"2026-01-01T10:00:00Z","updated_at":"2026-01-04T10:00:00Z","closed_at":"2026-01-04T10:00:00Z","close_reason":"fixed","dependencies":[{"issue_id":"bd-b2","depends_on_id":"bd-a1.1","type":"relates-to"}]}',
  '{"id":"bd-c3","title":"Spike: new PSP","status":"open","priority":3,"issue_type":"spike","created_at":"2026-01-05T10:00:00Z","updated_at":"2026-01-05T10:00:00Z"}',
  '{"id":"bd-d4","title":"Deleted","status":"tombstone","priority":2,"issue_type":"task","created_at":"2026-01-05T10:00:00Z","updated_at":"2026-01-05T10:00:00Z"}',
].join('\n');

let r: TestRepo;
beforeEach(() => {
  r = makeRepo();
  r.gtOk('init', '--prefix', 'bd');
});
afterEach(() => r.cleanup());

describe('import and export', () => {
  it("imports bd's JSONL in one commit with ids, dependencies, labels and comments intact", () => {
    const file = join(r.dir, '..', 'issues.jsonl');
    writeFileSync(file, BD_EXPORT);
    const before = Number(r.git('rev-list', '--count', 'gt/ledger'));
    const report = r.gtJson<{ created: string[]; skipped: { id: string }[]; declaredTypes: string[]; notes: string[] }>('import', file);
    expect(report.created.sort()).toEqual(['bd-a1', 'bd-a1.1', 'bd-b2', 'bd-c3']);
    expect(report.skipped.map((s) => s.id)).toEqual(['bd-d4']);
    expect(report.declaredTypes).toEqual(['spike']);
    expect(report.notes.join('\n')).toContain("'relates-to' imported as 'related'");
    expect(Number(r.git('rev-list', '--count', 'gt/ledger'))).toBe(before + 1);
    expect(r.git('show', 'gt/ledger:gt.yaml')).toContain('types:\n  - spike');
    const [card] = r.gtJson<{ deps: unknown; comments: { id: string; author: string }[]; acceptance: string; assignee: string }[]>('show', 'bd-a1.1');
    expect(card).toMatchObject({ deps: [{ type: 'parent-child', id: 'bd-a1' }], acceptance: 'renders', assignee: 'alice', comments: [{ id: '7', author: 'bob' }] });
    expect(r.gtJson<{ id: string }[]>('blocked').map((b) => b.id)).toEqual([]);
    expect(r.gtJson<{ id: string }[]>('ready').map((b) => b.id)).toEqual(['bd-a1', 'bd-c3']);
    // Importing the same file again changes nothing.
    const again = r.gtJson<{ unchanged: string[] }>('import', file);
    expect(again.unchanged.length).toBe(4);
    expect(Number(r.git('rev-list', '--count', 'gt/ledger'))).toBe(before + 1);
  });

  it('is all or nothing: a bad record or a dangling dependency writes nothing', () => {
    const bad = join(r.dir, '..', 'bad.jsonl');
    writeFileSync(bad, `${BD_EXPORT.split('\n')[0]}\n{"id":"bd-x","title":"x","status":"weird"}\n`);
    const tip = r.git('rev-parse', 'gt/ledger');
    const result = r.gt(['import', bad]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/line 2.*weird/);
    const dangling = join(r.dir, '..', 'dangling.jsonl');
    writeFileSync(dangling, '{"id":"bd-y","title":"y","dependencies":[{"issue_id":"bd-y","depends_on_id":"bd-nope","type":"blocks"}]}\n');
    expect(r.gt(['import', dangling]).stderr).toContain('bd-y → bd-nope');
    // A file that is not there, or a folder: one line, a usage error, nothing written.
    const missing = r.gt(['import', join(r.dir, '..', 'no-such.jsonl')]);
    expect([missing.status, missing.stderr.trim().split('\n')[0]]).toEqual([2, expect.stringMatching(/cannot read .*no-such\.jsonl: ENOENT/)]);
    const folderPath = join(r.dir, '..', 'folder.jsonl');
    mkdirSync(folderPath);
    const folder = r.gt(['import', folderPath]);
    expect([folder.status, folder.stderr]).toEqual([2, expect.stringContaining('it is a folder')]);
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
  });

  it('refuses cycles and self-dependencies as gt dep add does, naming the record and the field; nothing written', () => {
    const tip = r.git('rev-parse', 'gt/ledger').trim();
    const cycle = join(r.dir, '..', 'cycle.jsonl');
    writeFileSync(cycle, '{"id":"bd-p","title":"p","dependencies":[{"depends_on_id":"bd-q","type":"blocks"}]}\n{"id":"bd-q","title":"q","dependencies":[{"depends_on_id":"bd-p","type":"parent-child"}]}\n');
    const c = r.gt(['import', cycle]);
    expect(c.status).toBe(2);
    expect(c.stderr.split('\n')[0]).toBe("gt: line 1 (bd-p): field 'dependencies': that dependency would create a cycle: bd-p → bd-q → bd-p");
    const self = join(r.dir, '..', 'self.json');
    writeFileSync(self, JSON.stringify([{ id: 'bd-s', title: 's', deps: [{ type: 'related', id: 'bd-s' }] }]));
    const s = r.gt(['import', self]);
    expect(s.status).toBe(2);
    expect(s.stderr.split('\n')[0]).toBe("gt: item 0 (bd-s): field 'deps': bd-s cannot depend on itself (a dependency cycle of one bead)");
    // A cycle closed through a bead already on the ledger is refused too.
    const a = r.gtJson<{ id: string }>('create', 'On the ledger');
    const b = r.gtJson<{ id: string }>('create', 'Also there', '--deps', `blocks:${a.id}`);
    const through = join(r.dir, '..', 'through.json');
    writeFileSync(through, JSON.stringify([{ id: a.id, title: 'On the ledger', deps: [{ type: 'blocks', id: b.id }] }]));
    const t = r.gt(['import', through]);
    expect(t.status).toBe(2);
    expect(t.stderr).toContain(`that dependency would create a cycle: ${a.id} → ${b.id} → ${a.id}`);
    expect(r.gt(['dep', 'add', a.id, a.id, '--type', 'related']).stderr).toContain(`${a.id} cannot depend on itself`);
    expect(r.git('rev-list', '--count', `${tip}..gt/ledger`).trim()).toBe('2');
  });

  it('re-importing its own JSONL export changes nothing, and keeps when each field was last edited', () => {
    const a = r.gtJson<{ id: string }>('create', 'Alpha');
    r.gtOk('update', a.id, '--title', 'Alpha, renamed', '--assignee', 'alice');
    const stamps = r.gtJson<{ edited: Record<string, string> }[]>('show', a.id)[0]!.edited;
    expect(Object.keys(stamps).sort()).toEqual(['assignee', 'title']);
    const out = join(r.dir, '..', 'export.jsonl');
    r.gtOk('export', '-o', out);
    expect(readFileSync(out, 'utf8')).not.toContain('edited');
    const tip = r.git('rev-parse', 'gt/ledger');
    const again = r.gtJson<{ updated: string[]; unchanged: string[] }>('import', out);
    expect(again).toMatchObject({ updated: [], unchanged: [a.id] });
    expect(r.git('rev-parse', 'gt/ledger')).toBe(tip);
    // A field the file changes loses its stamp (the file has none); the others keep theirs.
    writeFileSync(out, readFileSync(out, 'utf8').replace('Alpha, renamed', 'Alpha, from bd'));
    expect(r.gtJson<{ updated: string[] }>('import', out).updated).toEqual([a.id]);
    const [after] = r.gtJson<{ title: string; edited: Record<string, string> }[]>('show', a.id);
    expect(after).toMatchObject({ title: 'Alpha, from bd', edited: { assignee: stamps['assignee'] } });
    expect(after!.edited['title']).toBeUndefined();
  });

  it('an import of more files than a write holds as text reads back whole: list, show, ready, check', () => {
    // Past 1,000 changed files a write stores each file in git as it is put (ledger.ts HELD_TEXTS)
    // and leaves the new head to the next read.
    const count = 1200;
    const lines = Array.from({ length: count }, (_, i) =>
      JSON.stringify({ id: `bd-n${i}`, title: `Bead ${i}`, status: 'open', priority: 2, issue_type: 'task', created_at: '2026-01-01T00:00:00Z', created_by: 'bd', updated_at: '2026-01-01T00:00:00Z', ...(i > 0 ? { dependencies: [{ depends_on_id: `bd-n${i - 1}`, type: 'blocks' }] } : {}) }),
    );
    const file = join(r.dir, '..', 'many.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(r.gtJson<{ created: string[] }>('import', file).created.length).toBe(count);
    expect(r.gtJson<unknown[]>('list', '--all').length).toBe(count);
    expect(r.gtJson<{ title: string; deps: unknown }[]>('show', `bd-n${count - 1}`)[0]).toMatchObject({ title: `Bead ${count - 1}`, deps: [{ type: 'blocks', id: `bd-n${count - 2}` }] });
    expect(r.gtJson<{ id: string }[]>('ready').map((b) => b.id)).toEqual(['bd-n0']);
    expect(r.gt(['check']).status).toBe(0);
    // And again: nothing changes.
    expect(r.gtJson<{ unchanged: string[] }>('import', file).unchanged.length).toBe(count);
    // Every bead changed: each is read from the ledger, compared and rewritten; the next reads work
    // readiness out whole (over 1 in 32 beads changed, and over 256) and agree with it.
    writeFileSync(file, `${lines.map((l) => l.replace('"title":"Bead ', '"title":"Changed ')).join('\n')}\n`);
    expect(r.gtJson<{ updated: string[] }>('import', file).updated.length).toBe(count);
    expect(r.gtJson<{ title: string }[]>('show', 'bd-n5')[0]!.title).toBe('Changed 5');
    expect(r.gtJson<{ id: string }[]>('ready').map((b) => b.id)).toEqual(['bd-n0']);
    expect(r.gtJson<unknown[]>('blocked').length).toBe(count - 1);
    expect(r.gt(['check']).status).toBe(0);
  });

  it('export → import into a fresh repository reproduces every bead, in all three formats', () => {
    const a = r.gtJson<{ id: string }>('create', 'Alpha', '-l', 'x,y', '-d', 'two\nlines');
    const b = r.gtJson<{ id: string }>('create', 'Beta', '--deps', `blocks:${a.id}`, '-t', 'bug');
    r.gtOk('comment', 'add', b.id, 'a comment: with colon');
    r.gtOk('close', a.id, '-r', 'done');
    const all = r.gtJson<unknown[]>('list', '--all');
    for (const format of ['jsonl', 'json', 'yaml']) {
      const out = join(r.dir, '..', `export.${format}`);
      r.gtOk('export', '-o', out);
      expect(readFileSync(out, 'utf8').length).toBeGreaterThan(0);
      const fresh = makeRepo();
      try {
        fresh.gtOk('init', '--prefix', 'bd');
        fresh.gtOk('import', out);
        const imported = fresh.gtJson<{ id: string; edited?: unknown }[]>('list', '--all');
        // bd's format has no place for per-field edit times; everything else survives. The write
        // bookkeeping names each repository's own writers: an import is a new write there.
        type Listed = { edited?: unknown; seen?: unknown; writes?: unknown };
        const strip = (beads: unknown[], edited: boolean) => (beads as Listed[]).map(({ edited: e, seen: _s, writes: _w, ...rest }) => (edited ? rest : { ...rest, ...(e !== undefined ? { edited: e } : {}) }));
        expect(strip(imported, format === 'jsonl')).toEqual(strip(all, format === 'jsonl'));
        expect(imported.every((b) => (b as Listed).seen !== undefined)).toBe(true);
      } finally {
        fresh.cleanup();
      }
    }
  });
});
