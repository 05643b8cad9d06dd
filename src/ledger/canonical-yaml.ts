/**
 * The one writer of ledger files, and their reader.
 *
 * Writing: a small emitter for the subset of YAML the ledger uses (block maps, block sequences,
 * strings, numbers, booleans, null). Its output does not depend on any library's formatting choices,
 * and every string scalar reads back as the same string under YAML 1.1 and YAML 1.2 readers alike.
 *
 * Reading: files in exactly the shape the emitter writes go through a fast line-based reader; anything
 * else (hand edits with comments, flow collections, single quotes, errors…) goes through the `yaml`
 * library (YAML 1.2, core schema), which also reports errors and finds line numbers.
 */
import type { Document, Node as YamlNode } from 'yaml';
import { yamlLibrary } from './yaml-library.js';
import { LedgerFileError } from '../errors.js';

// ------------------------------------------------------------------------------------------------
// Scalar classification
// ------------------------------------------------------------------------------------------------

/**
 * Characters that are never written raw: C0 controls except TAB and LF, DEL, C1 controls, the
 * YAML 1.1 line breaks NEL/LS/PS, the byte order mark, the non-characters U+FFFE/U+FFFF.
 */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
/** Lone surrogates (cannot be written as UTF-8 at all). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Words that some YAML reader (1.1 or 1.2) resolves to a boolean or null, plus merge and value keys. */
const RESERVED_WORDS = new Set([
  'null', '~', 'true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n', '<<', '=',
]);

/**
 * Strings some YAML 1.1 or 1.2 reader could take as a number, a timestamp or a special float.
 * Deliberately broader than any single schema: quoting a string that did not need it is harmless.
 */
const NUMBER_LIKE: readonly RegExp[] = [
  // Anything starting like a number and made only of number-ish characters:
  // 12, -3, 0o17, 012, 0x1F, 0b101, 1_000, 1e3, 1.2.3, 1:20, 2026-11-21, 2026-11-21T00:03:11.123Z…
  /^[-+]?(?:[0-9]|\.[0-9_.]|\.$)[0-9A-Za-z_.:+-]*$/,
  // YAML 1.1 floats without leading digits (the `yaml` library reads `e5` and `+E10` as floats).
  /^[-+]?\.?[eE][-+]?[0-9]+$/,
  // .inf, -.Inf, .nan… (any case)
  /^[-+]?\.(?:inf|nan)$/i,
  // Dates followed by a time after spaces or a T: 2026-11-21 00:03:11, 2001-12-14t21:59:43.10-05:00
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|(?:[Tt]|[ \t]+)[0-9])/,
];

/** First characters that make a plain scalar mean something else (YAML indicators and space). */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;

/**
 * True when `s` can be written as a plain (unquoted) scalar and every YAML 1.1 and 1.2 reader will
 * read it back as the same string. Conservative: when in doubt, the answer is no.
 */
export function isPlainSafe(s: string): boolean {
  if (s.length === 0) return false;
  if (INDICATOR_START.test(s) || /\s$/.test(s)) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (/[\t\n\r]/.test(s) || NEEDS_ESCAPE.test(s) || LONE_SURROGATE.test(s)) return false;
  if (RESERVED_WORDS.has(s.toLowerCase())) return false;
  for (const re of NUMBER_LIKE) if (re.test(s)) return false;
  return true;
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Keys come from a small vocabulary: remember the verdicts (bounded, in case a file is hostile). */
const plainKeyVerdicts = new Map<string, boolean>();

function isPlainKey(key: string): boolean {
  let verdict = plainKeyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SIMPLE_KEY.test(key) && key !== '__proto__' && isPlainSafe(key);
    if (plainKeyVerdicts.size < 4096) plainKeyVerdicts.set(key, verdict);
  }
  return verdict;
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

const DQ_SPECIAL =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x1f"\\\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

/** A double-quoted scalar on one line. */
export function doubleQuote(s: string): string {
  return `"${s.replace(DQ_SPECIAL, (ch) => {
    const known = ESCAPES[ch];
    if (known !== undefined) return known;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  })}"`;
}

/** A line of nothing but blanks. */
const BLANK_LINE = /^[ \t]+$/;

/**
 * The header and content lines of a block literal for a multi-line string, or undefined when a block
 * literal cannot hold it exactly. `column` is the column of the key (or `-`) that owns the value;
 * content goes two columns further in.
 */
function blockLiteral(s: string, column: number): string | undefined {
  // NEEDS_ESCAPE covers CR, which a reader would take as a line break.
  if (NEEDS_ESCAPE.test(s) || LONE_SURROGATE.test(s)) return undefined;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  if (end === 0) return undefined; // only line breaks: a quoted "\n…" is clearer
  const trailing = s.length - end;
  const lines = s.slice(0, end).split('\n');
  // The `yaml` library misreads some lines of nothing but spaces or tabs in block literals (it drops
  // them as trailing or leading blank lines), so strings with such lines are quoted instead.
  for (const line of lines) if (line.length > 0 && BLANK_LINE.test(line)) return undefined;
  // The content indentation is detected from the first non-empty line; when that line itself starts
  // with a space, the indentation must be given explicitly.
  const firstNonEmpty = lines.find((l) => l.length > 0) ?? '';
  const indicator = firstNonEmpty.startsWith(' ') || firstNonEmpty.startsWith('\t') ? '2' : '';
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const pad = ' '.repeat(column + 2);
  let out = `|${indicator}${chomp}\n`;
  for (const line of lines) out += line.length === 0 ? '\n' : `${pad}${line}\n`;
  for (let i = 1; i < trailing; i++) out += '\n';
  return out;
}

// ------------------------------------------------------------------------------------------------
// Writer
// ------------------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function keyText(key: string): string {
  return isPlainKey(key) ? key : doubleQuote(key);
}

