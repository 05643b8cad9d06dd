/**
 * Which beads a commit message names, and how. Pure: no git, no ledger.
 *
 * A line names beads when it starts with a keyword (case-insensitive), then a colon or spaces, then
 * one or more ids separated by commas or spaces (`and` / `&` allowed between them):
 *
 *   Closes: gt-4f2a            closing: Close, Closes, Closed, Fix, Fixes, Fixed, Resolve, Resolves, Resolved
 *   Refs gt-4f2a, gt-9e1c      referencing only: Ref, Refs, Gt-Bead
 *
 * An id in the middle of prose names nothing. The list ends at the first word that is not an id, so
 * `Fixes gt-4f2a by retrying` names gt-4f2a only.
 */

export const CLOSING_KEYWORDS = ['close', 'closes', 'closed', 'fix', 'fixes', 'fixed', 'resolve', 'resolves', 'resolved'] as const;
export const REFERENCING_KEYWORDS = ['ref', 'refs', 'gt-bead'] as const;

/** The trailer prepare-commit-msg adds for the agent's hooked work. */
export const BEAD_TRAILER = 'Gt-Bead';

export interface BeadReference {
  /** As written, lowercased: a full id or a unique prefix of one (`gt-4f` for gt-4f2a). */
  id: string;
  /** Named by a closing keyword on at least one line. */
  closes: boolean;
}

export interface ParseOptions {
  /** Only ids with this prefix (the ledger's, `gt` in gt-4f2a) count; others are skipped. Default: any. */
  prefix?: string;
  /** Lines starting with this are comments (a message file before git cleans it up), e.g. '#'. */
  commentChar?: string;
}

const KEYWORD_LINE = new RegExp(
  `^\\s*(?:[-*]\\s+)?(${[...CLOSING_KEYWORDS, ...REFERENCING_KEYWORDS].sort((a, b) => b.length - a.length).join('|')})(?:\\s*:\\s*|\\s+)(.*)$`,
  'i',
);
const ID_SHAPE = /^([a-z]{2,8})-([0-9a-z]+)$/;
const CONNECTIVES = new Set(['and', '&']);

/** The ids of one keyword line's rest, in order, until the first word that is not an id. */
function idsOf(rest: string, prefix: string | undefined): string[] {
  const ids: string[] = [];
  let seenId = false;
  for (const raw of rest.split(/[\s,;]+/)) {
    if (raw === '') continue;
    const word = raw.toLowerCase().replace(/^[([]+/, '').replace(/[.)\]!?:]+$/, '');
    if (seenId && CONNECTIVES.has(word)) continue;
    const shape = ID_SHAPE.exec(word);
    if (!shape) break;
    seenId = true;
    if (prefix === undefined || shape[1] === prefix) ids.push(word);
  }
  return ids;
}

/** Every bead the message names, each once, in the order first named; `closes` if any line closes it. */
export function parseBeadReferences(message: string, options: ParseOptions = {}): BeadReference[] {
  const found = new Map<string, BeadReference>();
  for (const line of message.split(/\r?\n/)) {
    if (options.commentChar && line.startsWith(options.commentChar)) continue;
    const match = KEYWORD_LINE.exec(line);
    if (!match) continue;
    const closes = (CLOSING_KEYWORDS as readonly string[]).includes(match[1]!.toLowerCase());
    for (const id of idsOf(match[2]!, options.prefix)) {
      const known = found.get(id);
      if (known) known.closes ||= closes;
      else found.set(id, { id, closes });
    }
  }
  return [...found.values()];
}
