/**
 * Entity kinds described by a field table instead of hand-written code: convoys, agents and mail.
 * One table gives validation (at the edge: files read from the ledger), the canonical file layout and
 * the three-way field merge, with the same guarantees as beads: every rule is order-independent, so
 * merging agent branches in any order gives the same file.
 */
import { LedgerFileError, UsageError } from '../errors.js';
import { parseLedgerYaml, toCanonicalYaml } from './canonical-yaml.js';
import type { EntityKind, MergeNote } from './entity-kind.js';
import { canonicalJson, mergeSets } from './merge/set-merge.js';
import { idProblem, shownName } from './names.js';

/** `check` says what is wrong with a value (see names.ts), or undefined when it is fine. */
export type ValueCheck = (value: string) => string | undefined;

export type FieldType =
  | { type: 'text'; pattern?: RegExp; check?: ValueCheck; hint?: string }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'time' }
  | { type: 'set'; pattern?: RegExp; check?: ValueCheck };

/**
 * How a field merges when both sides changed it: `stamped` by its latest edit time (kept in `edited`),
 * `set` element by element, `rank` by the later value in `values`, `max` by the greater value,
 * `fixed` never changes after creation.
 */
export type MergeRule = 'stamped' | 'set' | 'rank' | 'max' | 'fixed';

export interface FieldSpec {
  name: string;
  field: FieldType;
  required?: boolean;
  merge: MergeRule;
}

export interface RecordSchema {
  /** What one entity is called in messages ("convoy"). */
  what: string;
  dir: string;
  /** In file order; `id` first. `edited` is added after them. */
  fields: readonly FieldSpec[];
}

type Fields = Record<string, unknown>;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function fileId(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.endsWith('.yaml') && name.length > 5 ? name.slice(0, -5) : undefined;
}

/** Why a value does not fit its field, or undefined when it does. */
function fieldProblem(spec: FieldSpec, value: unknown): string | undefined {
  const f = spec.field;
  switch (f.type) {
    case 'text':
      if (typeof value !== 'string') return `${spec.name} must be a string`;
      if (f.pattern && !f.pattern.test(value)) return `${spec.name} ${shownName(value)} is not valid${f.hint ? ` (${f.hint})` : ''}`;
      if (f.check) {
        const problem = f.check(value);
        if (problem !== undefined) return `${spec.name} ${shownName(value)} is not valid: ${problem}`;
      }
      // Every id becomes a file name: one rule for all kinds (names.ts).
      if (spec.name === 'id') {
        const problem = idProblem(value);
        if (problem !== undefined) return `id ${shownName(value)} is not valid: ${problem}`;
      }
      return undefined;
    case 'enum':
      return typeof value === 'string' && f.values.includes(value) ? undefined : `${spec.name} must be one of ${f.values.join(', ')}, not '${String(value)}'`;
    case 'time':
      return typeof value === 'string' && ISO_TIME.test(value) ? undefined : `${spec.name} must be an ISO time like 2026-01-31T12:00:00.000Z`;
    case 'set':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return `${spec.name} must be a list of strings`;
      if (f.pattern) {
        const bad = (value as string[]).find((v) => !f.pattern!.test(v));
        if (bad !== undefined) return `${spec.name} holds an invalid entry ${shownName(bad)}`;
      }
      if (f.check) {
        for (const v of value as string[]) {
          const problem = f.check(v);
          if (problem !== undefined) return `${spec.name} holds an invalid entry ${shownName(v)}: ${problem}`;
        }
      }
      return undefined;
  }
}

export interface RecordKind<T extends { id: string }> extends EntityKind<T> {
  readonly schema: RecordSchema;
  /** Checks a value built in code (user input already parsed); throws UsageError naming the field. */
  validate(value: T): T;
  /** `after` with edit times stamped on every stamped field that differs from `before`. */
  touch(before: T | undefined, after: T, now: string): T;
}

