import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  isPlainSafe,
  parseCanonicalFast,
  parseLedgerYaml,
  toCanonicalYaml,
} from '../../src/ledger/canonical-yaml.js';
import { LedgerFileError } from '../../src/errors.js';

/** What a YAML 1.1 reader (the `yaml` library in 1.1 mode, with its 1.1 schema) makes of `text`. */
const read11 = (text: string): unknown => parse(text, { version: '1.1' });
/** What a YAML 1.2 core reader makes of `text`. */
const read12 = (text: string): unknown => parse(text, { version: '1.2', schema: 'core' });

function expectReadsBack(value: Record<string, unknown>): string {
  const text = toCanonicalYaml(value);
  expect(read12(text)).toEqual(value);
  expect(read11(text)).toEqual(value);
  expect(parseLedgerYaml(text, 'x.yaml').value).toEqual(value);
  // Writing what was read gives the same bytes.
  expect(toCanonicalYaml(parseLedgerYaml(text, 'x.yaml').value as Record<string, unknown>)).toBe(text);
  return text;
}

describe('toCanonicalYaml: layout', () => {
  it('writes keys in insertion order, block sequences indented under their key, plain scalars', () => {
    const text = toCanonicalYaml({
      id: 'gt-a1b2',
      title: 'Fix the frobnicator',
      priority: 2,
      done: false,
      nothing: null,
      labels: ['backend', 'urgent'],
      deps: [
        { type: 'blocks', id: 'gt-c3d4' },
        { type: 'related', id: 'gt-e5f6' },
      ],
      nested: { b: 'two', a: 'one' },
    });
    expect(text).toBe(
      [
        'id: gt-a1b2',
        'title: Fix the frobnicator',
        'priority: 2',
        'done: false',
        'nothing: null',
        'labels:',
        '  - backend',
        '  - urgent',
        'deps:',
        '  - type: blocks',
        '    id: gt-c3d4',
        '  - type: related',
        '    id: gt-e5f6',
        'nested:',
        '  b: two',
        '  a: one',
        '',
      ].join('\n'),
    );
  });

  it('omits undefined values, writes empty collections in flow style, ends with exactly one newline', () => {
    const text = toCanonicalYaml({ a: undefined, b: [], c: {}, d: { e: undefined } });
    expect(text).toBe('b: []\nc: {}\nd: {}\n');
    expect(toCanonicalYaml({})).toBe('{}\n');
    expectReadsBack({ b: [], c: {} });
  });

  it('writes nested lists and maps inside lists', () => {
    const value = { a: [['x', 'w'], [], { k: ['p', { q: 1 }] }, 'z'] };
    const text = expectReadsBack(value);
    expect(text).toBe('a:\n  - - x\n    - w\n  - []\n  - k:\n      - p\n      - q: 1\n  - z\n');
  });

  it('never writes anchors or aliases, even for a shared object', () => {
    const shared = { x: 'y' };
    const text = toCanonicalYaml({ a: shared, b: shared, c: [shared, shared] });
    expect(text).not.toMatch(/[&*]/);
    expect(read12(text)).toEqual({ a: shared, b: shared, c: [shared, shared] });
  });

  it('never folds long lines', () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const text = expectReadsBack({ long, quoted: `yes ${long}: x` });
    expect(text.split('\n')).toHaveLength(3);
  });

  it('writes numbers and booleans plainly', () => {
    expect(toCanonicalYaml({ a: 0, b: -12, c: 1.5, d: true, e: false })).toBe('a: 0\nb: -12\nc: 1.5\nd: true\ne: false\n');
    expectReadsBack({ a: 0, b: -12, c: 1.5, d: 1e21, e: 1e-7, f: Infinity, g: -Infinity });
  });

  it('quotes keys that are not simple words', () => {
    const text = expectReadsBack({ 'a b': 1, yes: 2, '': 3, '1': 4, 'x: y': 5, '#': 6 });
    expect(text).toContain('"yes": 2');
    expect(text).toContain('"a b": 1');
  });

  it('rejects values that have no YAML form', () => {
    expect(() => toCanonicalYaml({ a: () => 1 })).toThrow(TypeError);
    expect(() => toCanonicalYaml({ a: new Date(0) })).toThrow(TypeError);
    expect(() => toCanonicalYaml({ a: [undefined] })).toThrow(TypeError);
  });
});

