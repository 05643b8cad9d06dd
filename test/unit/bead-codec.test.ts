import { describe, expect, it } from 'vitest';
import { decodeBead, encodeBead, validateBead } from '../../src/beads/bead-codec.js';
import { decodeConfig, encodeConfig } from '../../src/ledger/config-codec.js';
import { normalizeBead, type Bead } from '../../src/beads/bead.js';
import { LEDGER_SCHEMA_VERSION } from '../../src/ledger/config.js';
import { LedgerFileError, UsageError } from '../../src/errors.js';

const PATH = 'beads/gt-a1b2.yaml';

function typicalBead(): Bead {
  return {
    id: 'gt-a1b2',
    title: 'Fix the frobnicator when it breaks',
    type: 'bug',
    status: 'in_progress',
    priority: 1,
    assignee: 'alice',
    labels: ['urgent', 'backend'],
    description: 'First line of the description.\nSecond line: with a colon.',
    deps: [
      { type: 'related', id: 'gt-e5f6' },
      { type: 'blocks', id: 'gt-c3d4' },
    ],
    comments: [{ id: 'c1', author: 'bob', at: '2026-11-21T00:03:11.123Z', text: 'yes' }],
    created_at: '2026-11-20T10:00:00.000Z',
    created_by: 'alice',
    updated_at: '2026-11-21T00:03:11.123Z',
    edited: { title: '2026-11-21T00:03:11.123Z', assignee: '2026-11-20T11:00:00.000Z' },
  };
}

const TYPICAL_TEXT = `id: gt-a1b2
title: Fix the frobnicator when it breaks
type: bug
status: in_progress
priority: 1
assignee: alice
labels:
  - backend
  - urgent
description: |-
  First line of the description.
  Second line: with a colon.
deps:
  - type: blocks
    id: gt-c3d4
  - type: related
    id: gt-e5f6
comments:
  - id: c1
    author: bob
    at: "2026-11-21T00:03:11.123Z"
    text: "yes"
created_at: "2026-11-20T10:00:00.000Z"
created_by: alice
updated_at: "2026-11-21T00:03:11.123Z"
edited:
  assignee: "2026-11-20T11:00:00.000Z"
  title: "2026-11-21T00:03:11.123Z"
`;

/** The error decodeBead throws for `text` at `path`. */
function decodeError(text: string, path = PATH): LedgerFileError {
  try {
    decodeBead(text, path);
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerFileError);
    return e as LedgerFileError;
  }
  throw new Error('expected decodeBead to fail');
}

/** TYPICAL_TEXT with line `line` (1-based) replaced. */
function withLine(line: number, replacement: string): string {
  const lines = TYPICAL_TEXT.split('\n');
  lines[line - 1] = replacement;
  return lines.join('\n');
}

describe('encodeBead', () => {
  it('writes keys in canonical order, sets sorted, edited keys sorted, strings quoted where needed', () => {
    expect(encodeBead(typicalBead())).toBe(TYPICAL_TEXT);
  });

  it('leaves out undefined fields, empty lists and an empty edited map', () => {
    const bead: Bead = {
      id: 'gt-1',
      title: 'T',
      type: 'task',
      status: 'open',
      priority: 2,
      assignee: undefined,
      labels: [],
      deps: [],
      comments: [],
      created_at: '2026-11-20T10:00:00.000Z',
      created_by: 'me',
      updated_at: '2026-11-20T10:00:00.000Z',
      edited: {},
    };
    expect(encodeBead(bead)).toBe(
      'id: gt-1\ntitle: T\ntype: task\nstatus: open\npriority: 2\ncreated_at: "2026-11-20T10:00:00.000Z"\ncreated_by: me\nupdated_at: "2026-11-20T10:00:00.000Z"\n',
    );
  });

  it('writes dep and comment fields in their canonical order whatever the input order', () => {
    const bead = typicalBead();
    bead.deps = [{ id: 'gt-x', type: 'tracks' } as Bead['deps'][number]];
    bead.comments = [{ text: 'hi', at: '2026-11-20T10:00:00Z', author: 'a', id: 'c9' } as Bead['comments'][number]];
    const text = encodeBead(bead);
    expect(text).toContain('deps:\n  - type: tracks\n    id: gt-x\n');
    expect(text).toContain('comments:\n  - id: c9\n    author: a\n    at: "2026-11-20T10:00:00Z"\n    text: hi\n');
  });

  it('refuses to write a bead it could not read back', () => {
    expect(() => encodeBead({ ...typicalBead(), priority: 9 })).toThrow(UsageError);
    expect(() => encodeBead({ ...typicalBead(), title: '' })).toThrow(/title must be a non-empty string/);
    expect(() => encodeBead({ ...typicalBead(), status: 'dne' as Bead['status'] })).toThrow(/unknown status 'dne'/);
  });
});

