import type { MergeNote } from '../entity-kind.js';

/**
 * One line per value a merge did not keep, for the merge commit and the CLI alike. The rule that chose
 * (latest edit, status precedence, priority) is the field's; the line only says what won and what lost.
 */
export function describeMergeNote(note: MergeNote): string {
  if (note.field === 'id') return `${note.superseded} collided with another entity's id: the incoming one is now ${note.kept}`;
  return `${note.id} ${note.field}: kept ${JSON.stringify(note.kept)} over ${JSON.stringify(note.superseded)}`;
}

/**
 * A commit message with a merge's notes added as body lines, one per note: what `gt merge` writes in
 * its merge commit, and what a replayed commit carries for the values its replay superseded.
 */
export function withMergeNotes(message: string, notes: readonly MergeNote[]): string {
  if (notes.length === 0) return message;
  const body = notes.map(describeMergeNote).join('\n');
  const trimmed = message.replace(/\n+$/, '');
  return trimmed.includes('\n') ? `${trimmed}\n${body}\n` : `${trimmed}\n\n${body}\n`;
}
