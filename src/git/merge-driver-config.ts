/**
 * Registering gt's merge driver in the repository's git config (`merge.gt.driver`), which the
 * ledger branch's `.gitattributes` (`*.yaml merge=gt`) points ledger files at.
 */
import { runGit } from './git-command.js';

export const MERGE_DRIVER_NAME = 'gt';

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The driver command git runs: this node and this gt, with git's placeholders for the three versions and the path. */
export function mergeDriverCommand(nodePath: string, gtEntry: string): string {
  return `${shellQuote(nodePath)} ${shellQuote(gtEntry)} merge-driver %O %A %B %P`;
}

/** The registered driver command, if any. */
export function registeredMergeDriver(cwd: string): string | undefined {
  try {
    const value = runGit(cwd, ['config', '--get', `merge.${MERGE_DRIVER_NAME}.driver`], { quiet: true }).trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Sets the driver (and its description) in the repository's config; true when it changed anything. */
export function registerMergeDriver(cwd: string, command: string): boolean {
  if (registeredMergeDriver(cwd) === command) return false;
  runGit(cwd, ['config', `merge.${MERGE_DRIVER_NAME}.name`, 'gt: ledger files merged field by field']);
  runGit(cwd, ['config', `merge.${MERGE_DRIVER_NAME}.driver`, command]);
  return true;
}
