import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  BEAD_STATUSES,
  BUILTIN_BEAD_TYPES,
  DEP_TYPES,
  STAMPED_FIELDS,
  normalizeBead,
  type Bead,
  type StampedField,
} from '../../src/beads/bead.js';
import { exportBeads, exportTable, formatFromPath, planImport, type InteropFormat } from '../../src/beads/interop.js';
import { bytesSource } from '../../src/beads/import-source.js';
import { EntityTable } from '../../src/ledger/entity-table.js';
import { UsageError } from '../../src/errors.js';
import { labelProblem, normalizeTitle } from '../../src/beads/bead-input.js';
import { sampleBead, thrownBy } from '../helpers/fixtures.js';

const ACTOR = 'importer';
const NOW = '2026-07-01T12:00:00.000Z';
const T1 = '2026-02-01T00:00:00Z';
const T2 = '2026-02-02T00:00:00Z';

function plan(text: string, format: InteropFormat = 'jsonl') {
  return planImport(text, format, ACTOR, NOW);
}

function jsonl(...records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

const usageError = (fn: () => unknown): UsageError => thrownBy(UsageError, fn);

const bead = (overrides: Partial<Bead> & Pick<Bead, 'id'>): Bead =>
  sampleBead({ created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-02T00:00:00Z', ...overrides });

describe('formatFromPath', () => {
  it.each([
    ['issues.jsonl', 'jsonl'],
    ['.beads/issues.JSONL', 'jsonl'],
    ['dump.ndjson', 'jsonl'],
    ['beads.json', 'json'],
    ['a/b.c/beads.yaml', 'yaml'],
    ['beads.YML', 'yaml'],
  ] as const)('%s → %s', (path, format) => {
    expect(formatFromPath(path)).toBe(format);
  });

  it.each(['beads', 'beads.txt', 'yaml', 'dir.json/file', 'beads.json.bak'])('%s → undefined', (path) => {
    expect(formatFromPath(path)).toBeUndefined();
  });
});

describe('planImport: bd JSONL', () => {
  it('reads bytes as it reads text: a byte order mark, CR LF line ends, a last line without one, non-Latin-1 text', () => {
    const records = [
      { id: 'bd-a', title: 'Zoë → Łukasz 😀', status: 'open', created_at: T1, updated_at: T1 },
      { id: 'bd-b', title: 'plain', status: 'open', created_at: T1, updated_at: T2 },
    ];
    const text = records.map((r) => JSON.stringify(r)).join('\r\n');
    const fromText = plan(text);
    expect(fromText.beads.map((b) => b.title)).toEqual(['Zoë → Łukasz 😀', 'plain']);
    expect(planImport(Buffer.from(`\uFEFF${text}\r\n\r\n`), 'jsonl', ACTOR, NOW)).toEqual(fromText);
    expect(planImport(Buffer.from(text), 'jsonl', ACTOR, NOW)).toEqual(fromText);
    // Lines are numbered alike: the error names line 3 either way.
    const bad = `${text}\r\n{"id":"bd-c","title":"x","status":"weird"}`;
    expect(usageError(() => planImport(Buffer.from(bad), 'jsonl', ACTOR, NOW)).message).toMatch(/^line 3 \(bd-c\)/);
    expect(usageError(() => plan(bad)).message).toMatch(/^line 3 \(bd-c\)/);
    // Read a chunk at a time, however the chunks split the mark, a character or a CR LF.
    for (let size = 1; size <= 9; size++) {
      expect(planImport(bytesSource(`\uFEFF${text}\r\n\r\n`, size), 'jsonl', ACTOR, NOW)).toEqual(fromText);
      expect(usageError(() => planImport(bytesSource(bad, size), 'jsonl', ACTOR, NOW)).message).toMatch(/^line 3 \(bd-c\)/);
    }
  });

  it('imports the example record of the reference (§1.6)', () => {
    const line =
      '{"id":"bd-pbh.1","title":"Update cmd/bd/version.go to 0.30.4","description":"Bump the version constant.","status":"closed","priority":1,' +
      '"issue_type":"task","created_at":"2025-12-17T21:19:10.9462-08:00","updated_at":"2025-12-17T21:25:02.1-08:00","closed_at":"2025-12-17T21:25:02.1-08:00",' +
      '"labels":["workflow"],"dependencies":[{"issue_id":"bd-pbh.1","depends_on_id":"bd-pbh","type":"parent-child",' +
      '"created_at":"2025-12-17T21:19:10.95-08:00","created_by":"daemon","metadata":"{}"}]}';
    const result = plan(line);
    expect(result.beads).toStrictEqual([
      {
        id: 'bd-pbh.1',
        title: 'Update cmd/bd/version.go to 0.30.4',
        type: 'task',
        status: 'closed',
        priority: 1,
        labels: ['workflow'],
        description: 'Bump the version constant.',
        deps: [{ type: 'parent-child', id: 'bd-pbh' }],
        comments: [],
        created_at: '2025-12-17T21:19:10.9462-08:00',
        created_by: ACTOR,
        updated_at: '2025-12-17T21:25:02.1-08:00',
        closed_at: '2025-12-17T21:25:02.1-08:00',
      },
    ]);
    expect(result.skipped).toEqual([]);
    expect(result.undeclaredTypes).toEqual([]);
    expect(result.notes).toEqual([`1 bead without created_by attributed to '${ACTOR}'`]);
  });

  it('handles a hand-written file with a tombstone, a pinned bead, a custom type, a duplicates dep and numeric comment ids', () => {
    const text = [
      '{"id":"bd-a1","title":"Deleted thing","status":"tombstone","priority":2,"issue_type":"task","deleted_at":"2026-01-03T00:00:00Z","delete_reason":"dup"}',
      '{"id":"bd-a2","title":"Keep this on top","status":"pinned","priority":"P1","issue_type":"feat","created_at":"2026-01-01T00:00:00Z","created_by":"bob","updated_at":"2026-01-01T00:00:00Z","labels":["ops"]}',
      '',
      '{"id":"bd-a3","title":"Time-boxed look","design":"Use a spike.","status":"in_progress","priority":3,"issue_type":"spike","assignee":"carol","owner":"carol@example.com","created_at":"2026-01-02T00:00:00Z","created_by":"carol","updated_at":"2026-01-04T00:00:00Z","estimated_minutes":30,"ephemeral":false,"dependencies":[{"issue_id":"bd-a3","depends_on_id":"bd-a2","type":"duplicates","created_at":"2026-01-02T00:00:00Z","created_by":"carol","metadata":"{}"},{"issue_id":"bd-a3","depends_on_id":"bd-a4","type":"blocks"}],"comments":[{"id":7,"issue_id":"bd-a3","author":"dave","text":"second","created_at":"2026-01-03T10:00:00Z"},{"id":3,"issue_id":"bd-a3","text":"first","created_at":"2026-01-03T09:00:00Z"}]}',
      '{"id":"bd-a4","title":"Fix the parser","description":"It crashes.","acceptance_criteria":"No crash.","notes":"See logs.","status":"closed","priority":0,"issue_type":"bug","created_at":"2026-01-02T00:00:00Z","created_by":"erin","updated_at":"2026-01-05T00:00:00Z","close_reason":"fixed","external_ref":"gh-12"}',
    ].join('\r\n');
    const result = plan(text);

    expect(result.skipped).toEqual([{ id: 'bd-a1', reason: 'tombstone (deleted in bd)' }]);
    expect(result.beads.map((b) => b.id)).toEqual(['bd-a2', 'bd-a3', 'bd-a4']);
    const [pinned, spike, bug] = result.beads;
    expect(pinned).toStrictEqual({
      id: 'bd-a2',
      title: 'Keep this on top',
      type: 'feature',
      status: 'open',
      priority: 1,
      labels: ['ops', 'pinned'],
      deps: [],
      comments: [],
      created_at: '2026-01-01T00:00:00Z',
      created_by: 'bob',
      updated_at: '2026-01-01T00:00:00Z',
    });
    expect(spike).toStrictEqual({
      id: 'bd-a3',
      title: 'Time-boxed look',
      type: 'spike',
      status: 'in_progress',
      priority: 3,
      assignee: 'carol',
      labels: [],
      description: '## Design\n\nUse a spike.',
      deps: [
        { type: 'blocks', id: 'bd-a4' },
        { type: 'related', id: 'bd-a2' },
      ],
      comments: [
        { id: '3', author: 'carol', at: '2026-01-03T09:00:00Z', text: 'first' },
        { id: '7', author: 'dave', at: '2026-01-03T10:00:00Z', text: 'second' },
      ],
      created_at: '2026-01-02T00:00:00Z',
      created_by: 'carol',
      updated_at: '2026-01-04T00:00:00Z',
    });
    expect(bug).toStrictEqual({
      id: 'bd-a4',
      title: 'Fix the parser',
      type: 'bug',
      status: 'closed',
      priority: 0,
      labels: [],
      description: 'It crashes.',
      acceptance: 'No crash.',
      notes: 'See logs.',
      deps: [],
      external_ref: 'gh-12',
      comments: [],
      created_at: '2026-01-02T00:00:00Z',
      created_by: 'erin',
      updated_at: '2026-01-05T00:00:00Z',
      closed_at: '2026-01-05T00:00:00Z',
      close_reason: 'fixed',
    });
    expect(result.undeclaredTypes).toEqual(['spike']);
    expect(result.notes).toEqual([
      "1 pinned bead imported with label 'pinned' (bd status 'pinned' becomes 'open')",
      "1 bead of type 'feat' imported as 'feature'",
      '1 bead had bd \'design\' text, appended to the description under a "## Design" heading',
      "1 dependency of type 'duplicates' imported as 'related'",
      '2 numeric comment ids converted to strings',
      '1 closed bead without closed_at given closed_at = updated_at',
      // Tombstone fields do not count: the tombstone is skipped. `false` counts as empty.
      'bd fields gt does not keep were dropped: estimated_minutes, owner',
    ]);
  });

  it('maps bd dependency types and aggregates the notes with counts', () => {
    const deps = [
      { depends_on_id: 'x-1', type: 'relates-to' },
      { depends_on_id: 'x-2', type: 'conditional-blocks' },
      { depends_on_id: 'x-3', type: 'waits-for', metadata: '{"gate":"all-children"}' },
      { depends_on_id: 'x-4', type: 'duplicates' },
      { depends_on_id: 'x-5', type: 'supersedes' },
      { depends_on_id: 'x-6' },
      { depends_on_id: 'x-7', type: 'tracks' },
      { depends_on_id: 'x-8', type: 'discovered-from' },
    ];
    const result = plan(
      jsonl(
        { id: 'x-a', title: 'A', created_at: T1, updated_at: T1, created_by: 'u', dependencies: deps },
        {
          id: 'x-b',
          title: 'B',
          created_at: T1,
          updated_at: T1,
          created_by: 'u',
          dependencies: [
            { depends_on_id: 'x-4', type: 'duplicates' },
            { depends_on_id: 'x-4', type: 'related' },
            { issue_id: 'x-zzz', depends_on_id: 'x-9', type: 'blocks' },
          ],
        },
      ),
    );
    expect(result.beads[0]!.deps).toEqual([
      { type: 'blocks', id: 'x-2' },
      { type: 'blocks', id: 'x-3' },
      { type: 'blocks', id: 'x-6' },
      { type: 'discovered-from', id: 'x-8' },
      { type: 'related', id: 'x-1' },
      { type: 'related', id: 'x-4' },
      { type: 'related', id: 'x-5' },
      { type: 'tracks', id: 'x-7' },
    ]);
    expect(result.beads[1]!.deps).toEqual([
      { type: 'blocks', id: 'x-9' },
      { type: 'related', id: 'x-4' },
    ]);
    expect(result.notes).toEqual([
      "1 dependency of type 'relates-to' imported as 'related'",
      "1 dependency of type 'conditional-blocks' imported as 'blocks'",
      "1 dependency of type 'waits-for' imported as 'blocks'",
      '1 dependency lost its metadata',
      "2 dependencies of type 'duplicates' imported as 'related'",
      "1 dependency of type 'supersedes' imported as 'related'",
      '1 dependency whose issue_id names another bead kept on the bead that lists it',
      '1 duplicate dependency (same type and target, after type mapping) merged',
    ]);
  });

  it('applies the defaults, the closed_at invariant and the type aliases', () => {
    const result = plan(
      jsonl(
        { id: 'z-1', title: 'Bare' },
        { id: 'z-2', title: 'Reopened', status: 'open', closed_at: '2026-01-01T00:00:00Z', created_by: 'u', created_at: T1, updated_at: T2 },
        { id: 'z-3', title: 'Alias', issue_type: 'adr', created_by: 'u', created_at: T1, updated_at: T2 },
        { id: 'z-4', title: 'Alias', issue_type: 'enhancement', created_by: 'u', created_at: T1, updated_at: T2 },
        { id: 'z-5', title: 'Alias', issue_type: 'dec', created_by: 'u', created_at: T1, updated_at: T2, status: 'closed' },
        { id: 'z-6', title: 'Pinned flag', pinned: true, status: 'hooked', created_by: 'u', created_at: T1, updated_at: T2, molecule_type: 'swarm', metadata: {}, labels: [] },
        { id: 'z-7', title: 'Custom', issue_type: 'molecule', created_by: 'u', created_at: T1, updated_at: T2, comments: [{ id: 'c', text: 'undated' }] },
        { id: 'z-8', title: 'Custom', issue_type: 'gate', created_by: 'u', created_at: T1, updated_at: T2, design: 'D', description: 'Text' },
      ),
    );
    const [bare, reopened, adr, enh, dec, pinned, custom, designed] = result.beads;
    expect(bare).toStrictEqual({
      id: 'z-1',
      title: 'Bare',
      type: 'task',
      status: 'open',
      priority: 2,
      labels: [],
      deps: [],
      comments: [],
      created_at: NOW,
      created_by: ACTOR,
      updated_at: NOW,
    });
    expect(reopened!.closed_at).toBeUndefined();
    expect('closed_at' in reopened!).toBe(false);
    expect([adr!.type, enh!.type, dec!.type]).toEqual(['decision', 'feature', 'decision']);
    expect(dec!.closed_at).toBe(T2);
    expect(pinned).toMatchObject({ status: 'hooked', labels: ['pinned'] });
    expect(custom!.comments).toEqual([{ id: 'c', author: 'u', at: NOW, text: 'undated' }]);
    expect(designed!.description).toBe('Text\n\n## Design\n\nD');
    expect(result.undeclaredTypes).toEqual(['gate', 'molecule']);
    expect(result.notes).toEqual([
      '1 bead without created_at or updated_at stamped with the import time',
      `1 bead without created_by attributed to '${ACTOR}'`,
      '1 bead that is not closed lost its closed_at',
      "1 bead of type 'adr' imported as 'decision'",
      "1 bead of type 'enhancement' imported as 'feature'",
      "1 bead of type 'dec' imported as 'decision'",
      '1 closed bead without closed_at given closed_at = updated_at',
      "1 pinned bead imported with label 'pinned' (bd status 'pinned' becomes 'open')",
      '1 comment without a time stamped with the import time',
      '1 bead had bd \'design\' text, appended to the description under a "## Design" heading',
      'bd fields gt does not keep were dropped: molecule_type',
    ]);
  });

  it('accepts priorities as integers and "P<n>" strings', () => {
    const result = plan(
      jsonl(
        { id: 'p-0', title: 't', priority: 0 },
        { id: 'p-1', title: 't', priority: 'P1' },
        { id: 'p-2', title: 't', priority: 'p4' },
        { id: 'p-3', title: 't', priority: '3' },
        { id: 'p-4', title: 't', priority: null },
      ),
    );
    expect(result.beads.map((b) => b.priority)).toEqual([0, 1, 4, 3, 2]);
  });

  it('ignores blank lines and a byte-order mark; empty input imports nothing', () => {
    expect(plan('\uFEFF\n  \n{"id":"q-1","title":"t"}\n\n').beads.map((b) => b.id)).toEqual(['q-1']);
    expect(plan('')).toEqual({ beads: [], places: [], depsField: 'dependencies', skipped: [], notes: [], undeclaredTypes: [] });
  });

  describe('errors name the line and the field', () => {
    it.each<[string, string, RegExp]>([
      ['invalid JSON', '{"id":"e-1","title":"ok"}\n{"id":', /^line 2: invalid JSON: /],
      ['not an object', '[1,2]', /^line 1: expected a JSON object, got a list$/],
      ['missing id', '{"title":"t"}', /^line 1: missing 'id'$/],
      ['id of wrong type', '{"id":5,"title":"t"}', /^line 1: field 'id' must be a string, got number 5$/],
      ['missing title', '{"id":"e-1"}', /^line 1 \(e-1\): missing 'title'$/],
      ['blank title', '{"id":"e-1","title":"  "}', /^line 1 \(e-1\): missing 'title'$/],
      ['duplicate id', '{"id":"e-1","title":"a"}\n\n{"id":"e-1","title":"b"}', /^line 3 \(e-1\): duplicate id 'e-1' \(first at line 1\)$/],
      ['tombstone id reused', '{"id":"e-1","title":"a","status":"tombstone"}\n{"id":"e-1","title":"b"}', /^line 2 \(e-1\): duplicate id/],
      ['unknown status', '{"id":"e-1","title":"a","status":"review"}', /^line 1 \(e-1\): unknown status 'review'/],
      ['priority out of range', '{"id":"e-1","title":"a","priority":5}', /^line 1 \(e-1\): field 'priority' must be an integer 0–4 .*got number 5$/],
      ['priority not integer', '{"id":"e-1","title":"a","priority":1.5}', /field 'priority'.*got number 1.5$/],
      ['priority bad string', '{"id":"e-1","title":"a","priority":"high"}', /field 'priority'.*got "high"$/],
      ['labels not a list', '{"id":"e-1","title":"a","labels":"x"}', /^line 1 \(e-1\): field 'labels' must be a list, got "x"$/],
      ['label not a string', '{"id":"e-1","title":"a","labels":["x",3]}', /field 'labels\[1\]' must be a non-empty string, got number 3$/],
      ['description not a string', '{"id":"e-1","title":"a","description":{}}', /field 'description' must be a string, got an object$/],
      ['dependency not an object', '{"id":"e-1","title":"a","dependencies":["e-2"]}', /field 'dependencies\[0\]' must be an object/],
      ['dependency without target', '{"id":"e-1","title":"a","dependencies":[{"type":"blocks"}]}', /^line 1 \(e-1\): missing 'dependencies\[0\].depends_on_id'$/],
      ['dependency type not a string', '{"id":"e-1","title":"a","dependencies":[{"depends_on_id":"e-2","type":1}]}', /field 'dependencies\[0\].type' must be a string/],
      ['comment id of wrong type', '{"id":"e-1","title":"a","comments":[{"id":true,"text":"x"}]}', /field 'comments\[0\].id' must be a string or an integer, got boolean true$/],
      ['comment without id', '{"id":"e-1","title":"a","comments":[{"text":"x"}]}', /missing 'comments\[0\].id'$/],
      ['comment without text', '{"id":"e-1","title":"a","comments":[{"id":1}]}', /missing 'comments\[0\].text'$/],
      ['duplicate comment id', '{"id":"e-1","title":"a","comments":[{"id":1,"text":"x"},{"id":"1","text":"y"}]}', /duplicate comment id '1' in 'comments\[1\].id'$/],
      ['timestamp not a string', '{"id":"e-1","title":"a","created_at":1700000000}', /field 'created_at' must be a string/],
      ['pinned not a boolean', '{"id":"e-1","title":"a","pinned":"yes"}', /field 'pinned' must be true or false/],
    ])('%s', (_name, text, message) => {
      const err = usageError(() => plan(text));
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('\n');
    });
  });
});

describe('planImport: our JSON and YAML lists', () => {
  it('fills in defaults for missing optional fields', () => {
    for (const format of ['json', 'yaml'] as const) {
      const text =
        format === 'json'
          ? '[{"id":"g-1","title":"Minimal"}]'
          : '- id: g-1\n  title: Minimal\n';
      const result = plan(text, format);
      expect(result.beads).toStrictEqual([
        {
          id: 'g-1',
          title: 'Minimal',
          type: 'task',
          status: 'open',
          priority: 2,
          labels: [],
          deps: [],
          comments: [],
          created_at: NOW,
          created_by: ACTOR,
          updated_at: NOW,
        },
      ]);
      expect(result.notes).toEqual([
        '1 bead without created_at or updated_at stamped with the import time',
        `1 bead without created_by attributed to '${ACTOR}'`,
      ]);
    }
  });

  it('takes our field names, keeps edited, normalizes and reports unknown fields and types', () => {
    const yaml = [
      '- id: g-2',
      '  title: Full',
      '  type: spike',
      '  status: closed',
      '  priority: P0',
      '  labels: [b, a, b]',
      '  deps:',
      '    - { type: related, id: g-9 }',
      '    - { type: blocks, id: g-8 }',
      '  comments:',
      '    - { id: 42, at: "2026-01-02T00:00:00Z", text: hi }',
      '  created_at: "2026-01-01T00:00:00Z"',
      '  created_by: zed',
      '  updated_at: "2026-01-03T00:00:00Z"',
      '  edited: { title: "2026-01-03T00:00:00Z" }',
      '  colour: blue',
    ].join('\n');
    const result = plan(yaml, 'yaml');
    expect(result.beads).toStrictEqual([
      {
        id: 'g-2',
        title: 'Full',
        type: 'spike',
        status: 'closed',
        priority: 0,
        labels: ['a', 'b'],
        deps: [
          { type: 'blocks', id: 'g-8' },
          { type: 'related', id: 'g-9' },
        ],
        comments: [{ id: '42', author: 'zed', at: '2026-01-02T00:00:00Z', text: 'hi' }],
        created_at: '2026-01-01T00:00:00Z',
        created_by: 'zed',
        updated_at: '2026-01-03T00:00:00Z',
        closed_at: '2026-01-03T00:00:00Z',
        edited: { title: '2026-01-03T00:00:00Z' },
      },
    ]);
    expect(result.undeclaredTypes).toEqual(['spike']);
    expect(result.notes).toEqual([
      '1 numeric comment id converted to a string',
      '1 closed bead without closed_at given closed_at = updated_at',
      'unknown bead fields were ignored: colour',
    ]);
  });

  it('does not apply bd aliases or bd statuses to our own format', () => {
    expect(plan('[{"id":"g-1","title":"t","type":"feat"}]', 'json').beads[0]!.type).toBe('feat');
    expect(usageError(() => plan('[{"id":"g-1","title":"t","status":"pinned"}]', 'json')).message).toBe(
      "item 0 (g-1): unknown status 'pinned'",
    );
  });

  it('treats empty documents as empty lists', () => {
    expect(plan('', 'json').beads).toEqual([]);
    expect(plan('# nothing\n', 'yaml').beads).toEqual([]);
    expect(plan('[]', 'json').beads).toEqual([]);
  });

  describe('errors name the item index and the field', () => {
    it.each<[string, InteropFormat, string, RegExp]>([
      ['invalid JSON', 'json', '[{"id":', /^invalid JSON: /],
      ['invalid YAML', 'yaml', '- id: [unclosed\n', /^invalid YAML: .* at line \d+, column \d+$/],
      ['several YAML documents', 'yaml', '- id: a\n---\n- id: b\n', /^invalid YAML: Source contains multiple documents/],
      ['duplicate YAML key', 'yaml', '- id: a\n  id: b\n', /^invalid YAML: Map keys must be unique/],
      ['not a list', 'json', '{"id":"g-1"}', /^expected a list of beads, got an object$/],
      ['item not an object', 'yaml', '- g-1\n', /^item 0: expected a bead object, got "g-1"$/],
      ['missing id', 'json', '[{"id":"g-1","title":"t"},{"title":"t"}]', /^item 1: missing 'id'$/],
      ['missing title', 'yaml', '- id: g-1\n', /^item 0 \(g-1\): missing 'title'$/],
      ['duplicate id', 'json', '[{"id":"g-1","title":"t"},{"id":"g-1","title":"u"}]', /^item 1 \(g-1\): duplicate id 'g-1' \(first at item 0\)$/],
      ['numeric id', 'yaml', '- id: 12\n  title: t\n', /^item 0: field 'id' must be a string, got number 12$/],
      ['bad dep type', 'json', '[{"id":"g-1","title":"t","deps":[{"type":"duplicates","id":"g-2"}]}]', /^item 0 \(g-1\): unknown dependency type 'duplicates' in 'deps\[0\].type'$/],
      ['dep without id', 'json', '[{"id":"g-1","title":"t","deps":[{"type":"blocks"}]}]', /missing 'deps\[0\].id'$/],
      ['labels wrong type', 'yaml', '- id: g-1\n  title: t\n  labels: {a: 1}\n', /field 'labels' must be a list, got an object$/],
      ['bad priority', 'yaml', '- id: g-1\n  title: t\n  priority: -1\n', /field 'priority' must be an integer 0–4/],
      ['edited unknown key', 'json', '[{"id":"g-1","title":"t","edited":{"status":"x"}}]', /field 'edited.status' is not a stamped field/],
      ['edited wrong value', 'json', '[{"id":"g-1","title":"t","edited":{"title":3}}]', /field 'edited.title' must be a non-empty string/],
      ['comment text wrong type', 'json', '[{"id":"g-1","title":"t","comments":[{"id":"c","text":[]}]}]', /field 'comments\[0\].text' must be a string, got a list$/],
    ])('%s', (_name, format, text, message) => {
      const err = usageError(() => plan(text, format));
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('\n');
    });
  });
});

describe('exportBeads', () => {
  const sample: Bead[] = [
    bead({
      id: 'gt-b',
      title: 'Second',
      type: 'bug',
      status: 'closed',
      priority: 0,
      assignee: 'bob',
      labels: ['z', 'a'],
      description: 'Desc',
      acceptance: 'Acc',
      notes: '',
      deps: [
        { type: 'related', id: 'gt-a' },
        { type: 'blocks', id: 'gt-c' },
      ],
      external_ref: 'gh-1',
      comments: [{ id: 'c1', author: 'carol', at: '2026-01-01T10:00:00Z', text: 'Looks good' }],
      closed_at: '2026-01-02T00:00:00Z',
      close_reason: 'done',
      edited: { title: '2026-01-02T00:00:00Z' },
    }),
    bead({ id: 'gt-a', title: 'First' }),
  ];

  it('writes bd JSONL: sorted by id, bd field names, empty optional fields left out, trailing newline', () => {
    expect(exportBeads(sample, 'jsonl')).toBe(
      '{"id":"gt-a","title":"First","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","created_by":"alice","updated_at":"2026-01-02T00:00:00Z"}\n' +
        '{"id":"gt-b","title":"Second","description":"Desc","acceptance_criteria":"Acc","status":"closed","priority":0,"issue_type":"bug","assignee":"bob",' +
        '"created_at":"2026-01-01T00:00:00Z","created_by":"alice","updated_at":"2026-01-02T00:00:00Z","closed_at":"2026-01-02T00:00:00Z","close_reason":"done","external_ref":"gh-1",' +
        '"labels":["a","z"],"dependencies":[{"issue_id":"gt-b","depends_on_id":"gt-c","type":"blocks"},{"issue_id":"gt-b","depends_on_id":"gt-a","type":"related"}],' +
        '"comments":[{"id":"c1","issue_id":"gt-b","author":"carol","text":"Looks good","created_at":"2026-01-01T10:00:00Z"}]}\n',
    );
    expect(exportBeads([], 'jsonl')).toBe('');
  });

  it('writes JSON and YAML lists of our beads in canonical key order', () => {
    const json = exportBeads(sample, 'json');
    expect(json.endsWith('}\n]\n')).toBe(true);
    const parsed = JSON.parse(json) as Bead[];
    expect(parsed.map((b) => b.id)).toEqual(['gt-a', 'gt-b']);
    expect(Object.keys(parsed[1]!)).toEqual([
      'id', 'title', 'type', 'status', 'priority', 'assignee', 'labels', 'description', 'acceptance',
      'deps', 'external_ref', 'comments', 'created_at', 'created_by', 'updated_at', 'closed_at', 'close_reason', 'edited',
    ]);
    expect(parsed[1]!.labels).toEqual(['a', 'z']);
    const yaml = exportBeads(sample, 'yaml');
    expect(parseYaml(yaml)).toEqual(parsed);
    expect(yaml.startsWith('- id: gt-a\n  title: First\n  type: task\n')).toBe(true);
    expect(exportBeads([], 'json')).toBe('[]\n');
    expect(exportBeads([], 'yaml')).toBe('[]\n');
  });

  it('keeps long lines unfolded in YAML', () => {
    const long = 'word '.repeat(60).trim();
    const yaml = exportBeads([bead({ id: 'gt-l', title: long })], 'yaml');
    expect(yaml).toContain(`title: ${long}\n`);
  });

  it('streams a table in slices that make the same bytes as writing the whole list at once', () => {
    const many = Array.from({ length: 150 }, (_, i) =>
      bead({ id: `gt-${(149 - i).toString(36).padStart(3, '0')}`, title: `Bead ${i}`, description: i % 3 === 0 ? 'two\nlines' : '', labels: i % 2 ? ['x'] : [] }),
    );
    for (const format of ['jsonl', 'json', 'yaml'] as const) {
      const slices = [...exportTable(EntityTable.of(many), format)];
      expect(slices.length).toBeGreaterThan(2);
      const text = slices.join('');
      expect(text).toBe(exportBeads(many, format));
      if (format === 'json') expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
      if (format === 'yaml') expect(text).toBe(stringifyYaml(parseYaml(text), { lineWidth: 0 }));
    }
    expect([...exportTable(EntityTable.of<Bead>([]), 'json')].join('')).toBe('[]\n');
    expect([...exportTable(EntityTable.of<Bead>([]), 'yaml')].join('')).toBe('[]\n');
  });

  it('re-imports the bd JSONL export of a bead carrying the pinned label unchanged', () => {
    const b = bead({ id: 'gt-p', labels: ['pinned'], status: 'hooked' });
    expect(plan(exportBeads([b], 'jsonl')).beads).toStrictEqual([b]);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips

const BD_ALIASES = new Set(['enhancement', 'feat', 'dec', 'adr']);

const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('null', 'true', '123', '- x', '# c', 'a: b', ' lead', 'trail \n', 'l1\r\nl2', '"q"', "'", '\u2028', '{}', '[]', '~'),
);
const text = anyText.filter((s) => s !== '');
// Titles as gt keeps them (one line, trimmed), labels without spaces or commas: what create and import accept.
const title = anyText.map(normalizeTitle).filter((s) => s !== '');
const label = text.filter((s) => labelProblem(s) === undefined);
const idArb = fc.stringMatching(/^[a-z]{2,4}-[0-9a-z]{1,6}(\.[0-9]{1,2})?$/);
const time = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
const typeArb = fc.oneof(
  fc.constantFrom(...BUILTIN_BEAD_TYPES),
  fc.stringMatching(/^[a-z][a-z-]{0,12}$/).filter((t) => !BD_ALIASES.has(t)),
);
const commentArb = fc.record({ id: text, author: text, at: time, text: anyText }, { noNullPrototype: true });

function beadArb(withEdited: boolean): fc.Arbitrary<Bead> {
  return fc
    .record(
      {
        id: idArb,
        title,
        type: typeArb,
        status: fc.constantFrom(...BEAD_STATUSES),
        priority: fc.integer({ min: 0, max: 4 }),
        assignee: text,
        labels: fc.array(label, { maxLength: 4 }),
        description: text,
        acceptance: text,
        notes: text,
        deps: fc.array(fc.record({ type: fc.constantFrom(...DEP_TYPES), id: idArb }, { noNullPrototype: true }), { maxLength: 4 }),
        external_ref: text,
        comments: fc.array(commentArb, { maxLength: 3 }),
        created_at: time,
        created_by: text,
        updated_at: time,
        closed_at: time,
        close_reason: text,
        edited: fc
          .dictionary(fc.constantFrom(...STAMPED_FIELDS), time, { minKeys: 1, maxKeys: 3, noNullPrototype: true })
          .map((d) => d as Partial<Record<StampedField, string>>),
      },
      {
        noNullPrototype: true,
        requiredKeys: ['id', 'title', 'type', 'status', 'priority', 'labels', 'deps', 'comments', 'created_at', 'created_by', 'updated_at'],
      },
    )
    .map((b) => {
      const out: Bead = { ...b };
      // The invariant every format keeps: closed_at is set exactly when the bead is closed.
      if (out.status === 'closed') out.closed_at = b.closed_at ?? b.updated_at;
      else delete out.closed_at;
      if (!withEdited) delete out.edited;
      return out;
    });
}

function beadsArb(withEdited: boolean): fc.Arbitrary<Bead[]> {
  return fc.uniqueArray(beadArb(withEdited), { selector: (b) => b.id, maxLength: 6 });
}

function expected(beads: Bead[]): Bead[] {
  return beads.map(normalizeBead).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe('round trip: planImport(exportBeads(beads)) gives the normalized beads back', () => {
  it.each([
    ['jsonl', false],
    ['json', true],
    ['yaml', true],
  ] as const)('%s', (format, withEdited) => {
    fc.assert(
      fc.property(beadsArb(withEdited), (beads) => {
        const written = exportBeads(beads, format);
        const result = planImport(written, format, 'someone-else', '1999-01-01T00:00:00Z');
        expect(result.beads).toStrictEqual(expected(beads));
        expect(result.skipped).toEqual([]);
        expect(result.notes).toEqual([]);
        expect(result.undeclaredTypes).toEqual(
          [...new Set(beads.map((b) => b.type))].filter((t) => !(BUILTIN_BEAD_TYPES as readonly string[]).includes(t)).sort(),
        );
        // Export is a fixed point: writing what was read gives the same text.
        expect(exportBeads(result.beads, format)).toBe(written);
      }),
      { numRuns: 200 },
    );
  });

  it('jsonl: everything but `edited` survives', () => {
    fc.assert(
      fc.property(beadsArb(true), (beads) => {
        const result = plan(exportBeads(beads, 'jsonl'));
        const withoutEdited = expected(beads).map(({ edited: _edited, ...rest }) => rest);
        expect(result.beads).toStrictEqual(withoutEdited);
      }),
      { numRuns: 100 },
    );
  });
});

describe('planImport checks every record as gt create and ledger files are checked, naming the record and the field', () => {
  const ok = { title: 'Fine', created_at: T1, updated_at: T1, created_by: 'u' };
  it.each([
    ['an id that is a path', { ...ok, id: '../evil' }, /^line 2 \(\.\.\/evil\): field 'id': it holds '\/'/],
    ['an id with a control character', { ...ok, id: 'a\u0007b' }, /^line 2 \(a\\u0007b\): field 'id': it holds a control character/],
    ['a title over 500 characters', { ...ok, id: 'x-2', title: 'x'.repeat(501) }, /^line 2 \(x-2\): field 'title': the title is 501 characters long; at most 500/],
    ['a creation time that is not ISO 8601', { ...ok, id: 'x-2', created_at: 'yesterday' }, /^line 2 \(x-2\): field 'created_at': 'yesterday' is not an ISO 8601 time/],
    ['an impossible date', { ...ok, id: 'x-2', updated_at: '2026-02-30T00:00:00Z' }, /^line 2 \(x-2\): field 'updated_at': .* is not an ISO 8601 time/],
    ['a comment time that is not ISO 8601', { ...ok, id: 'x-2', comments: [{ id: 1, text: 'hi', created_at: '2026-01-01' }] }, /^line 2 \(x-2\): field 'comments\[0\]\.created_at': /],
    ['an unknown status', { ...ok, id: 'x-2', status: 'weird' }, /^line 2 \(x-2\): unknown status 'weird'/],
    ['a label with a space', { ...ok, id: 'x-2', labels: ['two words'] }, /^line 2 \(x-2\): field 'labels\[0\]': label 'two words' holds a space or a comma/],
    ['a dependency on an id that is a path', { ...ok, id: 'x-2', dependencies: [{ depends_on_id: 'a/b' }] }, /^line 2 \(x-2\): field 'dependencies\[0\]\.depends_on_id': it holds '\/'/],
  ])('bd JSONL: %s', (_what, record, message) => {
    expect(usageError(() => plan(jsonl({ ...ok, id: 'x-1' }, record))).message).toMatch(message);
  });

  it('JSON and YAML lists: the item index and our field names', () => {
    const list = [{ ...ok, id: 'g-1' }, { ...ok, id: 'g-2', closed_at: 'soon', status: 'closed' }];
    expect(usageError(() => plan(JSON.stringify(list), 'json')).message).toMatch(/^item 1 \(g-2\): field 'closed_at': 'soon' is not an ISO 8601 time/);
    expect(usageError(() => plan(`- { id: g-1, title: A }\n- { id: g-2, title: B, edited: { title: "2026" } }\n`, 'yaml')).message).toMatch(
      /^item 1 \(g-2\): field 'edited\.title': '2026' is not an ISO 8601 time/,
    );
  });

  it('normalizes titles as gt create does, and says so', () => {
    const result = plan(jsonl({ ...ok, id: 'x-1', title: '  Two\n lines  ' }));
    expect(result.beads[0]!.title).toBe('Two lines');
    expect(result.notes).toContain('1 title with line breaks or runs of spaces made one line, as gt create does');
    expect(result.places).toEqual(['line 1 (x-1)']);
  });
});