/** A scalar's text for a single line (no trailing newline); undefined for non-scalars. */
function scalarText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return isPlainSafe(v) ? v : doubleQuote(v);
    case 'number':
      if (Number.isNaN(v)) return '.nan';
      if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return v === null ? 'null' : undefined;
    default:
      return undefined;
  }
}

/**
 * Everything after `key:` or `-` for `value`, including the final newline. `column` is the column of
 * the key or dash.
 */
function afterIndicator(value: unknown, column: number): string {
  if (typeof value === 'string' && value.includes('\n')) {
    const block = blockLiteral(value, column);
    return ` ${block ?? `${doubleQuote(value)}\n`}`;
  }
  const scalar = scalarText(value);
  if (scalar !== undefined) return ` ${scalar}\n`;
  if (Array.isArray(value)) {
    return value.length === 0 ? ' []\n' : `\n${writeSeq(value, column + 2, false)}`;
  }
  if (isPlainObject(value)) {
    return hasEntries(value) ? `\n${writeMap(value, column + 2, false)}` : ' {}\n';
  }
  throw new TypeError(`cannot write ${typeof value === 'object' ? 'this object' : typeof value} as YAML`);
}

function hasEntries(map: Record<string, unknown>): boolean {
  for (const key in map) if (Object.hasOwn(map, key) && map[key] !== undefined) return true;
  return false;
}

/** A non-empty block map at `column`; when `inline`, the first entry continues the current line. */
function writeMap(map: Record<string, unknown>, column: number, inline: boolean): string {
  const pad = ' '.repeat(column);
  let out = '';
  let first = true;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue;
    out += `${first && inline ? '' : pad}${keyText(key)}:${afterIndicator(value, column)}`;
    first = false;
  }
  return out;
}

/** A non-empty block sequence at `column`; when `inline`, the first item continues the current line. */
function writeSeq(items: readonly unknown[], column: number, inline: boolean): string {
  const pad = ' '.repeat(column);
  let out = '';
  let first = true;
  for (const item of items) {
    if (item === undefined) throw new TypeError('cannot write undefined as a list item');
    out += first && inline ? '-' : `${pad}-`;
    first = false;
    if (Array.isArray(item) && item.length > 0) out += ` ${writeSeq(item, column + 2, true)}`;
    else if (isPlainObject(item) && hasEntries(item)) out += ` ${writeMap(item, column + 2, true)}`;
    else out += afterIndicator(item, column);
  }
  return out;
}

/**
 * Canonical YAML for a ledger file: keys in insertion order, block style, two-space indentation,
 * no folding, no anchors, LF line ends, one trailing newline. Keys whose value is undefined are left out.
 */
export function toCanonicalYaml(value: Record<string, unknown>): string {
  if (!isPlainObject(value)) throw new TypeError('a ledger file holds a map at the top level');
  if (!hasEntries(value)) return '{}\n';
  const text = writeMap(value, 0, false);
  // The text is built by appending, a rope of a piece per key and line that V8 keeps as it is: a write
  // of thousands of files held ropes several times the size of their text. Reading a character
  // flattens the rope in place, and its pieces die young.
  text.charCodeAt(0);
  return text;
}

