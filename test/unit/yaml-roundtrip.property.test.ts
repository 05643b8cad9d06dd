import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMap, parse, parseDocument } from 'yaml';
import { decodeBead, encodeBead } from '../../src/beads/bead-codec.js';
import { BEAD_STATUSES, DEP_TYPES, STAMPED_FIELDS, normalizeBead, type Bead } from '../../src/beads/bead.js';
import { labelProblem, normalizeTitle, titleProblem } from '../../src/beads/bead-input.js';
import { isValidId } from '../../src/ledger/names.js';
import { isPlainSafe, parseCanonicalFast, parseLedgerYaml, toCanonicalYaml } from '../../src/ledger/canonical-yaml.js';
import { sized } from '../helpers/stress.js';
import { damage, editsOf } from '../helpers/damage.js';

/** Strings that YAML readers like to turn into something else, or that are awkward to write. */
const AWKWARD = [
  'yes', 'no', 'Yes', 'NO', 'on', 'off', 'y', 'n', 'Y', 'N', 'true', 'False', 'null', 'Null', '~', '',
  '0', '12', '-3', '+7', '0o17', '012', '0x1F', '0b11', '1_000', '1e3', 'e5', '.inf', '-.Inf', '.nan', '.', '1.5', '1.2.3',
  '1:20', '2026-11-21', '2026-11-21T00:03:11.123Z', '2026-11-21 00:03:11', '<<', '=',
  '#', '# not a comment', 'a #b', 'a: b', 'key:', ': x', '- item', '-', '? q', '"quoted"', "'single'", "it's",
  '|', '|-', '>', '&anchor', '*alias', '!tag', '%YAML', '@x', '`x`', '{a: 1}', '[b]', ',', '---', '...',
  ' ', '  lead', 'trail  ', '\t', 'a\tb', '\\', '\\n', '\u00a0', '\u0085', '\u2028', '\ufeff', '\r', '\r\n', '\x00', '\x1b',
  'über', '日本語', '😀', 'a\u0301',
];

const awkward = fc.constantFrom(...AWKWARD);
const charSoup = fc.string({
  unit: fc.constantFrom(' ', ' ', 'a', 'b', '#', ':', '-', '\t', '"', "'", '\\', '|', '>', 'é', '😀', '0', '.', '\n'),
  maxLength: 12,
});
const line = fc.oneof(awkward, charSoup, fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ maxLength: 16 }));
const multiLine = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 5 }), fc.nat(3), fc.nat(3))
  .map(([lines, leading, trailing]) => ' '.repeat(leading) + lines.join('\n') + '\n'.repeat(trailing));
const text = fc.oneof({ weight: 2, arbitrary: line }, { weight: 2, arbitrary: multiLine }, { weight: 1, arbitrary: awkward });
const nonEmpty = text.filter((s) => s.length > 0);
// Times, ids, titles and labels as a bead file may hold them (bead-input.ts field checks); still awkward for YAML.
const timestamp = fc.oneof(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-11-21T00:03:11Z', '2026-11-21T00:03:11+01:00', '2026-11-21T00:03:11.5-08:00'),
);
const beadId = nonEmpty.filter(isValidId);
const title = nonEmpty.filter((s) => titleProblem(normalizeTitle(s)) === undefined);
const label = nonEmpty.filter((s) => labelProblem(s) === undefined);
const typeName = fc.oneof(
  fc.constantFrom('task', 'bug', 'yes', 'no', 'null', 'on', 'y', 'n', 'true', 'e5', 'x-1', 'a_b'),
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
);

const beadArb: fc.Arbitrary<Bead> = fc.record(
  {
    id: beadId,
    title,
    type: typeName,
    status: fc.constantFrom(...BEAD_STATUSES),
    priority: fc.integer({ min: 0, max: 4 }),
    assignee: text,
    labels: fc.array(label, { maxLength: 4 }),
    description: text,
    acceptance: text,
    notes: text,
    deps: fc.array(fc.record({ type: fc.constantFrom(...DEP_TYPES), id: beadId }), { maxLength: 4 }),
    external_ref: text,
    comments: fc.array(fc.record({ id: nonEmpty, author: text, at: timestamp, text }), { maxLength: 3 }),
    created_at: timestamp,
    created_by: text,
    updated_at: timestamp,
    closed_at: timestamp,
    close_reason: text,
    edited: fc.record(Object.fromEntries(STAMPED_FIELDS.map((f) => [f, timestamp])) as Record<(typeof STAMPED_FIELDS)[number], fc.Arbitrary<string>>, {
      requiredKeys: [],
    }),
  },
  { requiredKeys: ['id', 'title', 'type', 'status', 'priority', 'labels', 'deps', 'comments', 'created_at', 'created_by', 'updated_at'] },
);

