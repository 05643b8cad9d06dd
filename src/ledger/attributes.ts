/**
 * The ledger branch's `.gitattributes`: it sends ledger files to gt's merge driver, so native git
 * merges of ledger branches (in a checkout of gt/ledger, a clone, a pull request) merge field by field,
 * and to gt's diff driver, so `git diff` and `git log -p` name the bead in each hunk header. Both
 * drivers are registered per repository (git/merge-driver-config.ts). A ledger written by an older gt
 * gets this text in a commit of its own from gt init or gt doctor --fix (writeLedgerAttributes).
 */
import { LEDGER_REF } from './layout.js';
import { hashObject } from '../git/object-format.js';
import type { Ledger } from './ledger.js';

export const ATTRIBUTES_PATH = '.gitattributes';
export const LEDGER_ATTRIBUTES = [
  '# Ledger files merge field by field through gt (merge.gt.driver, registered by gt init or gt doctor --fix),',
  '# so git merge, pull and rebase of ledger branches never leave conflict markers in them; their diffs',
  "# name the entity and its title in each hunk header (diff.gt.xfuncname).",
  '*.yaml merge=gt diff=gt',
  '',
].join('\n');

/** Whether the ledger tip's `.gitattributes` is what gt writes. */
export async function ledgerAttributesCurrent(ledger: Ledger, tip: string): Promise<boolean> {
  return (await ledger.snapshot(tip)).files.get(ATTRIBUTES_PATH) === ATTRIBUTES_BLOB;
}

const ATTRIBUTES_BLOB = hashObject('blob', Buffer.from(LEDGER_ATTRIBUTES, 'utf8'));

/**
 * Writes `.gitattributes` at the ledger tip in a commit of its own when it is missing or different;
 * returns whether it did. Runs under the caller's write lock.
 */
export async function writeLedgerAttributes(ledger: Ledger, tip: string): Promise<boolean> {
  if (await ledgerAttributesCurrent(ledger, tip)) return false;
  const snapshot = await ledger.snapshot(tip);
  const tree = await ledger.cache.writeTree(snapshot.tree, new Map([[ATTRIBUTES_PATH, { text: LEDGER_ATTRIBUTES, value: null }]]));
  const when = new Date(ledger.now());
  const message = `ledger: ${ATTRIBUTES_PATH} sends ledger files to gt's merge and diff drivers`;
  const commit = ledger.commitTree(tree, [tip], message, when);
  ledger.updateRef(LEDGER_REF, tip, commit, message, when);
  return true;
}
