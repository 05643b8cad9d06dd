/**
 * The items of the top-level list of a JSON or YAML file, parsed one at a time: an import of a list of
 * 50,000 beads never holds them all parsed (as one document, the YAML library's nodes for such a list
 * take over a gigabyte). The list is cut into its items first, by JSON's brackets and quotes over the
 * bytes, or by the YAML library's lexer; each item is then parsed alone by JSON.parse or the YAML
 * library. Whatever the cutting cannot vouch for (a list that is not one, an item that does not parse
 * alone, such as an alias of an anchor in another item) is read as one document from that item on,
 * so the items and the errors are those of reading the whole file.
 */
import { UsageError } from '../errors.js';
import { yamlLibrary } from '../ledger/yaml-library.js';

export type ListFormat = 'json' | 'yaml';

/** `text` without a byte order mark. */
export function withoutBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** The length of the UTF-8 byte order mark `bytes` start with: 3 or 0. */
export function bomLength(bytes: Buffer): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

export function* listItems(input: string | Buffer, format: ListFormat): Generator<unknown> {
  // Decoded once, if at all: JSON is cut over the bytes, and read whole only when the cutting fails.
  let decoded: string | undefined;
  const text = (): string => (decoded ??= withoutBom(typeof input === 'string' ? input : input.toString('utf8')));
  const cut = format === 'json' ? jsonItems(input) : yamlItems(text());
  let index = 0;
  if (cut) {
    let whole = true;
    for (const item of cut) {
      const value = parseAlone(item, format);
      if (value === NOT_ALONE) {
        whole = false;
        break;
      }
      yield value;
      index++;
    }
    if (whole) return;
  }
  const rest = readWhole(text(), format).slice(index);
  for (let i = 0; i < rest.length; i++) {
    const item = rest[i];
    rest[i] = undefined;
    yield item;
  }
}

/** The items of a list read as one document (none for an empty text); a UsageError for anything else. */
function readWhole(body: string, format: ListFormat): unknown[] {
  if (body.trim() === '') return [];
  let doc: unknown;
  try {
    if (format === 'json') doc = JSON.parse(body);
    else {
      // Errors only: warnings (e.g. unknown tags) must not end up on stderr.
      const parsed = yamlLibrary().parseDocument(body);
      const [error] = parsed.errors;
      if (error) throw error;
      doc = parsed.toJS();
    }
  } catch (err) {
    const first = ((err as Error).message.split('\n')[0] ?? '').trim().replace(/:$/, '');
    throw new UsageError(`invalid ${format === 'json' ? 'JSON' : 'YAML'}: ${first}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new UsageError(`expected a list of beads, got ${describe(doc)}`);
  return doc;
}

/** A value of an input file as a message names it: `a list`, `number 3`, `"text"`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

const NOT_ALONE: unique symbol = Symbol('not alone');

/** One item parsed on its own, or NOT_ALONE when it does not parse so. */
function parseAlone(item: string, format: ListFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(item);
    } catch {
      return NOT_ALONE;
    }
  }
  // The item's text is a list of one item, `- …` at the start of a line.
  const doc = yamlLibrary().parseDocument(item);
  if (doc.errors.length > 0 || doc.warnings.length > 0) return NOT_ALONE;
  let value: unknown;
  try {
    value = doc.toJS();
  } catch {
    // An alias of an anchor outside the item, or one that is not there at all.
    return NOT_ALONE;
  }
  return Array.isArray(value) && value.length === 1 ? value[0] : NOT_ALONE;
}

// --- JSON

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The texts of the elements of a top-level JSON array, cut at the commas outside brackets and strings
 * (UTF-8 never puts an ASCII byte inside a character, so bytes do). Each element is decoded alone.
 * Undefined when the text is not an array; a malformed one ends in an element that does not parse.
 */
function jsonItems(input: string | Buffer): Iterable<string> | undefined {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let at = bomLength(bytes);
  while (isSpace(bytes[at])) at++;
  if (bytes[at] !== OPEN_BRACKET) return undefined;
  return (function* () {
    let start = at + 1;
    let depth = 0;
    for (let i = start; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === QUOTE) {
        for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
      else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && depth > 0) depth--;
      else if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        const text = bytes.toString('utf8', start, i);
        // `[]` has no element; `[1,]` has an empty one, which does not parse.
        if (!(byte === CLOSE_BRACKET && start === at + 1 && text.trim() === '')) yield text;
        if (byte === CLOSE_BRACKET) {
          // Anything but spaces after the list: a text that does not parse, for JSON.parse to name.
          for (let j = i + 1; j < bytes.length; j++) {
            if (isSpace(bytes[j])) continue;
            yield '';
            return;
          }
          return;
        }
        start = i + 1;
      }
    }
    // No closing bracket: a text that does not parse, for JSON.parse to name what is wrong.
    yield '';
  })();
}

// --- YAML

/** Lexemes of the YAML library's lexer that stand for no text (cst.ts: DOCUMENT, FLOW_END, SCALAR). */
const ZERO_WIDTH = new Set(['\x02', '\x18', '\x1f']);

/**
 * The texts of the items of a top-level block sequence (`- ` at the start of a line; `text` has no
 * byte order mark), as the YAML
 * library's lexer finds them: a dash inside a block scalar or a quoted string is not one. Undefined
 * for a document marker or a directive, or anything but a comment before the first item (a map);
 * anything else at the start of a line ends up in an item that does not parse alone.
 */
function yamlItems(text: string): Iterable<string> | undefined {
  const starts: number[] = [];
  let offset = 0;
  let lineStart = true;
  for (const lexeme of new (yamlLibrary().Lexer)().lex(text)) {
    if (ZERO_WIDTH.has(lexeme)) continue;
    if (lineStart) {
      if (lexeme === '-') starts.push(offset);
      // A document marker or a directive anywhere: the file is read whole, which names what is wrong.
      else if (lexeme === '---' || lexeme === '...' || lexeme.startsWith('%')) return undefined;
      else if (starts.length === 0 && lexeme !== '\n' && !lexeme.startsWith('#')) return undefined;
    }
    offset += lexeme.length;
    lineStart = lexeme.endsWith('\n');
  }
  if (starts.length === 0) return undefined;
  return (function* () {
    for (let i = 0; i < starts.length; i++) yield text.slice(starts[i], starts[i + 1] ?? text.length);
  })();
}