export function defineRecordKind<T extends { id: string }>(schema: RecordSchema): RecordKind<T> {
  const known = new Set([...schema.fields.map((f) => f.name), 'edited']);
  const stamped = new Set(schema.fields.filter((f) => f.merge === 'stamped').map((f) => f.name));

  /** Sorted, de-duplicated sets; empty sets and unset fields left out. */
  const normalize = (value: Fields): Fields => {
    const out: Fields = {};
    for (const spec of schema.fields) {
      const v = value[spec.name];
      if (v === undefined || v === null) continue;
      if (spec.field.type === 'set') {
        const set = [...new Set(v as string[])].sort();
        if (set.length > 0) out[spec.name] = set;
      } else {
        out[spec.name] = v;
      }
    }
    const edited = value.edited as Record<string, string> | undefined;
    if (edited) {
      const keys = Object.keys(edited).filter((k) => stamped.has(k) && edited[k] !== undefined).sort();
      if (keys.length > 0) out.edited = Object.fromEntries(keys.map((k) => [k, edited[k]]));
    }
    return out;
  };

  /** The first problem of a value, with the key it is at. */
  const problemOf = (value: unknown): { key: string; message: string } | undefined => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { key: 'id', message: `a ${schema.what} file must be a mapping of fields` };
    const fields = value as Fields;
    for (const key of Object.keys(fields)) if (!known.has(key)) return { key, message: `unknown field '${key}'` };
    for (const spec of schema.fields) {
      const v = fields[spec.name];
      if (v === undefined || v === null) {
        if (spec.required) return { key: spec.name, message: `${spec.name} is missing` };
        continue;
      }
      const problem = fieldProblem(spec, v);
      if (problem) return { key: spec.name, message: problem };
    }
    const edited = fields.edited;
    if (edited !== undefined) {
      if (edited === null || typeof edited !== 'object' || Array.isArray(edited)) return { key: 'edited', message: 'edited must be a mapping of field to time' };
      for (const [k, t] of Object.entries(edited)) {
        if (!stamped.has(k) || typeof t !== 'string' || !ISO_TIME.test(t)) return { key: 'edited', message: `edited.${k} is not a stamped field with an ISO time` };
      }
    }
    return undefined;
  };

  const merge = (base: T | undefined, ours: T, theirs: T): { value: T; notes: MergeNote[] } => {
    const b = base as Fields | undefined;
    const o = ours as unknown as Fields;
    const t = theirs as unknown as Fields;
    const notes: MergeNote[] = [];
    const out: Fields = {};
    const oursEdited = (o.edited ?? {}) as Record<string, string>;
    const theirsEdited = (t.edited ?? {}) as Record<string, string>;
    const edited: Record<string, string> = { ...oursEdited };
    for (const [k, v] of Object.entries(theirsEdited)) if (!edited[k] || v > edited[k]!) edited[k] = v;
    for (const spec of schema.fields) {
      const name = spec.name;
      const [bv, ov, tv] = [b?.[name], o[name], t[name]];
      if (spec.merge === 'set') {
        out[name] = mergeSets(b ? ((bv as string[] | undefined) ?? []) : undefined, (ov as string[] | undefined) ?? [], (tv as string[] | undefined) ?? [], (x) => x);
        continue;
      }
      const [bj, oj, tj] = [canonicalJson(bv), canonicalJson(ov), canonicalJson(tv)];
      if (oj === tj || (b && tj === bj)) {
        out[name] = ov;
        continue;
      }
      if (b && oj === bj) {
        out[name] = tv;
        continue;
      }
      // Both sides changed the field: a rule that does not care which side is which.
      let kept: unknown;
      switch (spec.merge) {
        case 'fixed':
          kept = oj >= tj ? ov : tv;
          break;
        case 'max':
          kept = oj >= tj ? ov : tv;
          break;
        case 'rank': {
          const values = (spec.field as { values: readonly string[] }).values;
          const [or, tr] = [values.indexOf(ov as string), values.indexOf(tv as string)];
          kept = or > tr || (or === tr && oj >= tj) ? ov : tv;
          break;
        }
        case 'stamped': {
          const [os, ts] = [oursEdited[name] ?? '', theirsEdited[name] ?? ''];
          kept = os > ts || (os === ts && oj >= tj) ? ov : tv;
          break;
        }
      }
      out[name] = kept;
      if (spec.merge !== 'max') notes.push({ id: ours.id, field: name, kept, superseded: kept === ov ? tv : ov });
    }
    out.edited = edited;
    return { value: normalize(out) as unknown as T, notes };
  };

  return {
    schema,
    dir: schema.dir,
    idOf: (value) => value.id,
    decode(text, path) {
      const parsed = parseLedgerYaml(text, path);
      const problem = problemOf(parsed.value);
      if (problem) throw new LedgerFileError(path, parsed.lineOf([problem.key]), problem.message);
      const value = normalize(parsed.value as Fields) as unknown as T;
      const expected = fileId(path);
      if (expected !== undefined && value.id !== expected) {
        throw new LedgerFileError(path, parsed.lineOf(['id']), `id '${value.id}' does not match the file name (expected '${expected}')`);
      }
      return value;
    },
    encode(value) {
      const problem = problemOf(value);
      if (problem) throw new UsageError(`cannot write ${schema.what} ${value.id}: ${problem.message}`);
      return toCanonicalYaml(normalize(value as unknown as Fields));
    },
    validate(value) {
      const problem = problemOf(normalize(value as unknown as Fields));
      if (problem) throw new UsageError(`invalid ${schema.what}: ${problem.message}`);
      return normalize(value as unknown as Fields) as unknown as T;
    },
    touch(before, after, now) {
      if (!before) return after;
      const edited = { ...((after as unknown as Fields).edited as Record<string, string> | undefined) };
      const b = before as unknown as Fields;
      const a = after as unknown as Fields;
      for (const name of stamped) if (canonicalJson(b[name]) !== canonicalJson(a[name])) edited[name] = now;
      return normalize({ ...a, edited }) as unknown as T;
    },
    merge,
    sameIdentity: (a, b) => canonicalJson((a as unknown as Fields).created_at) === canonicalJson((b as unknown as Fields).created_at),
    renameId: (value, from, to) => ({ ...value, id: value.id === from ? to : value.id }),
  };
}