// ------------------------------------------------------------------------------------------------
// Reader
// ------------------------------------------------------------------------------------------------

export interface ParsedYaml {
  value: unknown;
  /** 1-based line of the key (or list item) at `keyPath`, or of its nearest existing ancestor. */
  lineOf(keyPath: readonly (string | number)[]): number | undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

const PARSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  prettyErrors: false,
  uniqueKeys: true,
  // Warnings (such as a map used as a key) go nowhere: validation reports what is wrong with the value.
  logLevel: 'error',
} as const;

function parseWithLibrary(text: string, path: string): Document.Parsed {
  const doc = yamlLibrary().parseDocument(text, PARSE_OPTIONS);
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = lineAt(text, error.pos[0]);
    if (error.code === 'MULTIPLE_DOCS') {
      throw new LedgerFileError(path, line, 'more than one YAML document (a ledger file holds one map)');
    }
    if (error.code === 'DUPLICATE_KEY') {
      const eol = text.indexOf('\n', error.pos[0]);
      const key = /^(.*?):(?: |$)/.exec(text.slice(error.pos[0], eol === -1 ? undefined : eol))?.[1]?.trim();
      throw new LedgerFileError(path, line, `invalid YAML: duplicate key${key ? ` '${key}'` : ''}`);
    }
    throw new LedgerFileError(path, line, `invalid YAML: ${error.message.split('\n')[0]}`);
  }
  if (!yamlLibrary().isMap(doc.contents)) {
    const found =
      doc.contents === null
        ? 'nothing'
        : yamlLibrary().isSeq(doc.contents)
          ? 'a list'
          : 'a single value';
    const line = doc.contents?.range ? lineAt(text, doc.contents.range[0]) : 1;
    throw new LedgerFileError(path, line, `expected a map of keys at the top level, found ${found}`);
  }
  return doc;
}