describe('decodeBead', () => {
  it('reads what encodeBead writes, normalized', () => {
    expect(decodeBead(TYPICAL_TEXT, PATH)).toEqual(normalizeBead(typicalBead()));
    expect(encodeBead(decodeBead(TYPICAL_TEXT, PATH))).toBe(TYPICAL_TEXT);
  });

  it('reads hand-edited files (comments, flow lists, other quoting, unsorted sets)', () => {
    const text = `# edited by hand
id: 'gt-a1b2'
title: Fix the frobnicator when it breaks   # trailing comment
type: bug
status: in_progress
priority: 1
assignee: alice
labels: [urgent, backend]
description: "First line of the description.\\nSecond line: with a colon."
deps:
- {type: related, id: gt-e5f6}
- type: blocks
  id: gt-c3d4
comments:
  - {id: c1, author: bob, at: '2026-11-21T00:03:11.123Z', text: 'yes'}
created_at: "2026-11-20T10:00:00.000Z"
created_by: alice
updated_at: "2026-11-21T00:03:11.123Z"
edited: {title: "2026-11-21T00:03:11.123Z", assignee: "2026-11-20T11:00:00.000Z"}
`;
    expect(decodeBead(text, PATH)).toEqual(normalizeBead(typicalBead()));
    expect(encodeBead(decodeBead(text, PATH))).toBe(TYPICAL_TEXT);
  });

  it('reports invalid YAML with the path and the line', () => {
    const e = decodeError(withLine(4, 'status: "in_progress'));
    expect(e.path).toBe(PATH);
    expect(e.line).toBeGreaterThanOrEqual(4);
    expect(e.problem).toMatch(/^invalid YAML/);
    expect(e.message).toMatch(/^beads\/gt-a1b2\.yaml:\d+: invalid YAML/);

    const dup = decodeError(`${TYPICAL_TEXT}title: again\n`);
    expect(dup.line).toBe(29);
    expect(dup.problem).toMatch(/duplicate key/);
  });

  it('reports an unknown status at its line', () => {
    const e = decodeError(withLine(4, 'status: dne'));
    expect(e.line).toBe(4);
    expect(e.problem).toBe("unknown status 'dne' (expected one of open, in_progress, blocked, deferred, hooked, closed)");
    expect(e.message).toBe(`${PATH}:4: ${e.problem}`);
  });

  it.each([
    ['7', 'the number 7'],
    ['-1', 'the number -1'],
    ['1.5', 'the number 1.5'],
    ['high', "the string 'high'"],
    ['"2"', "the string '2'"],
    ['', 'an empty value (null)'],
  ])('reports a bad priority (%s) at its line', (value, got) => {
    const e = decodeError(withLine(5, `priority: ${value}`));
    expect(e.line).toBe(5);
    expect(e.problem).toBe(`priority must be an integer from 0 to 4, got ${got}`);
  });

  it('reports an unknown key at its line', () => {
    const text = TYPICAL_TEXT.replace('created_by: alice\n', 'created_by: alice\nfoo: bar\n');
    const e = decodeError(text);
    expect(e.line).toBe(25);
    expect(e.problem).toBe("unknown key 'foo'");
  });

  it('reports an id that does not match the file name', () => {
    const e = decodeError(TYPICAL_TEXT, 'beads/gt-zzzz.yaml');
    expect(e.path).toBe('beads/gt-zzzz.yaml');
    expect(e.line).toBe(1);
    expect(e.problem).toBe("id 'gt-a1b2' does not match the file name (expected 'gt-zzzz')");
  });

  it('reports problems inside lists at the line of the item or key', () => {
    expect(decodeError(withLine(16, '  - type: needs')).line).toBe(16);
    expect(decodeError(withLine(16, '  - type: needs')).problem).toMatch(/^unknown dependency type 'needs' in deps\[1\] \(expected one of blocks,/);
    expect(decodeError(withLine(9, '  - 42')).problem).toMatch(/^labels\[1\] must be a non-empty string, got the number 42/);
    expect(decodeError(withLine(9, '  - 42')).line).toBe(9);
    const e = decodeError(withLine(22, '    txt: "yes"'));
    expect(e.line).toBe(22);
    expect(e.problem).toMatch(/^unknown key 'txt' in comments\[0\] \(expected one of id, author, at, text\) \(and 1 more problem\)$/);
    expect(decodeError(withLine(27, '  closed: x')).problem).toMatch(/^unknown key 'closed' in edited/);
  });

  it('rejects numbers and booleans where strings are expected, without coercing them', () => {
    const e = decodeError(withLine(2, 'title: 123'));
    expect(e.line).toBe(2);
    expect(e.problem).toBe('title must be a non-empty string, got the number 123 (write it in quotes: "123")');
    expect(decodeError(withLine(6, 'assignee: true')).problem).toMatch(/assignee must be a string, got the boolean true/);
    expect(decodeError(withLine(6, 'assignee:')).problem).toMatch(/assignee must be a string, got an empty value/);
    expect(decodeError(withLine(15, '    id: 12')).problem).toMatch(/deps\[0\]\.id must be a non-empty string, got the number 12/);
  });

  it('reports a missing required field and a bad type name', () => {
    const e = decodeError(TYPICAL_TEXT.replace('created_by: alice\n', ''));
    expect(e.problem).toBe("missing required key 'created_by'");
    expect(e.line).toBe(1);
    expect(decodeError(withLine(3, 'type: Big Bug')).problem).toMatch(/^type 'Big Bug' is not a valid type name/);
    expect(decodeError(withLine(2, 'title: ""')).problem).toMatch(/^title must be a non-empty string/);
  });

  it('rejects a file whose top level is not a map', () => {
    expect(decodeError('- a\n').problem).toMatch(/top level/);
  });
});

describe('validateBead', () => {
  it('lists every problem with its key path', () => {
    const result = validateBead({
      id: 'gt-1',
      title: 'x',
      type: 'task',
      status: 'dne',
      priority: 7,
      labels: ['a', ''],
      deps: [{ type: 'blocks' }],
      created_at: '2026-11-20T10:00:00Z',
      created_by: 'me',
      updated_at: 'yesterday',
      extra: 1,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.keyPath)).toEqual([['status'], ['priority'], ['labels', 1], ['deps', 0, 'id'], ['updated_at'], ['extra']]);
  });

  it('rejects things that are not maps', () => {
    for (const v of [null, 'x', 3, ['a']]) {
      const r = validateBead(v);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems[0]!.keyPath).toEqual([]);
    }
  });

  it('returns the bead normalized, with undefined fields left out', () => {
    const bead = { ...typicalBead(), labels: ['b', 'a', 'b'], notes: undefined, deps: [...typicalBead().deps, { type: 'blocks' as const, id: 'gt-c3d4' }] };
    const r = validateBead(bead);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.bead.labels).toEqual(['a', 'b']);
    expect(r.bead.deps).toEqual([
      { type: 'blocks', id: 'gt-c3d4' },
      { type: 'related', id: 'gt-e5f6' },
    ]);
    expect('notes' in r.bead).toBe(false);
    expect(r.bead).toEqual(normalizeBead({ ...typicalBead(), labels: ['a', 'b'] }));
  });
});

