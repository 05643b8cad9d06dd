/** Words for counts, shared by every layer that writes text for people (commit subjects, mail, output). */

/** "1 bead", "2 beads", "0 beads"; `many` for irregular plurals ("entities"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