describe('toCanonicalYaml: strings', () => {
  const mustQuote = [
    '', 'yes', 'Yes', 'YES', 'no', 'No', 'on', 'On', 'off', 'OFF', 'y', 'Y', 'n', 'N', 'true', 'True', 'False',
    'FALSE', 'null', 'Null', 'NULL', '~', '0', '12', '-3', '+7', '0o17', '012', '0x1F', '0b101', '1_000', '1e3', '1E+3',
    'e5', '+E10', '1.5', '.5', '.', '._', '1.2.3', '.inf', '-.Inf', '.NaN', '.nan', '1:20', '190:20:30.15',
    '2026-11-21', '2026-1-2', '2026-11-21T00:03:11.123Z', '2026-11-21 00:03:11', '2026-11-21t00:03:11-05:00', '2026-11-21  1:2:3', '2026-11-21', '2026-11-21\t00:00:00',
    '<<', '=', '-', '- item', '? q', ': x', 'a: b', 'key:', 'a #b', '#comment', '"q"', "'s'", '|', '>', '&a', '*a',
    '!tag', '%x', '@x', '`x', '{a}', '[b]', ',', ' lead', 'trail ', ' ', '\t', 'a\tb', '\u00a0nbsp',
    'nel\u0085', 'ls\u2028', 'bom\ufeff', 'bell\x07', 'del\x7f', 'c1\x9b', 'lone\ud800', 'lone\udc00x',
  ];
  it.each(mustQuote)('double-quotes %j and reads it back as the same string', (s) => {
    const text = expectReadsBack({ v: s });
    expect(text.startsWith('v: "')).toBe(true);
    expect(isPlainSafe(s)).toBe(false);
  });

  const plain = [
    'gt-a1b2', 'alice', 'Fix the frobnicator', 'a:b', 'a#b', 'x-1', 'v1.2', 'c#', 'C++', 'über', '日本語', '😀 emoji',
    '1st place', '3 apples', 'yes please', 'nullable', 'ontology', 'no-op', '2026-11-21 release notes!', 'a,b', 'a [b]',
    'path/to/file.yaml', 'https://example.com/x?y=1#frag',
  ];
  it.each(plain)('writes %j plainly', (s) => {
    const text = expectReadsBack({ v: s });
    expect(text).toBe(`v: ${s}\n`);
  });

  it('escapes what a double-quoted scalar cannot hold raw', () => {
    expect(toCanonicalYaml({ v: 'a"b\\c\td\r\x1b\0\x01\u0085\u2028\ufeff\ud800' })).toBe(
      'v: "a\\"b\\\\c\\td\\r\\e\\0\\x01\\N\\L\\uFEFF\\uD800"\n',
    );
    expectReadsBack({ v: 'a"b\\c\td\r\x1b\0\x01\u0085\u2028\ufeff\ud800' });
  });

  it('writes multi-line strings as block literals with the right chomping', () => {
    expect(toCanonicalYaml({ v: 'a\nb' })).toBe('v: |-\n  a\n  b\n');
    expect(toCanonicalYaml({ v: 'a\nb\n' })).toBe('v: |\n  a\n  b\n');
    expect(toCanonicalYaml({ v: 'a\nb\n\n' })).toBe('v: |+\n  a\n  b\n\n');
    expect(toCanonicalYaml({ v: 'a\n\nb' })).toBe('v: |-\n  a\n\n  b\n');
    expect(toCanonicalYaml({ v: '\n\na' })).toBe('v: |-\n\n\n  a\n');
    for (const v of ['a\nb', 'a\nb\n', 'a\nb\n\n\n', 'a\n\nb', '\n\na', 'x\n# not a comment\n- not a list']) expectReadsBack({ v, after: 1 });
  });

  it('gives an explicit indentation when the first line starts with a space or tab', () => {
    expect(toCanonicalYaml({ v: '  a\nb' })).toBe('v: |2-\n    a\n  b\n');
    expect(toCanonicalYaml({ l: ['\tx\ny'] })).toBe('l:\n  - |2-\n    \tx\n    y\n');
    for (const v of ['  a\nb', ' a\n b\n', '\n  a', '\ta\nb', '   \nx', 'x\n   \n   ', 'x\n  ']) {
      expectReadsBack({ v, l: [v, { t: v }], after: 'z' });
    }
  });

  it('keeps trailing blanks inside block literals', () => {
    for (const v of ['a \nb  ', 'a\n \nb', 'a\n\t\nb\n', 'end\n\t', 'tab\t\n\tx']) expectReadsBack({ v, after: 1 });
    expect(toCanonicalYaml({ v: 'a \nb  ' })).toBe('v: |-\n  a \n  b  \n');
  });

  it('falls back to a double-quoted scalar when a block literal cannot hold the string', () => {
    expect(toCanonicalYaml({ v: '\n' })).toBe('v: "\\n"\n');
    expect(toCanonicalYaml({ v: '\n\n' })).toBe('v: "\\n\\n"\n');
    expect(toCanonicalYaml({ v: 'a\r\nb' })).toBe('v: "a\\r\\nb"\n');
    expect(toCanonicalYaml({ v: 'a\nb\x07' })).toBe('v: "a\\nb\\a"\n');
    for (const v of ['\n', '\n\n', 'a\r\nb', 'a\nb\x07', 'x\n\u2028']) expectReadsBack({ v });
  });

  it('quotes multi-line strings with lines of nothing but blanks (the yaml library misreads them in literals)', () => {
    for (const v of [' \n', 'x\n ', ' yes\n ', '  \n  ', '\n \n', 'a\n\t\nb']) {
      expect(toCanonicalYaml({ v }).startsWith('v: "')).toBe(true);
      expectReadsBack({ v, l: [v], after: 1 });
    }
    expect(parseCanonicalFast('v: |-\n  x\n   \n  y\n')).toBeUndefined();
  });

  it('handles a keep-chomped literal as the last value of the file', () => {
    const text = expectReadsBack({ v: 'x\n\n\n' });
    expect(text).toBe('v: |+\n  x\n\n\n');
  });
});

