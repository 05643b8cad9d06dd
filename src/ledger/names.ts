/**
 * Names that become paths or refs: the one rule for each, checked wherever a name enters gt.
 *
 * - An **id** (of a bead, convoy, molecule, wisp, mail, agent record) becomes a file name,
 *   `<dir>/<id>.yaml` on the ledger or `.git/gt/wisps/<id>.yaml` on disk; a formula name becomes
 *   `<name>.formula.toml`. Such a name must be one plain path segment.
 * - An **agent name** becomes the branch `refs/heads/gt/agents/<name>` (and the file
 *   `agents/<name>.yaml`). It must be an id, fit gt's agent name pattern, and the full ref must be
 *   well formed by git's own rules (`git check-ref-format`), checked by is-git-ref-name-valid (the
 *   check isomorphic-git ships too).
 * - A **prefix** starts every generated id.
 *
 * Every refusal is a UsageError (exit 2) whose message says what is wrong in one line, the name shown
 * with control characters escaped, and whose hint says what a valid name looks like.
 */
import isGitRefNameValid from 'is-git-ref-name-valid';
import { UsageError } from '../errors.js';
import { PREFIX_PATTERN } from './config.js';

export const AGENT_REF_PREFIX = 'refs/heads/gt/agents/';

/** Lowercase letters, digits, `.`, `_`, `-`; starting with a letter or digit; at most 63 characters. */
export const AGENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** File names are at most 255 bytes on common file systems; `.yaml` and temporary-file decorations need room. */
export const MAX_ID_BYTES = 200;

const AGENT_NAME_HINT =
  "an agent name is 1 to 63 lowercase letters, digits, '.', '-' or '_', starting with a letter or digit, not ending in '.' or '.lock' and without '..', e.g. alice or polecat-1";
const ID_HINT = `an id is one path segment: no '/', '\\', '..', spaces or control characters, not '.', '..' or '.git', at most ${MAX_ID_BYTES} bytes`;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_GLOBAL = new RegExp(CONTROL.source, 'g');
const WHITESPACE = /\s/u;

/** A name as error messages show it: quoted, control characters escaped, long names cut, so a message stays one line. */
export function shownName(raw: string): string {
  return `'${escapedName(raw)}'`;
}

/** shownName without the quotes. */
export function escapedName(raw: string): string {
  const cut = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
  return cut.replace(/\\/g, '\\\\').replace(CONTROL_GLOBAL, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** What makes `id` unfit to be one path segment, or undefined when it is fit. */
export function idProblem(id: string): string | undefined {
  if (id === '') return 'it is empty';
  if (id === '.' || id === '..') return `'${id}' names a directory, not a file`;
  if (id.toLowerCase() === '.git') return "'.git' is reserved by git";
  if (id.includes('\u0000')) return 'it holds a NUL character';
  if (CONTROL.test(id)) return 'it holds a control character';
  if (WHITESPACE.test(id)) return 'it holds whitespace';
  if (id.includes('/') || id.includes('\\')) return "it holds '/' or '\\', which would make it a path";
  if (id.includes('..')) return "it holds '..'";
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) return `it is ${bytes} bytes long; at most ${MAX_ID_BYTES} are allowed`;
  return undefined;
}

export function isValidId(id: string): boolean {
  return idProblem(id) === undefined;
}

/** `id` unchanged, or a UsageError saying what is wrong with it (`what`: "id", "bead id", "formula name"…). */
export function checkId(id: string, what = 'id'): string {
  const problem = idProblem(id);
  if (problem !== undefined) throw new UsageError(`invalid ${what} ${shownName(id)}: ${problem}`, ID_HINT);
  return id;
}

/** Whether git accepts `ref` as a full ref name (`git check-ref-format`). */
export function isWellFormedRef(ref: string): boolean {
  return isGitRefNameValid(ref);
}

/** What makes `name` unfit to be an agent name, or undefined when it is fit. */
export function agentNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (CONTROL.test(name)) return 'it holds a control character';
  if (WHITESPACE.test(name)) return 'it holds whitespace';
  if (name.length > 63) return `it is ${name.length} characters long; at most 63 are allowed`;
  if (/[A-Z]/.test(name)) return 'it holds uppercase letters (use lowercase)';
  if (!/^[a-z0-9]/.test(name)) return 'it must start with a lowercase letter or a digit';
  const bad = /[^a-z0-9._-]/.exec(name);
  if (bad) return `it holds '${bad[0]}', which agent names cannot hold`;
  if (!AGENT_NAME_PATTERN.test(name)) return 'it is not a valid agent name';
  if (!isWellFormedRef(`${AGENT_REF_PREFIX}${name}`)) {
    if (name.includes('..')) return "it holds '..', which git refuses in branch names";
    if (name.endsWith('.lock')) return "it ends in '.lock', which git refuses in branch names";
    if (name.endsWith('.')) return "it ends in '.', which git refuses in branch names";
    return `git refuses ${AGENT_REF_PREFIX}${name} as a branch name`;
  }
  return idProblem(name);
}

export function isAgentName(name: string): boolean {
  return agentNameProblem(name) === undefined;
}

/** `name` unchanged, or a UsageError saying what is wrong with it (`what`: "agent name", "address"…). */
export function checkAgentName(name: string, what = 'agent name'): string {
  const problem = agentNameProblem(name);
  if (problem !== undefined) throw new UsageError(`invalid ${what} ${shownName(name)}: ${problem}`, AGENT_NAME_HINT);
  return name;
}

/** The agent's branch, `refs/heads/gt/agents/<name>`; refuses a name git would not take as a branch. */
export function checkedAgentRef(name: string): string {
  const ref = `${AGENT_REF_PREFIX}${name}`;
  if (!isWellFormedRef(ref)) throw new UsageError(`invalid agent name ${shownName(name)}: git refuses ${shownName(ref)} as a branch name`, AGENT_NAME_HINT);
  return ref;
}

export function prefixProblem(prefix: string): string | undefined {
  return PREFIX_PATTERN.test(prefix) ? undefined : 'a prefix is 2 to 8 lowercase letters';
}

/** `prefix` unchanged, or a UsageError. */
export function checkPrefix(prefix: string): string {
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw new UsageError(`invalid prefix ${shownName(prefix)}: ${problem}`, 'e.g. --prefix web');
  return prefix;
}
