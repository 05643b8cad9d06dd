/** Bead files: `beads/<id>.yaml` on the ledger. Validation at the edge, canonical encoding. */
import {
  BEAD_KEY_ORDER,
  BEAD_STATUSES,
  CAUSAL_FIELDS,
  DEP_TYPES,
  MAX_PRIORITY,
  MIN_PRIORITY,
  STAMPED_FIELDS,
  normalizeBead,
  type Bead,
  type Comment,
  type Dep,
  type DepType,
  type StampedField,
} from './bead.js';
import { parseLedgerYaml, toCanonicalYaml } from '../ledger/canonical-yaml.js';
import { TYPE_PATTERN } from '../ledger/config.js';
import { checkCausal } from '../ledger/merge/causal.js';
import { Checker, describe, fileError, idFromFileName, isMap, type Problem } from '../ledger/validate.js';
import { LedgerFileError, UsageError } from '../errors.js';
import { idProblem, labelProblem, normalizeTitle, titleProblem } from './bead-input.js';

export { formatKeyPath, type KeyPath } from '../ledger/validate.js';

/** Names of bead types (built-in or declared in gt.yaml). */
export const BEAD_TYPE_PATTERN = TYPE_PATTERN;

export type BeadProblem = Problem;

export type BeadValidation = { ok: true; bead: Bead } | { ok: false; problems: BeadProblem[] };

const STATUS_SET: ReadonlySet<string> = new Set(BEAD_STATUSES);
const DEP_TYPE_SET: ReadonlySet<string> = new Set(DEP_TYPES);
const STAMPED_SET: ReadonlySet<string> = new Set(STAMPED_FIELDS);

const REQUIRED_KEYS = ['id', 'title', 'type', 'status', 'priority', 'created_at', 'created_by', 'updated_at'] as const;
const OPTIONAL_STRING_KEYS = new Set(['assignee', 'description', 'acceptance', 'notes', 'external_ref', 'close_reason']);
const COMMENT_KEYS = ['id', 'author', 'at', 'text'] as const;
const DEP_KEYS = ['type', 'id'] as const;