describe('parseLedgerYaml', () => {
  const fail = (text: string): LedgerFileError => {
    try {
      parseLedgerYaml(text, 'beads/x.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(LedgerFileError);
      return e as LedgerFileError;
    }
    throw new Error('expected a LedgerFileError');
  };

  it('reports syntax errors with the line of the problem', () => {
    const e = fail('a: 1\nb: "unterminated\nc: 2\n');
    expect(e.path).toBe('beads/x.yaml');
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.problem).toMatch(/^invalid YAML: /);
    expect(fail('a: 1\nb:\n\tc: 2\n').line).toBe(3);
    expect(fail('a: 1\n  b: 2\n').problem).toMatch(/invalid YAML/);
  });

  it('reports duplicate keys at the repeated key', () => {
    const e = fail('a: 1\nb: 2\na: 3\n');
    expect(e.line).toBe(3);
    expect(e.problem).toBe("invalid YAML: duplicate key 'a'");
    expect(fail('a:\n  x: 1\n  x: 2\n').line).toBe(3);
  });

  it('rejects more than one document', () => {
    const e = fail('a: 1\n---\nb: 2\n');
    expect(e.problem).toMatch(/more than one YAML document/);
    expect(e.line).toBe(2);
  });

  it('rejects a top level that is not a map', () => {
    expect(fail('- a\n- b\n').problem).toMatch(/top level, found a list/);
    expect(fail('hello\n').problem).toMatch(/top level, found a single value/);
    expect(fail('').problem).toMatch(/top level, found nothing/);
    expect(fail('# only a comment\n').line).toBe(1);
  });

  it('parses as YAML 1.2 core: 1.1-only forms stay strings', () => {
    const { value } = parseLedgerYaml('a: yes\nb: on\nc: 2026-11-21\nd: 0o17\ne: 012\nf: 1_000\n', 'x.yaml');
    expect(value).toEqual({ a: 'yes', b: 'on', c: '2026-11-21', d: 15, e: 12, f: '1_000' });
  });

  it('reads hand-edited files (comments, flow style, quotes) through the library', () => {
    const text = "# a comment\nid: 'gt-1'   # trailing\nlabels: [a, b]\ndeps:\n- {type: blocks, id: x}\n";
    expect(parseCanonicalFast(text)).toBeUndefined();
    expect(parseLedgerYaml(text, 'x.yaml').value).toEqual({ id: 'gt-1', labels: ['a', 'b'], deps: [{ type: 'blocks', id: 'x' }] });
  });

  const canonical = 'id: x\nlabels:\n  - a\n  - b\ndeps:\n  - type: blocks\n    id: gt-2\ndescription: |-\n  one\n  two\nafter: 1\n';
  const handEdited = '# header\nid: x\nlabels:\n  - a\n  - b # second\ndeps:\n  - type: blocks\n    id: gt-2\ndescription: |-\n  one\n  two\nafter: 1\n';

  it('reads canonical files without the library, and agrees with it', () => {
    expect(parseCanonicalFast(canonical)).toEqual(read12(canonical));
    const nested = toCanonicalYaml({ a: [['x', ['y', { k: 'v\nw' }]], [], {}], b: { c: { d: [1, true, null] } } });
    expect(parseCanonicalFast(nested)).toEqual(read12(nested));
    expect(parseCanonicalFast(handEdited)).toBeUndefined();
  });

  it('reads the quoted keys gt writes (a bead\'s seen and writes) without the library', () => {
    const bead = toCanonicalYaml({ id: 'x', seen: { 'overseer.k3x9': 1796093537136, 'a b': 2 }, writes: { title: 'overseer.k3x9@1796093537136' } });
    expect(bead).toContain('"overseer.k3x9": 1796093537136');
    expect(parseCanonicalFast(bead)).toEqual(read12(bead));
    // Quoting the writer would not do, and a key that would set the prototype, go to the library.
    expect(parseCanonicalFast('"id": x\n')).toBeUndefined();
    expect(parseCanonicalFast('seen:\n  "a\\x2eb": 1\n')).toBeUndefined();
    expect(parseCanonicalFast('"__proto__": 1\n')).toBeUndefined();
    expect(parseCanonicalFast('seen:\n  "a.b":1\n')).toBeUndefined();
  });

  it.each([
    ['canonical', canonical, 0],
    ['hand-edited', handEdited, 1],
  ])('finds the line of a key path (%s)', (_name, text, shift) => {
    const { lineOf } = parseLedgerYaml(text, 'x.yaml');
    expect(lineOf(['id'])).toBe(1 + shift);
    expect(lineOf(['labels'])).toBe(2 + shift);
    expect(lineOf(['labels', 1])).toBe(4 + shift);
    expect(lineOf(['deps', 0])).toBe(6 + shift);
    expect(lineOf(['deps', 0, 'id'])).toBe(7 + shift);
    expect(lineOf(['after'])).toBe(11 + shift);
    // Paths that do not exist fall back to their nearest existing ancestor.
    expect(lineOf(['deps', 0, 'nope'])).toBe(6 + shift);
    expect(lineOf(['deps', 3])).toBe(5 + shift);
    expect(lineOf(['id', 'deeper'])).toBe(1 + shift);
    expect(lineOf(['nope'])).toBe(1 + shift);
    expect(lineOf([])).toBe(1 + shift);
  });

  it('leaves everything outside the canonical shape to the library', () => {
    const notCanonical = [
      'a: 1', // no final newline
      ' a: 1\n',
      'a: 1\n\nb: 2\n',
      'a: 1 # c\n',
      "a: 'x'\n",
      'a:\n- x\n',
      'a:\n    - x\n',
      'a: |\n  x\n\n',
      'a: >\n  x\n',
      'a: 0o17\n',
      'a: 1.5\n',
      'a: ~\n',
      'a:\n',
      'a: "x\\q"\n',
      'a: b\n  c\n',
      'a: 1\na: 2\n',
      '__proto__: 1\n',
      '"a": 1\n',
      'a: x\r\n',
      'a: &x 1\n',
    ];
    for (const text of notCanonical) expect(parseCanonicalFast(text), JSON.stringify(text)).toBeUndefined();
  });
});
