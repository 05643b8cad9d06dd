/**
 * The items of the top-level list of a JSON or YAML file, parsed one at a time: an import of a list of
 * 50,000 beads never holds them all parsed (as one document, the YAML library's nodes for such a list
 * take over a gigabyte), nor its whole text. The list is cut into its items first, a chunk of bytes at
 * a time (import-source.ts), by JSON's brackets and quotes over the bytes, or by the YAML library's
 * lexer fed the text a chunk at a time; each item is then parsed alone by JSON.parse or the YAML
 * library. Whatever the cutting cannot vouch for (a list that is not one, an item that does not parse
 * alone, such as an alias of an anchor in another item) is read as one document from that item on,
 * so the items and the errors are those of reading the whole file.
 */
import { UsageError } from '../errors.js';
import { chunksAfterBom, textChunks, wholeText, type ImportSource } from './import-source.js';
import { yamlLibrary } from '../ledger/yaml-library.js';

export type ListFormat = 'json' | 'yaml';

/** The items of the list, one at a time. */
export function* listItems(source: ImportSource, format: ListFormat): Generator<unknown> {
  let index = 0;
  for (const item of format === 'json' ? jsonItems(source) : yamlItems(source)) {
    const value = item === NOT_ALONE ? NOT_ALONE : parseAlone(item, format);
    if (value === NOT_ALONE) {
      // Read whole only here: cutting reads the bytes a chunk at a time.
      const rest = readWhole(wholeText(source), format).slice(index);
      for (let i = 0; i < rest.length; i++) {
        const value = rest[i];
        rest[i] = undefined;
        yield value;
      }
      return;
    }
    yield value;
    index++;
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
 * (UTF-8 never puts an ASCII byte inside a character, so bytes do), a chunk of bytes at a time. Each
 * element is decoded alone. NOT_ALONE when the text is not an array; a malformed one ends in an
 * element that does not parse.
 */
function* jsonItems(source: ImportSource): Generator<string | typeof NOT_ALONE> {
  let where: 'before' | 'in' | 'after' = 'before';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elements = 0;
  /** The bytes of the element being cut, from the chunks before this one. */
  let pieces: Buffer[] = [];
  for (const chunk of chunksAfterBom(source)) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (where !== 'in') {
        if (isSpace(byte)) continue;
        // Anything but spaces after the list: a text that does not parse, for JSON.parse to name.
        if (where === 'after') {
          yield '';
          return;
        }
        if (byte !== OPEN_BRACKET) {
          yield NOT_ALONE;
          return;
        }
        where = 'in';
        from = i + 1;
      } else if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
      else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && depth > 0) depth--;
      else if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        pieces.push(chunk.subarray(from, i));
        const element = Buffer.concat(pieces).toString('utf8');
        pieces = [];
        // `[]` has no element; `[1,]` has an empty one, which does not parse.
        if (!(byte === CLOSE_BRACKET && elements === 0 && element.trim() === '')) yield element;
        elements++;
        from = i + 1;
        if (byte === CLOSE_BRACKET) where = 'after';
      }
    }
    if (where === 'in') pieces.push(chunk.subarray(from));
  }
  // Nothing but spaces: read whole, as an empty file. No closing bracket: a text that does not parse.
  if (where === 'before') yield NOT_ALONE;
  else if (where === 'in') yield '';
}

// --- YAML

/** Lexemes of the YAML library's lexer that stand for no text (cst.ts: DOCUMENT, FLOW_END, SCALAR). */
const ZERO_WIDTH = new Set(['\x02', '\x18', '\x1f']);

/**
 * The texts of the items of a top-level block sequence (`- ` at the start of a line), as the YAML
 * library's lexer finds them: a dash inside a block scalar or a quoted string is not one. The lexer
 * is given the text a chunk at a time, so only the item being cut is held, never the whole text.
 * Ends in NOT_ALONE, for the rest to be read as one document, at a document marker or a directive,
 * at anything but a comment before the first item (a map), and when there is no item at all;
 * anything else at the start of a line ends up in an item that does not parse alone.
 */
function* yamlItems(source: ImportSource): Generator<string | typeof NOT_ALONE> {
  const lexer = new (yamlLibrary().Lexer)();
  /** The text from the start of the item being cut (from the start of the file, before the first) up to what the lexer has been given. */
  let held = '';
  /** Where `held` starts in the text. */
  let heldAt = 0;
  /** How far into the text the lexer's lexemes have come. */
  let offset = 0;
  let lineStart = true;
  let items = 0;
  /** Where the items that start in the chunk being lexed start. */
  const starts: number[] = [];
  const lexed = (lexemes: Generator<string>): boolean => {
    for (const lexeme of lexemes) {
      if (ZERO_WIDTH.has(lexeme)) continue;
      if (lineStart) {
        if (lexeme === '-') starts.push(offset);
        // A document marker or a directive anywhere: the file is read whole, which names what is wrong.
        else if (lexeme === '---' || lexeme === '...' || lexeme.startsWith('%')) return false;
        else if (items === 0 && starts.length === 0 && lexeme !== '\n' && !lexeme.startsWith('#')) return false;
      }
      offset += lexeme.length;
      lineStart = lexeme.endsWith('\n');
    }
    return true;
  };
  /** The items that end where the ones just found start: every item but the last is whole once the next starts. */
  function* cutAtStarts(): Generator<string> {
    for (const start of starts) {
      if (items > 0) yield held.slice(0, start - heldAt);
      held = held.slice(start - heldAt);
      heldAt = start;
      items++;
    }
    starts.length = 0;
  }
  /** The lexemes of each chunk as it comes, then of what the lexer held back for the end. */
  function* rounds(): Generator<Generator<string>> {
    for (const chunk of textChunks(source)) {
      held += chunk;
      yield lexer.lex(chunk, true);
    }
    yield lexer.lex('', false);
  }
  for (const lexemes of rounds()) {
    if (!lexed(lexemes)) {
      yield NOT_ALONE;
      return;
    }
    yield* cutAtStarts();
  }
  if (items === 0) yield NOT_ALONE;
  else yield held;
}
