import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { listItems, type ListFormat } from '../../src/beads/list-items.js';
import { bytesSource } from '../../src/beads/import-source.js';
import { sized } from '../helpers/stress.js';
import { damage, editsOf } from '../helpers/damage.js';

/** What reading the whole file as one document gives: its items, or the start of its error. */
function whole(text: string, format: ListFormat): unknown[] | string {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') return [];
  let doc: unknown;
  if (format === 'json') {
    try {
      doc = JSON.parse(body);
    } catch {
      return 'invalid JSON';
    }
  } else {
    const parsed = parseDocument(body);
    if (parsed.errors.length > 0) return 'invalid YAML';
    try {
      doc = parsed.toJS();
    } catch {
      return 'invalid YAML';
    }
  }
  if (doc === null || doc === undefined) return [];
  return Array.isArray(doc) ? doc : 'expected a list';
}

/** What listItems gives: every item, or the start of the error it ends with (as whole() names it). */
function cut(input: string | Buffer, format: ListFormat, chunk?: number): unknown[] | string {
  const items: unknown[] = [];
  try {
    for (const item of listItems(bytesSource(input, chunk), format)) items.push(item);
    return items;
  } catch (error) {
    return (error as Error).message.slice(0, 12);
  }
}

// Text beyond ASCII too: characters of two to four UTF-8 bytes that a chunk boundary can split.
const item = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }));
const list = fc.array(item, { maxLength: 6 });

/** A text of the list as people and tools write it: compact, pretty, YAML block or flow style. */
const written = fc.oneof(
  fc.tuple(list, fc.constantFrom(0, 2, '\t')).map(([items, indent]) => ({ format: 'json' as const, text: JSON.stringify(items, null, indent), items })),
  fc.tuple(list, fc.constantFrom(2, 4), fc.boolean()).map(([items, indent, flow]) => ({
    format: 'yaml' as const,
    text: stringify(items, { indent, lineWidth: 0, ...(flow ? { collectionStyle: 'flow' as const } : {}) }),
    items,
  })),
);

/** Bytes read at a time: as few as one, so that characters, lexemes and items are split everywhere. */
const chunk = fc.integer({ min: 1, max: 40 });

const edits = editsOf([' ', '\n', '#', ':', '-', '"', "'", '|', '\\', ',', '[', ']', '{', '}', '&a ', '*a', '---\n', 'x', 'é']);

describe('listItems: the items of a list, one at a time, as reading the whole file gives them', () => {
  it('any list, in any style, from text or bytes', () => {
    fc.assert(
      fc.property(written, chunk, ({ format, text, items }, size) => {
        const expected = whole(text, format);
        expect(Array.isArray(expected) && expected.length).toBe(items.length);
        expect(cut(text, format)).toEqual(expected);
        expect(cut(text, format, size)).toEqual(expected);
        expect(cut(Buffer.from(`\uFEFF${text}`), format, size)).toEqual(expected);
        expect(cut(`${text.trimEnd()} x`, format)).toEqual(typeof whole(`${text.trimEnd()} x`, format) === 'string' ? (whole(`${text.trimEnd()} x`, format) as string).slice(0, 12) : whole(`${text.trimEnd()} x`, format));
      }),
      { numRuns: sized(200, 1000) },
    );
  });

  it('damaged files: the same items, or the same error', () => {
    fc.assert(
      fc.property(written, edits, chunk, ({ format, text }, edit, size) => {
        // As UTF-8, half a surrogate pair an edit split is a replacement character.
        const damaged = Buffer.from(damage(text, edit)).toString('utf8');
        const expected = whole(damaged, format);
        const named = typeof expected === 'string' ? expected.slice(0, 12) : expected;
        expect(cut(damaged, format)).toEqual(named);
        expect(cut(damaged, format, size)).toEqual(named);
      }),
      { numRuns: sized(300, 3000) },
    );
  });

  it('an alias of an anchor in another item, a comment, a document end: read as the whole file reads them', () => {
    const text = '# beads\n- &a { id: x, labels: [p] }\n- id: y\n  same: *a\n# end\n...\n';
    expect(cut(text, 'yaml')).toEqual(whole(text, 'yaml'));
    expect(cut('- a\n- |\n  - not an item\n  b\n- "- nor\n  this"\n', 'yaml')).toEqual(['a', '- not an item\nb\n', '- nor this']);
    expect(cut('[1, "a,]\\"", {"b": [2, 3]}]  \n', 'json')).toEqual([1, 'a,]"', { b: [2, 3] }]);
    expect(cut('[1, 2] 3', 'json')).toBe('invalid JSON');
    expect(cut('[1,]', 'json')).toBe('invalid JSON');
    expect(cut('{"a": 1}', 'json')).toBe('expected a l');
    expect(cut('[]', 'json')).toEqual([]);
  });
});
