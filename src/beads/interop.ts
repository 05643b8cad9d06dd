/**
 * Moving beads between gt and other files: Beads' (`bd`) JSONL export format, and plain JSON/YAML
 * lists of our own bead objects.
 *
 * Import is pure: it parses, validates and converts, and reports every lossy or non-obvious mapping
 * in `notes`. Checking the ids against the ledger, declaring new types in gt.yaml and committing are
 * the caller's job.
 */
import { yamlLibrary } from '../ledger/yaml-library.js';
import { describe, listItems } from './list-items.js';
import { bytesSource, chunksAfterBom, type ImportSource } from './import-source.js';
import { UsageError } from '../errors.js';
import { formatKeyPath, validateBead, type KeyPath } from './bead-codec.js';
import { normalizeTitle } from './bead-input.js';
import { escapedName, shownName } from '../ledger/names.js';
import { withoutCausal } from '../ledger/merge/causal.js';
import type { EntityTable } from '../ledger/entity-table.js';
import {
  BEAD_KEY_ORDER,
  BUILTIN_BEAD_TYPES,
  DEFAULT_PRIORITY,
  MAX_PRIORITY,
  MIN_PRIORITY,
  STAMPED_FIELDS,
  isBeadStatus,
  isDepType,
  normalizeBead,
  type Bead,
  type BeadStatus,
  type Comment,
  type Dep,
  type DepType,
  type StampedField,
} from './bead.js';

export type InteropFormat = 'jsonl' | 'json' | 'yaml';

export interface ImportPlan {
  /** Converted, validated and normalized beads, in input order. */
  beads: Bead[];
  /** Where each bead came from, for messages: `line 3 (bd-a1)`, `item 0 (gt-4f2a)`. */
  places: string[];
  /** What the input calls a bead's dependencies: `dependencies` (bd) or `deps`. */
  depsField: string;
  /** Records deliberately not imported (bd tombstones). */
  skipped: { id: string; reason: string }[];
  /** Every lossy or non-obvious mapping, aggregated with counts. */
  notes: string[];
  /** Types of imported beads that are not built in, sorted and unique: declare them in gt.yaml. */
  undeclaredTypes: string[];
}

/**
 * An import read a bead at a time (readImport): an import of 50,000 beads never holds them all, only
 * what it writes, as it writes it.
 */
export interface ImportStream {
  /** Converted, validated and normalized beads and where each came from, in input order. Read once. */
  beads: Iterable<ReadBead>;
  /** What the input calls a bead's dependencies: `dependencies` (bd) or `deps`. */
  depsField: string;
  /** What planImport's plan says besides its beads; complete once `beads` has been read to the end. */
  summary(): Pick<ImportPlan, 'skipped' | 'notes' | 'undeclaredTypes'>;
}

/** A bead read from the input, and where it was: `line 3 (bd-a1)`, `item 0 (gt-4f2a)`. */
export interface ReadBead {
  bead: Bead;
  where: string;
}

