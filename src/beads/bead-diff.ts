import { BEAD_KEY_ORDER, type Bead } from './bead.js';

/** Bookkeeping fields that change with every edit and say nothing on their own. */
const BOOKKEEPING = new Set<keyof Bead>(['updated_at', 'edited', 'seen', 'writes']);

/** Names of the fields that differ between two versions of a bead (all of them for a new bead). */
export function changedFields(before: Bead | undefined, after: Bead): string[] {
  return BEAD_KEY_ORDER.filter(
    (key) => !BOOKKEEPING.has(key) && (before === undefined ? after[key] !== undefined : JSON.stringify(before[key]) !== JSON.stringify(after[key])),
  ).filter((key) => !(before === undefined && Array.isArray(after[key]) && (after[key] as unknown[]).length === 0));
}