function libraryLineOf(text: string, doc: Document.Parsed, keyPath: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined = (node as YamlNode | null)?.range ? lineAt(text, (node as YamlNode).range![0]) : undefined;
  for (const step of keyPath) {
    if (yamlLibrary().isMap(node)) {
      const pair = node.items.find((p) => {
        const key: unknown = yamlLibrary().isScalar(p.key) ? p.key.value : p.key;
        return key !== null && typeof key !== 'object' && String(key) === String(step);
      });
      if (pair === undefined) break;
      const keyNode = pair.key as YamlNode | null;
      if (keyNode?.range) line = lineAt(text, keyNode.range[0]);
      node = pair.value;
    } else if (yamlLibrary().isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as YamlNode | undefined;
      if (item === undefined || item === null) break;
      if (item.range) line = lineAt(text, item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/**
 * Parses one ledger file (YAML 1.2, core schema). Throws LedgerFileError for syntax errors, duplicate
 * keys, more than one document, and anything but a map at the top level.
 */
export function parseLedgerYaml(text: string, path: string): ParsedYaml {
  const fast = parseCanonicalFast(text);
  if (fast !== undefined) {
    let doc: Document.Parsed | undefined;
    return {
      value: fast,
      lineOf(keyPath) {
        doc ??= parseWithLibrary(text, path);
        return libraryLineOf(text, doc, keyPath);
      },
    };
  }
  const doc = parseWithLibrary(text, path);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new LedgerFileError(path, undefined, `invalid YAML: ${(e as Error).message}`);
  }
  return { value, lineOf: (keyPath) => libraryLineOf(text, doc, keyPath) };
}

// ------------------------------------------------------------------------------------------------
// Fast reader for canonical files
// ------------------------------------------------------------------------------------------------

/** Thrown inside the fast reader when the text is not in the canonical shape. */
const NOT_CANONICAL: unique symbol = Symbol('not canonical');

/** Characters the fast reader leaves to the library (the writer never puts them in a file raw). */
// eslint-disable-next-line no-control-regex
const FAST_REJECT = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

const CANONICAL_INT = /^(?:0|-?[1-9][0-9]{0,14})$/;

class FastReader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(): never {
    throw NOT_CANONICAL;
  }

  /** Number of spaces at `at`. */
  spaces(at: number): number {
    const t = this.text;
    let i = at;
    while (t.charCodeAt(i) === 32) i++;
    return i - at;
  }

  eol(from: number): number {
    const e = this.text.indexOf('\n', from);
    return e === -1 ? this.fail() : e;
  }

  /** End of the simple key starting at `at` (index of its ':'), or -1. */
  keyEnd(at: number): number {
    const t = this.text;
    let i = at;
    const c0 = t.charCodeAt(i);
    if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90) || c0 === 95)) return -1;
    i++;
    for (;;) {
      const c = t.charCodeAt(i);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) i++;
      else break;
    }
    if (t.charCodeAt(i) !== 58) return -1;
    const next = t.charCodeAt(i + 1);
    return next === 32 || next === 10 ? i : -1;
  }

  /** The plain key starting at `at` and the index of its ':'. */
  plainKey(at: number): [string, number] {
    const colon = this.keyEnd(at);
    if (colon === -1) this.fail();
    const key = this.text.slice(at, colon);
    return isPlainKey(key) ? [key, colon] : this.fail();
  }

  /**
   * The double-quoted key starting at `at` and the index of its ':'. Only as the writer quotes keys
   * (keyText): every bead's `seen` is keyed by writers such as `"overseer.k3x9"`, so without this
   * every file gt writes would go to the library.
   */
  quotedKey(at: number): [string, number] {
    const t = this.text;
    const [key, colon] = this.doubleQuoted(at, this.eol(at));
    const next = t.charCodeAt(colon + 1);
    if (t.charCodeAt(colon) !== 58 || (next !== 32 && next !== 10)) this.fail();
    // `__proto__` would set the prototype of the map being read; the library reads it as a key.
    if (key === '__proto__' || keyText(key) !== t.slice(at, colon)) this.fail();
    return [key, colon];
  }

  /** Whether the double-quoted scalar at `at` is a key (followed by `: ` or a line end) rather than a value. */
  quotedKeyAt(at: number): boolean {
    const [, after] = this.doubleQuoted(at, this.eol(at));
    const next = this.text.charCodeAt(after + 1);
    return this.text.charCodeAt(after) === 58 && (next === 32 || next === 10);
  }

  /** A block map whose entries sit at `column`; its first entry starts at `start` (pos is that line). */
  map(column: number, start: number): Record<string, unknown> {
    const t = this.text;
    const out: Record<string, unknown> = {};
    let at = start;
    for (;;) {
      const [key, colon] = t.charCodeAt(at) === 34 ? this.quotedKey(at) : this.plainKey(at);
      if (Object.hasOwn(out, key)) this.fail();
      if (t.charCodeAt(colon + 1) === 10) {
        // Nested collection on the following lines, two columns in.
        this.pos = colon + 2;
        const inner = column + 2;
        if (this.spaces(this.pos) !== inner) this.fail();
        const first = this.pos + inner;
        if (t.charCodeAt(first) === 45 && t.charCodeAt(first + 1) === 32) out[key] = this.seq(inner);
        else out[key] = this.map(inner, first);
      } else {
        out[key] = this.inlineValue(colon + 2, column);
      }
      // pos is at the start of the next line
      if (this.pos >= t.length) return out;
      const indent = this.spaces(this.pos);
      if (indent < column) return out;
      if (indent > column) this.fail();
      at = this.pos + indent;
    }
  }

  /**
   * A block sequence whose dashes sit at `column`; pos is at the start of its first line, whose dash is
   * at `firstDash` (further right than `column` spaces when the sequence is an item of another one).
   */
  seq(column: number, firstDash = this.pos + column): unknown[] {
    const t = this.text;
    const out: unknown[] = [];
    for (let dash = firstDash; ; dash = this.pos + column) {
      if (t.charCodeAt(dash) !== 45 || t.charCodeAt(dash + 1) !== 32) this.fail();
      const start = dash + 2;
      const c = t.charCodeAt(start);
      if (c === 45 && t.charCodeAt(start + 1) === 32) out.push(this.seq(column + 2, start));
      else if (c === 34 ? this.quotedKeyAt(start) : c !== 124 && this.keyEnd(start) !== -1) out.push(this.map(column + 2, start));
      else out.push(this.inlineValue(start, column));
      if (this.pos >= t.length) return out;
      const indent = this.spaces(this.pos);
      if (indent < column) return out;
      if (indent > column) this.fail();
    }
  }

  /** A value starting at `start` on the current line, owned by a key or dash at `column`. */
  inlineValue(start: number, column: number): unknown {
    const t = this.text;
    const end = this.eol(start);
    this.pos = end + 1;
    const c = t.charCodeAt(start);
    if (c === 34) {
      const [value, close] = this.doubleQuoted(start, end);
      if (close !== end) this.fail();
      return value;
    }
    if (c === 124) return this.blockLiteral(t.slice(start, end), column);
    const raw = t.slice(start, end);
    if (raw === '{}') return {};
    if (raw === '[]') return [];
    if (isPlainSafe(raw)) return raw;
    if (CANONICAL_INT.test(raw)) return Number(raw);
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (raw === 'null') return null;
    return this.fail();
  }

  /** Parses `"…"` starting at `start`; returns the string and the index after the closing quote. */
  doubleQuoted(start: number, end: number): [string, number] {
    const t = this.text;
    let out = '';
    let seg = start + 1;
    for (let i = seg; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) return [out + t.slice(seg, i), i + 1];
      if (c !== 92) continue;
      out += t.slice(seg, i);
      const e = t[i + 1];
      let width = 0;
      switch (e) {
        case '0': out += '\0'; break;
        case 'a': out += '\x07'; break;
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'v': out += '\v'; break;
        case 'f': out += '\f'; break;
        case 'r': out += '\r'; break;
        case 'e': out += '\x1b'; break;
        case '"': out += '"'; break;
        case '/': out += '/'; break;
        case '\\': out += '\\'; break;
        case ' ': out += ' '; break;
        case 'N': out += '\u0085'; break;
        case '_': out += '\u00a0'; break;
        case 'L': out += '\u2028'; break;
        case 'P': out += '\u2029'; break;
        case 'x': width = 2; break;
        case 'u': width = 4; break;
        case 'U': width = 8; break;
        default: this.fail();
      }
      if (width > 0) {
        const digits = t.slice(i + 2, i + 2 + width);
        if (digits.length !== width || !/^[0-9A-Fa-f]+$/.test(digits)) this.fail();
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) this.fail();
        out += String.fromCodePoint(code);
        i += width;
      }
      i++;
      seg = i + 1;
    }
    return this.fail();
  }

  /** A block literal with header `header` owned by a key or dash at `column`; pos is on its first line. */
  blockLiteral(header: string, column: number): string {
    const m = /^\|([1-9])?([-+])?$/.exec(header);
    if (m === null) this.fail();
    const t = this.text;
    let indent = m[1] !== undefined ? column + Number(m[1]) : -1;
    const lines: string[] = [];
    let pendingEmpty = 0;
    while (this.pos < t.length) {
      const end = this.eol(this.pos);
      if (end === this.pos) {
        pendingEmpty++;
        this.pos = end + 1;
        continue;
      }
      const sp = this.spaces(this.pos);
      // Lines of nothing but blanks are never written (the library misreads some of them).
      const after = this.pos + sp;
      if (after === end || (t.charCodeAt(after) === 9 && BLANK_LINE.test(t.slice(after, end)))) this.fail();
      if (indent === -1) {
        // Auto-detected indentation: the first non-empty line, which must be more indented than the owner.
        if (sp <= column) this.fail();
        indent = sp;
      }
      if (sp < indent) break;
      for (; pendingEmpty > 0; pendingEmpty--) lines.push('');
      lines.push(t.slice(this.pos + indent, end));
      this.pos = end + 1;
    }
    if (lines.length === 0) this.fail();
    const body = lines.join('\n');
    const chomp = m[2];
    if (chomp === '-') return pendingEmpty === 0 ? body : this.fail();
    if (chomp === '+') return body + '\n'.repeat(pendingEmpty + 1);
    return pendingEmpty === 0 ? body + '\n' : this.fail();
  }
}

/**
 * Reads text in exactly the shape `toCanonicalYaml` writes, without the YAML library; returns
 * undefined for anything else (which the library then reads). Exported for tests, which check that it
 * agrees with the library.
 */
export function parseCanonicalFast(text: string): Record<string, unknown> | undefined {
  if (text.length === 0 || text.charCodeAt(text.length - 1) !== 10) return undefined;
  if (text.charCodeAt(0) === 32 || FAST_REJECT.test(text) || LONE_SURROGATE.test(text)) return undefined;
  const reader = new FastReader(text);
  try {
    const value = reader.map(0, 0);
    return reader.pos === text.length ? value : undefined;
  } catch (e) {
    if (e === NOT_CANONICAL) return undefined;
    throw e;
  }
}
