/**
 * The settings gt knows: each key's type, default and meaning. The ledger stores settings generically
 * (src/ledger/settings-store.ts); this module says which keys exist and what their values may be, for
 * values typed on the command line, read from the environment, the local file or gt.yaml alike.
 */
import type { SettingValue } from '../ledger/config.js';
import { agentNameProblem, isWellFormedRef, shownName } from '../ledger/names.js';
import { closestIds } from '../ledger/closest-ids.js';
import { parseDuration } from '../molecules/duration.js';
import { UsageError } from '../errors.js';

export type SettingType =
  /** Free text on one line (a command). */
  | { kind: 'string' }
  | { kind: 'int'; min: number }
  /** `30s`, `5m`, `2h`, `1d`, or sums like `1h30m`: stored as text, read as milliseconds. */
  | { kind: 'duration' }
  /** A list of agent names (names.ts), stored as a YAML list; typed as `a,b,c`. */
  | { kind: 'names' }
  | { kind: 'enum'; values: readonly string[] }
  /** A branch name git accepts (`refs/heads/<name>` well formed). */
  | { kind: 'branch' }
  /** A list of full ref names where `*` stands for any run of characters (`refs/remotes/*`); typed as `a,b`. */
  | { kind: 'ref-patterns' };

export interface SettingSpec {
  key: string;
  type: SettingType;
  /** Undefined: the key has no value until one is set. */
  default?: SettingValue;
  description: string;
}

/** The default pool of polecat names. */
export const DEFAULT_POLECAT_NAMES: readonly string[] = ['nux', 'furiosa', 'slit', 'rictus', 'dag', 'toast', 'capable', 'cheedo', 'ace', 'morsov'];

/** Every known key, in the order `gt config list` shows them. */
export const SETTINGS: readonly SettingSpec[] = [
  { key: 'runtime.command', type: { kind: 'string' }, description: 'the command that runs an agent session, e.g. `claude -p`' },
  { key: 'polecats.max', type: { kind: 'int', min: 1 }, default: 4, description: 'at most this many polecat sessions at once' },
  { key: 'polecats.names', type: { kind: 'names' }, default: [...DEFAULT_POLECAT_NAMES], description: 'the pool of polecat names, taken in order' },
  { key: 'polecats.idle_exit', type: { kind: 'duration' }, default: '5m', description: 'a polecat loop with nothing on its hook for this long exits (the polecat goes idle)' },
  { key: 'polecats.backoff', type: { kind: 'duration' }, default: '2s', description: 'the wait before a polecat loop restarts a session that made no progress; doubles each time, at most 1m' },
  { key: 'witness.stall_after', type: { kind: 'duration' }, default: '5m', description: 'a session with no sign of activity for this long is stalled' },
  { key: 'witness.max_restarts', type: { kind: 'int', min: 0 }, default: 3, description: 'restarts without progress before an agent is marked stuck' },
  {
    key: 'observer.branches',
    type: { kind: 'ref-patterns' },
    default: ['refs/heads/*', 'refs/remotes/*'],
    description: "ref patterns of the code branches whose new commits the observer records on the beads they name (`Closes: gt-abc`): local and remote-tracking branches (fetched by git fetch or pull); `refs/heads/*` alone ignores fetched commits. gt's own branches never count",
  },
  { key: 'refinery.target', type: { kind: 'branch' }, description: 'the branch the refinery merges finished work onto, e.g. main' },
  { key: 'refinery.strategy', type: { kind: 'enum', values: ['merge', 'rebase'] }, default: 'merge', description: 'how the refinery brings a branch onto the target: merge or rebase' },
  { key: 'refinery.test_command', type: { kind: 'string' }, description: 'the command the refinery runs before moving the target, e.g. `npm test`' },
  { key: 'refinery.test_timeout', type: { kind: 'duration' }, default: '10m', description: 'the refinery stops the tests after this long and refuses the merge' },
  { key: 'refinery.max_attempts', type: { kind: 'int', min: 1 }, default: 3, description: 'failed or conflicting merges of one bead before the overseer gets an escalation mail' },
  { key: 'refinery.batch_max', type: { kind: 'int', min: 1 }, default: 8, description: 'at most this many queued requests tested together in one merge (1: one by one)' },
  { key: 'refinery.remote', type: { kind: 'string' }, description: 'the remote the refinery pushes the target to (none: the target moves locally)' },
];

export const SETTING_KEYS: readonly string[] = SETTINGS.map((s) => s.key);

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

/** The spec of `key`, or a UsageError naming the closest known key and listing them all. */
export function settingSpec(key: string): SettingSpec {
  const spec = BY_KEY.get(key.trim().toLowerCase());
  if (spec) return spec;
  const closest = closestIds(key.trim().toLowerCase(), SETTING_KEYS, 1)[0];
  throw new UsageError(`unknown setting ${shownName(key)}${closest ? ` (did you mean ${closest}?)` : ''}; known keys: ${SETTING_KEYS.join(', ')}`);
}