/** The interop format a file name implies, or undefined when its extension says nothing. */
export function formatFromPath(path: string): InteropFormat | undefined {
  const match = /\.([^./\\]+)$/.exec(path);
  switch (match?.[1]?.toLowerCase()) {
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    case 'json':
      return 'json';
    case 'yaml':
    case 'yml':
      return 'yaml';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// bd vocabulary

/** bd's type aliases (`bd create -t feat` etc.), resolved to the type they stand for. */
const BD_TYPE_ALIASES: Readonly<Record<string, string>> = {
  enhancement: 'feature',
  feat: 'feature',
  dec: 'decision',
  adr: 'decision',
};

/** bd dependency types we have no equivalent for, and what they become. Unknown types become `related`. */
const BD_DEP_TYPE_MAP: Readonly<Record<string, DepType>> = {
  'relates-to': 'related',
  'conditional-blocks': 'blocks',
  'waits-for': 'blocks',
};

/** bd record fields this module reads; every other field with a value is reported as dropped. */
const BD_READ_FIELDS = new Set([
  'id',
  'title',
  'description',
  'design',
  'acceptance_criteria',
  'notes',
  'status',
  'priority',
  'issue_type',
  'assignee',
  'created_at',
  'created_by',
  'updated_at',
  'closed_at',
  'close_reason',
  'external_ref',
  'labels',
  'dependencies',
  'comments',
  'pinned',
]);

const PINNED_LABEL = 'pinned';
const BUILTIN_TYPES: ReadonlySet<string> = new Set(BUILTIN_BEAD_TYPES);
const STAMPED: ReadonlySet<string> = new Set(STAMPED_FIELDS);

// ---------------------------------------------------------------------------------------------
// Notes: counted once per kind, rendered at the end in order of first occurrence.

class Notes {
  private readonly entries = new Map<string, { count: number; render: (n: number) => string }>();

  add(key: string, render: (n: number) => string, count = 1): void {
    const entry = this.entries.get(key);
    if (entry) entry.count += count;
    else this.entries.set(key, { count, render });
  }

  render(): string[] {
    return [...this.entries.values()].map((e) => e.render(e.count));
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Field readers. `where` names the line or item ("line 3 (bd-a1)"); `name` names the field.

type Json = Record<string, unknown>;

function fail(where: string, problem: string): never {
  throw new UsageError(`${where}: ${problem}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field that may be absent; null and "" count as absent. */
function optString(obj: Json, key: string, where: string, name = key): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(where, `field '${name}' must be a string, got ${describe(value)}`);
  return value === '' ? undefined : value;
}

/** A string field that must be present and not blank. */
function reqString(obj: Json, key: string, where: string, name = key): string {
  const value = optString(obj, key, where, name);
  if (value === undefined || value.trim() === '') fail(where, `missing '${name}'`);
  return value;
}

function list(obj: Json, key: string, where: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, `field '${key}' must be a list, got ${describe(value)}`);
  return value;
}

function stringList(obj: Json, key: string, where: string): string[] {
  return list(obj, key, where).map((item, i) => {
    if (typeof item !== 'string' || item === '') {
      fail(where, `field '${key}[${i}]' must be a non-empty string, got ${describe(item)}`);
    }
    return item;
  });
}

function objectList(obj: Json, key: string, where: string): Json[] {
  return list(obj, key, where).map((item, i) => {
    if (!isObject(item)) fail(where, `field '${key}[${i}]' must be an object, got ${describe(item)}`);
    return item;
  });
}

function readPriority(obj: Json, where: string): number {
  const value = obj['priority'];
  if (value === undefined || value === null) return DEFAULT_PRIORITY;
  if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_PRIORITY && value <= MAX_PRIORITY) {
    return value;
  }
  if (typeof value === 'string') {
    const match = /^[Pp]?([0-9])$/.exec(value.trim());
    const n = match ? Number(match[1]) : NaN;
    if (n >= MIN_PRIORITY && n <= MAX_PRIORITY) return n;
  }
  return fail(
    where,
    `field 'priority' must be an integer ${MIN_PRIORITY}–${MAX_PRIORITY} (or "P${MIN_PRIORITY}"–"P${MAX_PRIORITY}"), got ${describe(value)}`,
  );
}

/** A comment id: a non-empty string, or an integer (bd's old auto-increment ids). */
function readCommentId(comment: Json, where: string, name: string): { id: string; numeric: boolean } {
  const value = comment['id'];
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { id: String(value), numeric: true };
  if (value === undefined || value === null || value === '') fail(where, `missing '${name}'`);
  if (typeof value !== 'string') fail(where, `field '${name}' must be a string or an integer, got ${describe(value)}`);
  return { id: value, numeric: false };
}

function hasValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Import

/** What both formats produce before the shared defaults and invariants are applied. */
interface Draft {
  id: string;
  title: string;
  type: string;
  status: BeadStatus;
  priority: number;
  assignee?: string | undefined;
  labels: string[];
  description?: string | undefined;
  acceptance?: string | undefined;
  notes?: string | undefined;
  deps: Dep[];
  external_ref?: string | undefined;
  /** Comments whose author / time may still be missing. */
  comments: { id: string; author?: string | undefined; at?: string | undefined; text: string }[];
  created_at?: string | undefined;
  created_by?: string | undefined;
  updated_at?: string | undefined;
  closed_at?: string | undefined;
  close_reason?: string | undefined;
  edited?: Partial<Record<StampedField, string>> | undefined;
}

interface Context {
  actor: string;
  now: string;
  notes: Notes;
}

/**
 * Reads `input` (the file's text, or its bytes) a bead at a time. Bytes are the cheaper input for a
 * big file: JSONL is then decoded a line at a time, so the whole text is never one string (as a
 * string, a 33 MB export with one non-Latin-1 character anywhere takes 66 MB). Errors are thrown as
 * the beads are read, naming the line or item.
 */
export function readImport(input: ImportSource | string | Buffer, format: InteropFormat, actor: string, now: string): ImportStream {
  const source = typeof input === 'string' || Buffer.isBuffer(input) ? bytesSource(input) : input;
  const ctx: Context = { actor, now, notes: new Notes() };
  const skipped: ImportPlan['skipped'] = [];
  const types = new Set<string>();
  const read = format === 'jsonl' ? readBdJsonl(linesOf(source), ctx, skipped) : readOwnList(source, format, ctx);
  return {
    beads: (function* () {
      for (const r of read) {
        if (!BUILTIN_TYPES.has(r.bead.type)) types.add(r.bead.type);
        yield r;
      }
    })(),
    depsField: format === 'jsonl' ? 'dependencies' : 'deps',
    summary: () => ({ skipped, notes: ctx.notes.render(), undeclaredTypes: [...types].sort() }),
  };
}

/** The whole of an import, read at once (readImport, collected). */
export function planImport(input: ImportSource | string | Buffer, format: InteropFormat, actor: string, now: string): ImportPlan {
  const stream = readImport(input, format, actor, now);
  const read = [...stream.beads];
  return { beads: read.map((r) => r.bead), places: read.map((r) => r.where), depsField: stream.depsField, ...stream.summary() };
}

/** The lines of UTF-8 bytes (a byte order mark dropped), without their CR LF or LF, decoded one at a time. */
function* linesOf(source: ImportSource): Generator<string> {
  /** The bytes of the line being read, from the chunks before this one. */
  let pieces: Buffer[] = [];
  const line = (last: Buffer): string => {
    const bytes = pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
    pieces = [];
    return bytes.toString('utf8', 0, bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length);
  };
  for (const chunk of chunksAfterBom(source)) {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      yield line(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
  }
  yield line(Buffer.alloc(0));
}

/** gt's field names (as validateBead names them) that bd's JSONL calls otherwise. */
const BD_FIELD_NAMES: Readonly<Record<string, string>> = {
  type: 'issue_type',
  acceptance: 'acceptance_criteria',
  deps: 'dependencies',
};

/** A field of a bead as the input file names it: `issue_type`, `comments[1].created_at`, `deps[0].id`. */
function inputFieldName(keyPath: KeyPath, bd: boolean): string {
  if (!bd || keyPath.length === 0) return formatKeyPath(keyPath);
  const [head, ...rest] = keyPath;
  const renamed: KeyPath = [BD_FIELD_NAMES[head as string] ?? head!, ...rest];
  if (head === 'comments' && rest[1] === 'at') renamed[2] = 'created_at';
  if (head === 'deps' && rest[1] === 'id') renamed[2] = 'depends_on_id';
  return formatKeyPath(renamed);
}

/**
 * Checks a converted bead with the very checks a ledger file gets (validateBead: ids, title, status,
 * priority, labels, times…), naming the record and the field as the input names it. Returns it normalized.
 */
function validated(bead: Bead, where: string, bd: boolean): Bead {
  const checked = validateBead(bead);
  if (checked.ok) return checked.bead;
  const [first, ...rest] = checked.problems;
  const gtName = formatKeyPath(first!.keyPath);
  // Messages that start with gt's name of the field get the input's name instead.
  const message = first!.message.startsWith(`${gtName}: `) ? first!.message.slice(gtName.length + 2) : first!.message;
  const more = rest.length === 0 ? '' : ` (and ${plural(rest.length, 'more problem', 'more problems')})`;
  return fail(where, `field '${inputFieldName(first!.keyPath, bd)}': ${message}${more}`);
}

/** Applies the defaults and invariants shared by all formats, validates, and normalizes. */
function finish(d: Draft, ctx: Context, where: string, bd: boolean): Bead {
  const { notes, actor, now } = ctx;
  if (d.created_at === undefined || d.updated_at === undefined) {
    notes.add('stamp-now', (n) => `${plural(n, 'bead', 'beads')} without created_at or updated_at stamped with the import time`);
  }
  if (d.created_by === undefined) {
    notes.add('by-actor', (n) => `${plural(n, 'bead', 'beads')} without created_by attributed to '${actor}'`);
  }
  const created_by = d.created_by ?? actor;
  const updated_at = d.updated_at ?? now;
  let closed_at = d.closed_at;
  if (d.status === 'closed' && closed_at === undefined) {
    closed_at = updated_at;
    notes.add('closed-at', (n) => `${plural(n, 'closed bead', 'closed beads')} without closed_at given closed_at = updated_at`);
  } else if (d.status !== 'closed' && closed_at !== undefined) {
    closed_at = undefined;
    notes.add('not-closed', (n) => `${plural(n, 'bead that is not closed', 'beads that are not closed')} lost ${n === 1 ? 'its' : 'their'} closed_at`);
  }
  let commentsStamped = 0;
  const comments: Comment[] = d.comments.map((c) => {
    if (c.at === undefined) commentsStamped++;
    return { id: c.id, author: c.author ?? created_by, at: c.at ?? now, text: c.text };
  });
  if (commentsStamped > 0) {
    notes.add('comment-now', (n) => `${plural(n, 'comment', 'comments')} without a time stamped with the import time`, commentsStamped);
  }
  const title = normalizeTitle(d.title);
  if (title !== d.title) notes.add('title', (n) => `${plural(n, 'title', 'titles')} with line breaks or runs of spaces made one line, as gt create does`);
  const before = d.deps.length;
  const bead = validated(
    ordered({ ...d, title, comments, created_at: d.created_at ?? now, created_by, updated_at, closed_at }),
    where,
    bd,
  );
  if (bead.deps.length < before) {
    notes.add('deps-merged', (n) => `${plural(n, 'duplicate dependency', 'duplicate dependencies')} (same type and target, after type mapping) merged`, before - bead.deps.length);
  }
  return bead;
}

/** The bead with its keys in canonical order, absent fields left out. */
function ordered(source: object): Bead {
  const out: Json = {};
  for (const key of BEAD_KEY_ORDER) {
    const value = (source as Json)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as unknown as Bead;
}

/** Throws on an id seen before in the file; remembers it otherwise. */
function checkUnique(seen: Map<string, string>, id: string, where: string, place: string): void {
  const first = seen.get(id);
  if (first !== undefined) fail(where, `duplicate id ${shownName(id)} (first at ${first})`);
  seen.set(id, place);
}

// --- bd JSONL

function* readBdJsonl(lines: Iterable<string>, ctx: Context, skipped: ImportPlan['skipped']): Generator<ReadBead> {
  const seen = new Map<string, string>();
  const dropped = new Set<string>();
  let lineNo = 0;
  for (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      fail(`line ${lineNo}`, `invalid JSON: ${(err as Error).message}`);
    }
    if (!isObject(record)) fail(`line ${lineNo}`, `expected a JSON object, got ${describe(record)}`);
    const id = reqString(record, 'id', `line ${lineNo}`);
    const where = `line ${lineNo} (${escapedName(id)})`;
    checkUnique(seen, id, where, `line ${lineNo}`);
    const rawStatus = optString(record, 'status', where);
    if (rawStatus === 'tombstone') {
      skipped.push({ id, reason: 'tombstone (deleted in bd)' });
      continue;
    }
    const bead = finish(bdRecordToDraft(record, id, rawStatus, where, ctx), ctx, where, true);
    for (const [key, value] of Object.entries(record)) {
      if (!BD_READ_FIELDS.has(key) && hasValue(value)) dropped.add(key);
    }
    yield { bead, where };
  }
  if (dropped.size > 0) {
    const names = [...dropped].sort();
    ctx.notes.add('dropped', () => `bd fields gt does not keep were dropped: ${names.join(', ')}`);
  }
}

function bdRecordToDraft(record: Json, id: string, rawStatus: string | undefined, where: string, ctx: Context): Draft {
  const { notes } = ctx;
  const title = reqString(record, 'title', where);
  const labels = stringList(record, 'labels', where);

  let status: BeadStatus;
  const pinnedFlag = record['pinned'];
  if (pinnedFlag !== undefined && pinnedFlag !== null && typeof pinnedFlag !== 'boolean') {
    fail(where, `field 'pinned' must be true or false, got ${describe(pinnedFlag)}`);
  }
  if (rawStatus === undefined) status = 'open';
  else if (rawStatus === 'pinned') status = 'open';
  else if (isBeadStatus(rawStatus)) status = rawStatus;
  else fail(where, `unknown status '${rawStatus}' (gt knows open, in_progress, blocked, deferred, hooked, closed; pinned and tombstone are mapped)`);
  if (rawStatus === 'pinned' || pinnedFlag === true) {
    labels.push(PINNED_LABEL);
    notes.add('pinned', (n) => `${plural(n, 'pinned bead', 'pinned beads')} imported with label '${PINNED_LABEL}' (bd status 'pinned' becomes 'open')`);
  }

  const rawType = optString(record, 'issue_type', where) ?? 'task';
  const alias = BD_TYPE_ALIASES[rawType];
  if (alias !== undefined) {
    notes.add(`alias:${rawType}`, (n) => `${plural(n, 'bead', 'beads')} of type '${rawType}' imported as '${alias}'`);
  }
  const type = alias ?? rawType;

  let description = optString(record, 'description', where);
  const design = optString(record, 'design', where);
  if (design !== undefined) {
    description = `${description === undefined ? '' : `${description}\n\n`}## Design\n\n${design}`;
    notes.add('design', (n) => `${plural(n, 'bead', 'beads')} had bd 'design' text, appended to the description under a "## Design" heading`);
  }

  const deps: Dep[] = objectList(record, 'dependencies', where).map((dep, i) => {
    const target = reqString(dep, 'depends_on_id', where, `dependencies[${i}].depends_on_id`);
    const holder = optString(dep, 'issue_id', where, `dependencies[${i}].issue_id`);
    if (holder !== undefined && holder !== id) {
      notes.add('dep-holder', (n) => `${plural(n, 'dependency', 'dependencies')} whose issue_id names another bead kept on the bead that lists ${n === 1 ? 'it' : 'them'}`);
    }
    const rawType = optString(dep, 'type', where, `dependencies[${i}].type`) ?? 'blocks';
    let type: DepType;
    if (isDepType(rawType)) type = rawType;
    else {
      type = BD_DEP_TYPE_MAP[rawType] ?? 'related';
      const mapped = type;
      notes.add(`dep:${rawType}`, (n) => `${plural(n, 'dependency', 'dependencies')} of type '${rawType}' imported as '${mapped}'`);
    }
    const metadata = dep['metadata'];
    if (hasValue(metadata) && metadata !== '{}') {
      notes.add('dep-metadata', (n) => `${plural(n, 'dependency', 'dependencies')} lost ${n === 1 ? 'its' : 'their'} metadata`);
    }
    return { type, id: target };
  });

  const comments = readComments(record, where, notes, (c, i) => ({
    author: optString(c, 'author', where, `comments[${i}].author`),
    at: optString(c, 'created_at', where, `comments[${i}].created_at`),
    issueId: optString(c, 'issue_id', where, `comments[${i}].issue_id`),
  }));

  return {
    id,
    title,
    type,
    status,
    priority: readPriority(record, where),
    assignee: optString(record, 'assignee', where),
    labels,
    description,
    acceptance: optString(record, 'acceptance_criteria', where),
    notes: optString(record, 'notes', where),
    deps,
    external_ref: optString(record, 'external_ref', where),
    comments,
    created_at: optString(record, 'created_at', where),
    created_by: optString(record, 'created_by', where),
    updated_at: optString(record, 'updated_at', where),
    closed_at: optString(record, 'closed_at', where),
    close_reason: optString(record, 'close_reason', where),
  };
}

/** Comments of either format; `more` reads the format-specific author and time fields. */
function readComments(
  record: Json,
  where: string,
  notes: Notes,
  more: (comment: Json, index: number) => { author: string | undefined; at: string | undefined },
): Draft['comments'] {
  const ids = new Set<string>();
  return objectList(record, 'comments', where).map((c, i) => {
    const { id, numeric } = readCommentId(c, where, `comments[${i}].id`);
    if (ids.has(id)) fail(where, `duplicate comment id '${id}' in 'comments[${i}].id'`);
    ids.add(id);
    if (numeric) notes.add('comment-numeric', (n) => `${plural(n, 'numeric comment id', 'numeric comment ids')} converted to ${n === 1 ? 'a string' : 'strings'}`);
    const text = c['text'];
    if (text === undefined || text === null) fail(where, `missing 'comments[${i}].text'`);
    if (typeof text !== 'string') fail(where, `field 'comments[${i}].text' must be a string, got ${describe(text)}`);
    const { author, at } = more(c, i);
    return { id, author, at, text };
  });
}

// --- our own JSON / YAML lists

const OWN_FIELDS: ReadonlySet<string> = new Set(BEAD_KEY_ORDER);

/** The beads of a JSON or YAML list, read an item at a time (list-items.ts). */
function* readOwnList(source: ImportSource, format: 'json' | 'yaml', ctx: Context): Generator<ReadBead> {
  const seen = new Map<string, string>();
  const ignored = new Set<string>();
  let index = -1;
  for (const item of listItems(source, format)) {
    index++;
    const place = `item ${index}`;
    if (!isObject(item)) fail(place, `expected a bead object, got ${describe(item)}`);
    const id = reqString(item, 'id', place);
    const where = `item ${index} (${escapedName(id)})`;
    checkUnique(seen, id, where, place);
    for (const [key, value] of Object.entries(item)) if (!OWN_FIELDS.has(key) && hasValue(value)) ignored.add(key);
    yield { bead: finish(ownItemToDraft(item, id, where, ctx), ctx, where, false), where };
  }
  if (ignored.size > 0) {
    const names = [...ignored].sort();
    ctx.notes.add('ignored', () => `unknown bead fields were ignored: ${names.join(', ')}`);
  }
}

function ownItemToDraft(item: Json, id: string, where: string, ctx: Context): Draft {
  const status = optString(item, 'status', where) ?? 'open';
  if (!isBeadStatus(status)) fail(where, `unknown status '${status}'`);
  const deps: Dep[] = objectList(item, 'deps', where).map((dep, i) => {
    const type = reqString(dep, 'type', where, `deps[${i}].type`);
    if (!isDepType(type)) fail(where, `unknown dependency type '${type}' in 'deps[${i}].type'`);
    return { type, id: reqString(dep, 'id', where, `deps[${i}].id`) };
  });
  const comments = readComments(item, where, ctx.notes, (c, i) => ({
    author: optString(c, 'author', where, `comments[${i}].author`),
    at: optString(c, 'at', where, `comments[${i}].at`),
  }));
  return {
    id,
    title: reqString(item, 'title', where),
    type: optString(item, 'type', where) ?? 'task',
    status,
    priority: readPriority(item, where),
    assignee: optString(item, 'assignee', where),
    labels: stringList(item, 'labels', where),
    description: optString(item, 'description', where),
    acceptance: optString(item, 'acceptance', where),
    notes: optString(item, 'notes', where),
    deps,
    external_ref: optString(item, 'external_ref', where),
    comments,
    created_at: optString(item, 'created_at', where),
    created_by: optString(item, 'created_by', where),
    updated_at: optString(item, 'updated_at', where),
    closed_at: optString(item, 'closed_at', where),
    close_reason: optString(item, 'close_reason', where),
    edited: readEdited(item, where),
  };
}

function readEdited(item: Json, where: string): Partial<Record<StampedField, string>> | undefined {
  const value = item['edited'];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(where, `field 'edited' must be an object, got ${describe(value)}`);
  const edited: Partial<Record<StampedField, string>> = {};
  for (const [key, at] of Object.entries(value)) {
    if (!STAMPED.has(key)) fail(where, `field 'edited.${key}' is not a stamped field (${STAMPED_FIELDS.join(', ')})`);
    if (typeof at !== 'string' || at === '') fail(where, `field 'edited.${key}' must be a non-empty string, got ${describe(at)}`);
    edited[key as StampedField] = at;
  }
  return Object.keys(edited).length > 0 ? edited : undefined;
}

// ---------------------------------------------------------------------------------------------
// Export

/**
 * Writes beads in the given format, sorted by id. Beads are normalized first; empty optional text
 * fields are left out. The bd format has no place for `edited`, so JSONL leaves it out. The write
 * bookkeeping (`seen`, `writes`) names this repository's writers: an import is a new write wherever it
 * lands, so no format carries it.
 */
export function exportBeads(beads: Bead[], format: InteropFormat): string {
  return [...exportSlices([...beads].sort(byId), format)].join('');
}

/**
 * The export of every bead of a table, a slice of text at a time, the same bytes as exportBeads: each
 * bead is parsed from the table's text and dropped once written, so an export of 50,000 beads never
 * holds them all parsed, nor the whole output as one string.
 */
export function exportTable(beads: EntityTable<Bead>, format: InteropFormat): Generator<string> {
  const ids = [...beads.keys()].sort();
  return exportSlices(
    (function* () {
      for (const id of ids) yield JSON.parse(beads.textOf(id)!) as Bead;
    })(),
    format,
  );
}

/**
 * Beads written per slice of an export. Small, so that what a slice builds (the YAML library's nodes
 * above all) dies young: at 256, the garbage of a YAML export of 50,000 beads outgrew its live data
 * twice over before it was collected.
 */
const EXPORT_SLICE = 64;

/** `beads` (in id order) in `format`, a slice of beads at a time. */
function* exportSlices(beads: Iterable<Bead>, format: InteropFormat): Generator<string> {
  let slice: Bead[] = [];
  let first = true;
  const write = (clean: Bead[]): string => {
    const at = first;
    first = false;
    switch (format) {
      case 'jsonl':
        return clean.map((b) => `${JSON.stringify(toBdRecord(b))}\n`).join('');
      case 'json':
        // The elements of a list that JSON.stringify(list, null, 2) writes, one level in (strings hold no raw line break).
        return clean.map((b, i) => `${at && i === 0 ? '[\n  ' : ',\n  '}${JSON.stringify(b, null, 2).replaceAll('\n', '\n  ')}`).join('');
      case 'yaml':
        // The items of a top-level list are written alike whatever list they are in.
        return yamlLibrary().stringify(clean, { lineWidth: 0 });
    }
  };
  for (const bead of beads) {
    slice.push(cleanBead(bead));
    if (slice.length < EXPORT_SLICE) continue;
    yield write(slice);
    slice = [];
  }
  if (slice.length > 0) yield write(slice);
  if (format === 'json') yield first ? '[]\n' : '\n]\n';
  else if (format === 'yaml' && first) yield yamlLibrary().stringify([], { lineWidth: 0 });
}

function byId(a: Bead, b: Bead): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const OPTIONAL_TEXT = ['assignee', 'description', 'acceptance', 'notes', 'external_ref', 'closed_at', 'close_reason'] as const;

function cleanBead(bead: Bead): Bead {
  const b: Bead = withoutCausal(normalizeBead(bead));
  for (const key of OPTIONAL_TEXT) if (b[key] === '') delete b[key];
  if (b.edited !== undefined && Object.keys(b.edited).length === 0) delete b.edited;
  return ordered(b);
}

/** One record as `bd export` writes it: bd's field names, empty optional fields left out. */
function toBdRecord(b: Bead): Json {
  const record: Json = {
    id: b.id,
    title: b.title,
    description: b.description,
    acceptance_criteria: b.acceptance,
    notes: b.notes,
    status: b.status,
    priority: b.priority,
    issue_type: b.type,
    assignee: b.assignee,
    created_at: b.created_at,
    created_by: b.created_by,
    updated_at: b.updated_at,
    closed_at: b.closed_at,
    close_reason: b.close_reason,
    external_ref: b.external_ref,
    labels: b.labels.length > 0 ? b.labels : undefined,
    dependencies:
      b.deps.length > 0 ? b.deps.map((d) => ({ issue_id: b.id, depends_on_id: d.id, type: d.type })) : undefined,
    comments:
      b.comments.length > 0
        ? b.comments.map((c) => ({ id: c.id, issue_id: b.id, author: c.author, text: c.text, created_at: c.at }))
        : undefined,
  };
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record;
}
