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
import { causalWinner, checkCausal, mergedCausal, type Causal } from './merge/causal.js';
import { idProblem } from './names.js';
import { Checker, fileError, idFromFileName, summary, type FieldSpecs, type Problem, type Rule, type ValueCheck } from './validate.js';

export type { ValueCheck } from './validate.js';

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

export interface RecordSchema<T = never> {
  /** What one entity is called in messages ("convoy"). */
  what: string;
  dir: string;
  /** In file order; `id` first. `edited`, `seen` and `writes` (merge/causal.ts) are added after them. */
  fields: readonly FieldSpec[];
  /**
   * Whether two files added under one id on two branches are one entity (merged) or two (the incoming
   * one renamed). Default: the same `created_at`.
   */
  sameIdentity?: (a: T, b: T) => boolean;
}

type Fields = Record<string, unknown>;

/** The checking rule of a table field (validate.ts). Every id becomes a file name: one rule for all kinds (names.ts). */
function ruleOf(spec: FieldSpec): Rule {
  const f = spec.field;
  switch (f.type) {
    case 'text':
      if (spec.name !== 'id') return { type: 'string', pattern: f.pattern, hint: f.hint, check: f.check };
      return { type: 'string', pattern: f.pattern, hint: f.hint, check: (v) => f.check?.(v) ?? idProblem(v) };
    case 'enum':
      return { type: 'enum', values: f.values };
    case 'time':
      return { type: 'time' };
    case 'set':
      return { type: 'list', of: { type: 'string', pattern: f.pattern, check: f.check } };
  }
}

export interface RecordKind<T extends { id: string }> extends EntityKind<T> {
  readonly schema: RecordSchema<T>;
  /** Every problem of a value (a parsed file or one built in code), with the key path it is at. */
  problems(value: unknown): Problem[];
  /** Checks a value built in code (user input already parsed); throws UsageError naming the field. */
  validate(value: T): T;
  /** `after` with edit times stamped on every stamped field that differs from `before`. */
  touch(before: T | undefined, after: T, now: string): T;
}

/** `check`: what gt doctor and gt check find wrong with these records beyond their files (dangling references). */
export function defineRecordKind<T extends { id: string }>(schema: RecordSchema<T>, extra: Pick<EntityKind<T>, 'check'> = {}): RecordKind<T> {
  const stamped = new Set(schema.fields.filter((f) => f.merge === 'stamped').map((f) => f.name));
  // A `max` field only grows and a `fixed` one never changes: neither can bring back old state.
  const causalFields = schema.fields.filter((f) => f.merge !== 'max' && f.merge !== 'fixed').map((f) => f.name);

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
    if (value.seen !== undefined) out.seen = value.seen;
    if (value.writes !== undefined) out.writes = value.writes;
    return out;
  };

  const stampedNames = [...stamped].sort();
  const specs: FieldSpecs = {
    ...Object.fromEntries(schema.fields.map((spec) => [spec.name, { rule: ruleOf(spec), required: spec.required }])),
    edited: {
      rule: {
        type: 'dict',
        key: (k) => (stamped.has(k) ? undefined : `'${k}' is not a stamped field (${stampedNames.join(', ')})`),
        of: { type: 'time' },
      },
    },
  };

  /** Every problem of a value, with the key path it is at. */
  const problemsOf = (value: unknown): Problem[] => {
    const c = new Checker({ nullIsUnset: true });
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // `seen` and `writes` are checked together: each write must be one `seen` covers.
      const { seen, writes, ...fields } = value as Fields;
      c.record(fields, [], specs, `a ${schema.what} file`);
      checkCausal(c, seen, writes, causalFields);
    } else {
      c.record(value, [], specs, `a ${schema.what} file`);
    }
    return c.problems;
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
      const winner = spec.merge === 'max' || spec.merge === 'fixed' ? undefined : causalWinner(o as Causal, t as Causal, name);
      if (winner !== undefined) {
        // That side saw the other's value and changed it: its value, with its edit stamp.
        const side = winner === 'ours' ? o : t;
        out[name] = side[name];
        const stamp = ((side.edited ?? {}) as Record<string, string>)[name];
        if (stamp !== undefined) edited[name] = stamp;
        else delete edited[name];
        continue;
      }
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
    Object.assign(out, mergedCausal(o as Causal, t as Causal, causalFields));
    return { value: normalize(out) as unknown as T, notes };
  };

  return {
    ...extra,
    schema,
    dir: schema.dir,
    causalFields,
    idOf: (value) => value.id,
    problems: problemsOf,
    decode(text, path) {
      const parsed = parseLedgerYaml(text, path);
      const problems = problemsOf(parsed.value);
      if (problems.length > 0) throw fileError(path, parsed.lineOf, problems);
      const value = normalize(parsed.value as Fields) as unknown as T;
      const expected = idFromFileName(path);
      if (expected !== undefined && value.id !== expected) {
        throw new LedgerFileError(path, parsed.lineOf(['id']), `id '${value.id}' does not match the file name (expected '${expected}')`);
      }
      return value;
    },
    encode(value) {
      const problems = problemsOf(value);
      if (problems.length > 0) throw new UsageError(`cannot write ${schema.what} ${value.id}: ${summary(problems)}`);
      return toCanonicalYaml(normalize(value as unknown as Fields));
    },
    validate(value) {
      const problems = problemsOf(normalize(value as unknown as Fields));
      if (problems.length > 0) throw new UsageError(`invalid ${schema.what}: ${summary(problems)}`);
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
    sameIdentity: schema.sameIdentity ?? ((a, b) => canonicalJson((a as unknown as Fields).created_at) === canonicalJson((b as unknown as Fields).created_at)),
    renameId: (value, from, to) => ({ ...value, id: value.id === from ? to : value.id }),
  };
}
