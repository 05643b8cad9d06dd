/**
 * git's merge driver for ledger files (`gt merge-driver`, registered as `merge.gt.driver`): when a
 * native `git merge`, `git pull` or `git rebase` of ledger branches finds one file changed on both
 * sides, it gets the field-level merge `gt merge` gives, instead of conflict markers.
 */
import type { EntityKinds, MergeNote } from '../entity-kind.js';
import { decodeLedgerFile } from '../snapshot.js';
import { mergeBothChanged } from './tree-merge.js';
import { CONFIG_PATH, dirOf, idFromPath, logicalPath } from '../layout.js';

export type FileMergeOutcome = { merged: true; text: string; notes: MergeNote[] } | { merged: false; why: string };

/** Merges the three texts of one ledger file; `base` is null when both sides added the file. */
export function mergeLedgerFileTexts(kinds: EntityKinds, stored: string, base: string | null, ours: string, theirs: string): FileMergeOutcome {
  // git names the file where it is stored (`beads/3f/gt-1.yaml`); gt reads it by its logical path.
  const path = logicalPath(stored);
  const kind = path === CONFIG_PATH ? undefined : idFromPath(path) === undefined ? undefined : kinds.get(dirOf(path));
  if (path !== CONFIG_PATH && !kind) return { merged: false, why: `${path} is not a file gt reads (see gt doctor)` };
  const decode = (side: string, text: string): { value: unknown } | { why: string } => {
    const decoded = decodeLedgerFile(path, text, kinds);
    return 'value' in decoded ? { value: decoded.value } : { why: `${side} ${path} is unreadable${decoded.line !== undefined ? ` (line ${decoded.line})` : ''}: ${decoded.problem}` };
  };
  const o = decode('our', ours);
  if ('why' in o) return { merged: false, why: o.why };
  const t = decode('their', theirs);
  if ('why' in t) return { merged: false, why: t.why };
  let baseValue: unknown;
  if (base !== null && base !== '') {
    const b = decode('the base', base);
    // An unreadable base is no common ancestor: both sides count as new, and the field merge still holds.
    baseValue = 'value' in b ? b.value : undefined;
  } else if (kind && !kind.sameIdentity(o.value, t.value)) {
    return { merged: false, why: `both sides created a different ${path}: run gt merge instead, which keeps both (the incoming one under a new id)` };
  }
  const merged = mergeBothChanged(kinds, path, baseValue, o.value, t.value);
  if (!merged) return { merged: false, why: `${path} is not a file gt reads (see gt doctor)` };
  return { merged: true, text: merged.value === o.value ? ours : merged.encode(), notes: merged.notes };
}
