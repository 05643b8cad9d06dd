/** Option parsers shared by several commands. */

/** Collects a repeatable option (`-l a -l b,c`) into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--limit takes a whole number, not '${value}'`);
  return n;
}