describe('config codec', () => {
  it('reads and writes gt.yaml', () => {
    const text = 'schema: 1\nprefix: gt\ntypes:\n  - spike\n  - incident\n';
    const config = decodeConfig(text);
    expect(config).toEqual({ schema: 1, prefix: 'gt', types: ['incident', 'spike'] });
    expect(encodeConfig(config)).toBe('schema: 1\nprefix: gt\ntypes:\n  - incident\n  - spike\n');
    expect(decodeConfig('schema: 1\nprefix: gt\n')).toEqual({ schema: 1, prefix: 'gt', types: [] });
    expect(encodeConfig({ schema: 1, prefix: 'gt', types: [] })).toBe('schema: 1\nprefix: gt\n');
    expect(encodeConfig({ schema: 1, prefix: 'ab', types: ['yes', 'no'] })).toBe('schema: 1\nprefix: ab\ntypes:\n  - "no"\n  - "yes"\n');
    expect(decodeConfig(encodeConfig({ schema: 1, prefix: 'ab', types: ['yes', 'no'] })).types).toEqual(['no', 'yes']);
  });

  const configError = (text: string): LedgerFileError => {
    try {
      decodeConfig(text);
    } catch (e) {
      expect(e).toBeInstanceOf(LedgerFileError);
      return e as LedgerFileError;
    }
    throw new Error('expected decodeConfig to fail');
  };

  it('tells to upgrade gt when the ledger schema is newer', () => {
    const e = configError(`prefix: gt\nschema: ${LEDGER_SCHEMA_VERSION + 1}\nnewkey: 1\n`);
    expect(e.path).toBe('gt.yaml');
    expect(e.line).toBe(2);
    expect(e.problem).toMatch(/upgrade gt/);
  });

  it('reports bad values at their line', () => {
    expect(configError('schema: 0\nprefix: gt\n').line).toBe(1);
    expect(configError('schema: "1"\nprefix: gt\n').problem).toMatch(/schema must be an integer/);
    expect(configError('schema: 1\nprefix: GT1\n').line).toBe(2);
    expect(configError('schema: 1\nprefix: gt\ntypes:\n  - ok\n  - Not OK\n').line).toBe(5);
    expect(configError('schema: 1\nprefix: gt\ncolor: red\n').problem).toMatch(/unknown key 'color'/);
    expect(configError('prefix: gt\n').problem).toMatch(/missing required key 'schema'/);
    expect(configError('schema: 1\n').problem).toMatch(/missing required key 'prefix'/);
  });

  it('refuses to write an invalid config', () => {
    expect(() => encodeConfig({ schema: 1, prefix: 'X', types: [] })).toThrow(UsageError);
  });
});