/** What a value of this type looks like, for messages. */
export function acceptedForm(type: SettingType): string {
  switch (type.kind) {
    case 'string':
      return 'a non-empty text on one line';
    case 'int':
      return `a whole number of at least ${type.min}`;
    case 'duration':
      return 'a duration such as 30s, 5m, 2h, 1h30m or 500ms';
    case 'names':
      return 'a comma-separated list of agent names, e.g. nux,slit';
    case 'enum':
      return `one of ${type.values.join(', ')}`;
    case 'branch':
      return 'a branch name, e.g. main';
    case 'ref-patterns':
      return 'a comma-separated list of ref patterns, e.g. refs/heads/*,refs/remotes/origin/*';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What is wrong with a stored value of `spec` (from gt.yaml, the local file or the command line), or undefined. */
export function settingValueProblem(spec: SettingSpec, value: SettingValue): string | undefined {
  const form = acceptedForm(spec.type);
  const bad = `${spec.key} takes ${form}, not ${Array.isArray(value) ? shownName(value.join(',')) : typeof value === 'number' ? value : shownName(value)}`;
  const type = spec.type;
  if (type.kind === 'int') return typeof value === 'number' && Number.isSafeInteger(value) && value >= type.min ? undefined : bad;
  if (type.kind === 'names') {
    if (!Array.isArray(value) || value.length === 0) return bad;
    for (const name of value) {
      const problem = agentNameProblem(name);
      if (problem !== undefined) return `${spec.key}: ${shownName(name)} is not an agent name: ${problem}`;
    }
    const dup = value.find((name, i) => value.indexOf(name) !== i);
    return dup === undefined ? undefined : `${spec.key}: ${shownName(dup)} is named twice`;
  }
  if (type.kind === 'ref-patterns') {
    if (!Array.isArray(value) || value.length === 0) return bad;
    for (const pattern of value) {
      const problem = refPatternProblem(pattern);
      if (problem !== undefined) return `${spec.key}: ${shownName(pattern)} is not a ref pattern: ${problem}`;
    }
    return undefined;
  }
  if (typeof value !== 'string') return bad;
  switch (type.kind) {
    case 'string':
      return value.trim() === '' || CONTROL.test(value) ? bad : undefined;
    case 'duration':
      return parseDuration(value) === undefined ? bad : undefined;
    case 'enum':
      return type.values.includes(value) ? undefined : bad;
    case 'branch':
      return value !== '' && !value.startsWith('refs/') && !value.startsWith('-') && isWellFormedRef(`refs/heads/${value}`) ? undefined : bad;
  }
}

/** What makes `pattern` unfit for a list of ref patterns, or undefined when it is fit. */
function refPatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('refs/')) return 'it must be a full ref name starting with refs/, e.g. refs/remotes/origin/*';
  // git has no rule for `*` in a name; anywhere else the pattern must be a name git accepts.
  if (!isWellFormedRef(pattern.replace(/\*/g, 'x'))) return 'git refuses it as a ref name';
  return undefined;
}

/** Whether full ref name `ref` matches `pattern` (each `*` any run of characters, `/` included). */
export function refPatternMatches(pattern: string, ref: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === ref;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (ref.length < first.length + last.length || !ref.startsWith(first) || !ref.endsWith(last)) return false;
  let at = first.length;
  const end = ref.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = ref.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** A value typed on the command line or in the environment, as it is stored; UsageError (exit 2) when it does not fit. */
export function parseSettingText(spec: SettingSpec, raw: string): SettingValue {
  let value: SettingValue;
  switch (spec.type.kind) {
    case 'int':
      value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(value)) throw new UsageError(`${spec.key} takes ${acceptedForm(spec.type)}, not ${shownName(raw)}`);
      break;
    case 'names':
    case 'ref-patterns':
      value = raw.split(/[\s,]+/).filter((n) => n !== '');
      break;
    case 'duration':
    case 'enum':
      value = raw.trim().toLowerCase();
      break;
    case 'branch':
      value = raw.trim();
      break;
    case 'string':
      value = raw;
      break;
  }
  const problem = settingValueProblem(spec, value);
  if (problem !== undefined) throw new UsageError(problem);
  return value;
}

/** A value as `gt config get` prints it: lists joined by commas. */
export function settingText(value: SettingValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** `polecats.idle_exit` → `GT_POLECATS_IDLE_EXIT`. */
export function envNameOf(key: string): string {
  return `GT_${key.toUpperCase().replace(/\./g, '_')}`;
}
