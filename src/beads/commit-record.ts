/**
 * Recording code commits on the beads their messages name: a comment `commit-<sha>` on each (so the
 * same commit recorded twice changes nothing), and for a closing keyword the bead is closed. All
 * the beads of one hook run change in one ledger write, as the actor (an agent writes to its branch).
 */
import type { Ledger, Transaction } from '../ledger/ledger.js';
import type { CommitInfo } from '../git/git-command.js';
import { closeBead, findBead } from './bead-service.js';
import { putBead } from './bead-kind.js';
import { normalizeBead, type Bead, type Comment } from './bead.js';
import { GtError } from '../errors.js';
import { parseBeadReferences } from './trailers.js';

export type { CommitInfo };

/** A commit that replaced another (amend, rebase): the old one's comments give way to the new one's. */
export interface Rewrite {
  old: CommitInfo;
  new: CommitInfo;
}

export interface RecordOutcome {
  /** Ledger commit made, or null when everything was recorded already. */
  commit: string | null;
  /** One line per thing done or refused (unknown ids), for hooks.log. */
  lines: string[];
}

export function commitCommentId(sha: string): string {
  return `commit-${sha}`;
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

/** The bead a message names, or why not (unknown, ambiguous, broken file). */
function lookup(tx: Transaction, id: string): Bead | string {
  try {
    return findBead(tx, id);
  } catch (error) {
    if (error instanceof GtError) return error.message + (error.hint ? ` (${error.hint})` : '');
    throw error;
  }
}

function closeReasonHead(sha: string): string {
  return `Closed by commit ${short(sha)}`;
}

function closeReason(info: CommitInfo): string {
  return `${closeReasonHead(info.sha)}: ${info.subject}`;
}

function putComments(tx: Transaction, bead: Bead, comments: Comment[]): Bead {
  const next = normalizeBead({ ...bead, comments, updated_at: tx.now });
  putBead(tx, next);
  return next;
}

/**
 * Records `commits` (made on `branch`) on the beads they name, and drops the comments of commits
 * that `rewrites` replaced. A closing keyword closes its bead unless `mayClose` says why not. Returns what it did; ids naming no bead are reported, never fatal.
 */
/** Why a closing keyword must not close this bead from this branch (a merge queue closes it), or undefined. */
export type CloseRule = (bead: Bead, branch: string) => string | undefined;

export async function recordCommits(ledger: Ledger, branch: string, commits: CommitInfo[], rewrites: Rewrite[] = [], mayClose: CloseRule = () => undefined): Promise<RecordOutcome> {
  const { result, commit } = await ledger.write((tx) => {
    const lines: string[] = [];
    const prefix = tx.config.prefix;
    const recorded = new Map<string, string[]>();
    const closed: string[] = [];
    const dropped: string[] = [];

    for (const rewrite of rewrites) {
      for (const ref of parseBeadReferences(rewrite.old.message, { prefix })) {
        const bead = lookup(tx, ref.id);
        if (typeof bead === 'string') continue;
        const comments = bead.comments.filter((c) => c.id !== commitCommentId(rewrite.old.sha));
        if (comments.length === bead.comments.length) continue;
        let next = putComments(tx, bead, comments);
        dropped.push(`${short(rewrite.old.sha)} on ${bead.id}`);
        // Closed by the old commit and closed again by the new one: the reason names the new one.
        const closesAgain = parseBeadReferences(rewrite.new.message, { prefix }).some((r) => {
          const named = r.closes ? lookup(tx, r.id) : undefined;
          return typeof named === 'object' && named.id === bead.id;
        });
        if (closesAgain && next.close_reason?.startsWith(`${closeReasonHead(rewrite.old.sha)}:`)) {
          next = { ...next, close_reason: closeReason(rewrite.new), edited: { ...next.edited, close_reason: tx.now } };
          putBead(tx, next);
        }
      }
    }

    for (const info of commits) {
      for (const ref of parseBeadReferences(info.message, { prefix })) {
        const bead = lookup(tx, ref.id);
        if (typeof bead === 'string') {
          lines.push(`commit ${short(info.sha)} names ${ref.id}, ignored: ${bead}`);
          continue;
        }
        const id = commitCommentId(info.sha);
        if (!bead.comments.some((c) => c.id === id)) {
          const text = `Commit ${short(info.sha)} on ${branch}: ${info.subject}`;
          putComments(tx, bead, [...bead.comments, { id, author: tx.actor.name, at: info.at, text }]);
          recorded.set(short(info.sha), [...(recorded.get(short(info.sha)) ?? []), bead.id]);
          lines.push(`recorded commit ${short(info.sha)} on ${bead.id}`);
        }
        const held = ref.closes && bead.status !== 'closed' ? mayClose(bead, branch) : undefined;
        if (held !== undefined) lines.push(`commit ${short(info.sha)} closes ${bead.id} ${held}`);
        else if (ref.closes) {
          const outcome = closeBead(tx, bead.id, { reason: closeReason(info), force: true });
          if (outcome.changed.length > 0) {
            closed.push(bead.id);
            lines.push(`closed ${bead.id} (commit ${short(info.sha)})`);
          }
        }
      }
    }
    for (const d of dropped) lines.push(`dropped the comment of rewritten commit ${d}`);

    const shas = [...recorded.keys()];
    const ids = [...new Set([...recorded.values()].flat())];
    const parts: string[] = [];
    if (shas.length > 0) parts.push(`record commit${shas.length === 1 ? '' : 's'} ${shas.join(', ')} on ${ids.join(', ')}`);
    if (closed.length > 0) parts.push(`close ${closed.join(', ')}`);
    if (dropped.length > 0) parts.push(`drop rewritten ${dropped.join(', ')}`);
    return { result: lines, message: parts.join('; ') || 'record commits' };
  });
  return { commit, lines: result };
}
