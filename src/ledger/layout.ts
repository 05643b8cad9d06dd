/** Where things live on the ledger branch and in the repository. */
import { AGENT_REF_PREFIX, checkId, checkedAgentRef } from './names.js';

export { AGENT_NAME_PATTERN, AGENT_REF_PREFIX } from './names.js';

export const LEDGER_REF = 'refs/heads/gt/ledger';
export const LEDGER_BRANCH = 'gt/ledger';
export const CONFIG_PATH = 'gt.yaml';
export const OVERSEER = 'overseer';

/** The agent's branch; a name git would not take as a branch is refused (names.ts), never written. */
export function agentRef(agent: string): string {
  return checkedAgentRef(agent);
}

export function agentFromRef(ref: string): string | undefined {
  return ref.startsWith(AGENT_REF_PREFIX) ? ref.slice(AGENT_REF_PREFIX.length) : undefined;
}

/** The directory of a path on the ledger ('' for files at the root). */
export function dirOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The file of an entity; an id that is not one plain path segment is refused (names.ts), never written. */
export function entityPath(dir: string, id: string): string {
  return `${dir}/${checkId(id)}.yaml`;
}

/**
 * The id an entity file holds, from its name; undefined for files that are not entity files. Only
 * `<dir>/<id>.yaml` is one: a README, an `x.yml`, a file in a subfolder or at the root is not, and
 * every command and the observer skip it (gt doctor names it).
 */
export function idFromPath(path: string): string | undefined {
  const match = /^[^/]+\/([^/]+)\.yaml$/.exec(path);
  return match?.[1];
}