/** The shared checks (ledger/validate.ts) plus the bead's lists, worded field by field. */
class BeadChecker extends Checker {
  labels(v: unknown): string[] {
    const items = this.list(v, ['labels']);
    const out: string[] = [];
    if (items === undefined) return out;
    for (let i = 0; i < items.length; i++) {
      const s = this.checked(items[i], ['labels', i], labelProblem, true);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  deps(v: unknown): Dep[] {
    const items = this.list(v, ['deps']);
    const out: Dep[] = [];
    if (items === undefined) return out;
    for (let i = 0; i < items.length; i++) {
      const item = this.map(items[i], ['deps', i]);
      if (item === undefined) continue;
      let ok = true;
      for (const key of Object.keys(item)) {
        if (key !== 'type' && key !== 'id' && item[key] !== undefined) {
          this.unknownKey(['deps', i, key], key, DEP_KEYS);
          ok = false;
        }
      }
      const type = item.type;
      if (typeof type !== 'string' || !DEP_TYPE_SET.has(type)) {
        this.add(
          ['deps', i, 'type'],
          type === undefined
            ? `deps[${i}] has no type (expected one of ${DEP_TYPES.join(', ')})`
            : `unknown dependency type ${typeof type === 'string' ? `'${type}'` : describe(type)} in deps[${i}] (expected one of ${DEP_TYPES.join(', ')})`,
        );
        ok = false;
      }
      const id = this.checked(item.id, ['deps', i, 'id'], (s) => idProblem(s), true);
      if (ok && id !== undefined) out.push({ type: type as DepType, id });
    }
    return out;
  }

  comments(v: unknown): Comment[] {
    const items = this.list(v, ['comments']);
    const out: Comment[] = [];
    if (items === undefined) return out;
    for (let i = 0; i < items.length; i++) {
      const item = this.map(items[i], ['comments', i]);
      if (item === undefined) continue;
      let ok = true;
      for (const key of Object.keys(item)) {
        if (key !== 'id' && key !== 'author' && key !== 'at' && key !== 'text' && item[key] !== undefined) {
          this.unknownKey(['comments', i, key], key, COMMENT_KEYS);
          ok = false;
        }
      }
      const id = this.string(item.id, ['comments', i, 'id'], true);
      const author = this.string(item.author, ['comments', i, 'author']);
      const at = this.time(item.at, ['comments', i, 'at']);
      const text = this.string(item.text, ['comments', i, 'text']);
      if (ok && id !== undefined && author !== undefined && at !== undefined && text !== undefined) {
        out.push({ id, author, at, text });
      }
    }
    return out;
  }

  edited(v: unknown): Partial<Record<StampedField, string>> {
    const map = this.map(v, ['edited']);
    const out: Partial<Record<StampedField, string>> = {};
    if (map === undefined) return out;
    for (const key of Object.keys(map)) {
      const value = map[key];
      if (value === undefined) continue;
      if (!STAMPED_SET.has(key)) {
        this.unknownKey(['edited', key], key, STAMPED_FIELDS);
        continue;
      }
      const s = this.time(value, ['edited', key]);
      if (s !== undefined) out[key as StampedField] = s;
    }
    return out;
  }
}

/**
 * Structural validation of a bead read from outside (a ledger file, an import): every field of the
 * right shape, no unknown keys, nothing coerced. Whether the type is declared is checked elsewhere.
 * Returns the bead normalized, or every problem found (in the order of the input's keys, then missing
 * fields).
 */
export function validateBead(value: unknown): BeadValidation {
  const c = new BeadChecker();
  if (!isMap(value)) {
    c.add([], `a bead must be a map of fields, got ${describe(value)}`);
    return { ok: false, problems: c.problems };
  }
  const fields: Partial<Record<keyof Bead, unknown>> = {};
  let labels: string[] = [];
  let deps: Dep[] = [];
  let comments: Comment[] = [];
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    switch (key) {
      case 'id':
        fields.id = c.checked(v, ['id'], (id) => idProblem(id), true);
        break;
      case 'title':
        fields.title = c.checked(v, ['title'], (t) => titleProblem(normalizeTitle(t)), true);
        break;
      case 'created_by':
        fields[key] = c.string(v, [key]);
        break;
      case 'created_at':
      case 'updated_at':
      case 'closed_at':
        fields[key] = c.time(v, [key]);
        break;
      case 'type':
        if (typeof v === 'string' && BEAD_TYPE_PATTERN.test(v)) fields.type = v;
        else if (typeof v === 'string') {
          c.add(
            ['type'],
            `type '${v}' is not a valid type name (lowercase letters, digits, '_' and '-', starting with a letter)`,
          );
        } else c.string(v, ['type'], true);
        break;
      case 'status':
        if (typeof v === 'string' && STATUS_SET.has(v)) fields.status = v;
        else {
          c.add(
            ['status'],
            `unknown status ${typeof v === 'string' ? `'${v}'` : describe(v)} (expected one of ${BEAD_STATUSES.join(', ')})`,
          );
        }
        break;
      case 'priority':
        if (typeof v === 'number' && Number.isInteger(v) && v >= MIN_PRIORITY && v <= MAX_PRIORITY) fields.priority = v;
        else {
          c.add(
            ['priority'],
            `priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${describe(v)}`,
          );
        }
        break;
      case 'labels':
        labels = c.labels(v);
        break;
      case 'deps':
        deps = c.deps(v);
        break;
      case 'comments':
        comments = c.comments(v);
        break;
      case 'edited': {
        const edited = c.edited(v);
        if (Object.keys(edited).length > 0) fields.edited = edited;
        break;
      }
      case 'seen':
      case 'writes':
        // Both at once, below: each write must be one `seen` covers.
        break;
      default:
        if (OPTIONAL_STRING_KEYS.has(key)) fields[key as keyof Bead] = c.string(v, [key]);
        else c.add([key], `unknown key '${key}'`);
    }
  }
  const causal = checkCausal(c, value.seen, value.writes, CAUSAL_FIELDS);
  if (causal.seen) fields.seen = causal.seen;
  if (causal.writes) fields.writes = causal.writes;
  for (const key of REQUIRED_KEYS) {
    if (value[key] === undefined) c.add([key], `missing required key '${key}'`);
  }
  if (c.problems.length > 0) return { ok: false, problems: c.problems };

  const bead = {} as Record<string, unknown>;
  for (const key of BEAD_KEY_ORDER) {
    if (key === 'labels') bead.labels = labels;
    else if (key === 'deps') bead.deps = deps;
    else if (key === 'comments') bead.comments = comments;
    else if (fields[key] !== undefined) bead[key] = fields[key];
  }
  return { ok: true, bead: normalizeBead(bead as unknown as Bead) };
}

/** Parses and validates `beads/<id>.yaml`; throws LedgerFileError naming the path and line. */
export function decodeBead(text: string, path: string): Bead {
  const parsed = parseLedgerYaml(text, path);
  const checked = validateBead(parsed.value);
  if (!checked.ok) throw fileError(path, parsed.lineOf, checked.problems);
  const expected = idFromFileName(path);
  if (expected !== undefined && checked.bead.id !== expected) {
    throw new LedgerFileError(
      path,
      parsed.lineOf(['id']),
      `id '${checked.bead.id}' does not match the file name (expected '${expected}')`,
    );
  }
  return checked.bead;
}

/** The canonical text of a bead file. Throws UsageError for a bead that could not be read back. */
export function encodeBead(bead: Bead): string {
  const checked = validateBead(bead);
  if (!checked.ok) {
    const first = checked.problems[0]!;
    throw new UsageError(`cannot write bead ${String(bead.id)}: ${first.message}`);
  }
  const b = checked.bead;
  const out: Record<string, unknown> = {};
  for (const key of BEAD_KEY_ORDER) {
    switch (key) {
      case 'labels':
        if (b.labels.length > 0) out.labels = b.labels;
        break;
      case 'deps':
        if (b.deps.length > 0) out.deps = b.deps.map((d) => ({ type: d.type, id: d.id }));
        break;
      case 'comments':
        if (b.comments.length > 0) {
          out.comments = b.comments.map((cm) => ({ id: cm.id, author: cm.author, at: cm.at, text: cm.text }));
        }
        break;
      case 'edited': {
        const edited = b.edited;
        if (edited === undefined) break;
        const keys = (Object.keys(edited) as StampedField[]).filter((k) => edited[k] !== undefined).sort();
        if (keys.length === 0) break;
        const sorted: Record<string, string> = {};
        for (const k of keys) sorted[k] = edited[k]!;
        out.edited = sorted;
        break;
      }
      default:
        if (b[key] !== undefined) out[key] = b[key];
    }
  }
  return toCanonicalYaml(out);
}
