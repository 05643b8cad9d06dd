import fc from 'fast-check';

/** One edit of a text: a character inserted, deleted or replaced at a position (taken modulo the length). */
export type Edit = [kind: 'insert' | 'delete' | 'replace', at: number, text: string];

/** Edits that insert, delete or replace one of `pieces` anywhere. */
export function editsOf(pieces: readonly string[]): fc.Arbitrary<Edit[]> {
  const edit = fc.tuple(fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const), fc.nat(), fc.constantFrom(...pieces));
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

/** `text` with `edits` applied in turn: a damaged file, as a hand edit or a bad merge leaves one. */
export function damage(text: string, edits: readonly Edit[]): string {
  let damaged = text;
  for (const [kind, at, piece] of edits) {
    const i = at % (damaged.length + 1);
    if (kind === 'insert') damaged = damaged.slice(0, i) + piece + damaged.slice(i);
    else if (kind === 'delete') damaged = damaged.slice(0, i) + damaged.slice(i + 1);
    else damaged = damaged.slice(0, i) + piece + damaged.slice(i + 1);
  }
  return damaged;
}
