/**
 * Registering gt's merge driver in the repository's git config (`merge.gt.driver`), which the
 * ledger branch's `.gitattributes` (`*.yaml merge=gt`) points ledger files at.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGit, shellQuote } from './git-command.js';

export const MERGE_DRIVER_NAME = 'gt';

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

/**
 * The line git names in a hunk header (`@@ -4,7 +4,7 @@ title: Fix login bug`) for ledger files, which
 * the ledger's `.gitattributes` sends to the `gt` diff driver: the nearest entity id, title (beads,
 * convoys, molecules) or subject (mail) above the hunk. Only top-level keys match, so a comment's or a
 * step's own `- id:` never hides the title.
 */
export const DIFF_XFUNCNAME = '^((id|title|subject): .*)$';

const BLOCK_START = '# >>> gt: ledger files name their entity in diff hunk headers (diff.gt.xfuncname)';
const BLOCK_END = '# <<< gt';

/**
 * The lines of `info/attributes` that send ledger files to the diff driver. git takes attributes from
 * the checkout, not from the commits it compares, so the ledger branch's own `.gitattributes` counts
 * only in a checkout of it; these make `git diff gt/ledger~1 gt/ledger` and `git log -p gt/ledger` name
 * the bead from any branch. Only `diff=` is set here: a code folder that happens to share a ledger
 * folder's name gets hunk headers naming `id:`/`title:` lines, nothing else (never gt's merge driver).
 */
export function infoAttributesBlock(dirs: readonly string[]): string {
  return [BLOCK_START, ...dirs.map((dir) => `/${dir}/**/*.yaml diff=${MERGE_DRIVER_NAME}`), BLOCK_END, ''].join('\n');
}

function infoAttributesPath(commonDir: string): string {
  return join(commonDir, 'info', 'attributes');
}

/** Whether the repository's info/attributes holds exactly gt's block for `dirs`. */
export function infoAttributesCurrent(commonDir: string, dirs: readonly string[]): boolean {
  const path = infoAttributesPath(commonDir);
  return existsSync(path) && readFileSync(path, 'utf8').includes(infoAttributesBlock(dirs));
}

/** Writes (or replaces) gt's block in info/attributes, keeping every other line; true when it changed the file. */
export function writeInfoAttributes(commonDir: string, dirs: readonly string[]): boolean {
  if (infoAttributesCurrent(commonDir, dirs)) return false;
  const path = infoAttributesPath(commonDir);
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const start = old.indexOf(BLOCK_START);
  const end = start < 0 ? -1 : old.indexOf(`${BLOCK_END}\n`, start);
  const kept = start < 0 ? old : `${old.slice(0, start)}${end < 0 ? '' : old.slice(end + BLOCK_END.length + 1)}`;
  const text = `${kept}${kept === '' || kept.endsWith('\n') ? '' : '\n'}${infoAttributesBlock(dirs)}`;
  mkdirSync(join(commonDir, 'info'), { recursive: true });
  const temp = `${path}.gt-${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
  return true;
}

/** The registered hunk-header pattern of gt's diff driver, if any. */
export function registeredDiffDriver(cwd: string): string | undefined {
  try {
    const value = runGit(cwd, ['config', '--get', `diff.${MERGE_DRIVER_NAME}.xfuncname`], { quiet: true }).trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Sets gt's diff driver in the repository's config; true when it changed anything. */
export function registerDiffDriver(cwd: string): boolean {
  if (registeredDiffDriver(cwd) === DIFF_XFUNCNAME) return false;
  runGit(cwd, ['config', `diff.${MERGE_DRIVER_NAME}.xfuncname`, DIFF_XFUNCNAME]);
  return true;
}