/** A bead as gt writes it: with the bookkeeping of its writes, keyed by writers the writer quotes. */
const stampedBeadArb: fc.Arbitrary<Bead> = fc
  .record({ bead: beadArb, writer: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}\.[a-z0-9]{4,8}$/), at: fc.integer({ min: 1, max: 10 ** 15 - 1 }) })
  .map(({ bead, writer, at }) => ({ ...bead, seen: { [writer]: at }, writes: { title: `${writer}@${at}` } }));

/** What reading a written bead must give: the bead normalized, an empty `edited` map left out. */
function expected(bead: Bead): Bead {
  const out = normalizeBead(bead);
  if (out.edited !== undefined && Object.keys(out.edited).length === 0) delete out.edited;
  return out;
}

const LIBRARY_OPTIONS = { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' } as const;

describe('bead files round-trip', () => {
  it('decodeBead(encodeBead(b)) is b normalized, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(beadArb, (bead) => {
        const written = encodeBead(bead);
        const path = `beads/${bead.id}.yaml`;
        const decoded = decodeBead(written, path);
        expect(decoded).toEqual(expected(bead));
        expect(encodeBead(decoded)).toBe(written);
        // Canonical files take the fast path, and it agrees with the YAML library.
        const fast = parseCanonicalFast(written);
        expect(fast).toBeDefined();
        expect(fast).toEqual(parse(written, LIBRARY_OPTIONS));
        // A YAML 1.1 reader reads every string back as the same string (and the numbers as numbers).
        expect(parse(written, { version: '1.1' })).toEqual(fast);
      }),
      { numRuns: sized(100, 400) },
    );
  });
});

const simpleKey = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/).filter((k) => isPlainSafe(k));
/** Keys the writer quotes, as `seen` and `writes` are keyed by writers (`overseer.k3x9`). */
const quotedKey = fc.oneof(fc.constantFrom('overseer.k3x9', 'a b', 'x: y', '#k', '"q"', '', 'é', '-', 'true', '1'), fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'));
const key = fc.oneof(simpleKey, quotedKey);
const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 3 }),
  ),
}));
const document = fc.dictionary(key, tree, { maxKeys: 5 });

describe('the fast reader reads beads as gt writes them', () => {
  it('with their writes\' bookkeeping, and agrees with the library', () => {
    fc.assert(
      fc.property(stampedBeadArb, (bead) => {
        const written = encodeBead(bead);
        const fast = parseCanonicalFast(written);
        expect(fast).toBeDefined();
        expect(fast).toEqual(parseDocument(written, LIBRARY_OPTIONS).toJS());
      }),
      { numRuns: sized(100, 400) },
    );
  });
});

describe('canonical YAML round-trips any ledger value', () => {
  it('reads back what it writes, through the fast reader and the library alike, under YAML 1.1 and 1.2', () => {
    fc.assert(
      fc.property(document, (value) => {
        const written = toCanonicalYaml(value);
        expect(written.endsWith('\n')).toBe(true);
        const read = parseLedgerYaml(written, 'x.yaml').value;
        expect(read).toEqual(value);
        expect(parse(written, LIBRARY_OPTIONS)).toEqual(value);
        expect(parse(written, { version: '1.1' })).toEqual(value);
        if (Object.keys(value).length > 0) expect(parseCanonicalFast(written)).toEqual(value);
        expect(toCanonicalYaml(read as Record<string, unknown>)).toBe(written);
      }),
      { numRuns: sized(100, 300) },
    );
  });

  it('the fast reader never disagrees with the library on damaged files', () => {
    const edits = editsOf([' ', '\n', '#', ':', '-', '"', "'", '|', '\\', '\t', 'x', '0', '{', '+', '2', '&', '*']);
    fc.assert(
      fc.property(fc.oneof(beadArb, stampedBeadArb), edits, (bead, edit) => {
        const damaged = damage(encodeBead(bead), edit);
        const doc = parseDocument(damaged, LIBRARY_OPTIONS);
        const fast = parseCanonicalFast(damaged);
        if (doc.errors.length > 0 || !isMap(doc.contents)) expect(fast).toBeUndefined();
        else if (fast !== undefined) expect(fast).toEqual(doc.toJS());
      }),
      { numRuns: sized(100, 400) },
    );
  });
});
