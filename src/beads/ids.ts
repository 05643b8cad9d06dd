import { createHash, randomBytes } from 'node:crypto';
import { AmbiguousIdError, GtError, NotFoundError } from '../errors.js';
import { closestIds } from '../ledger/closest-ids.js';

export { closestIds };

/** Collision chance allowed for one new id against the ids already there. */
const MAX_COLLISION_CHANCE = 1 / 10_000;
const MIN_ID_LENGTH = 4;
const MAX_ID_LENGTH = 12;

/**
 * Length of the random part so that a new id collides with one of `existing` ids with probability
 * below 1 in 10,000: existing / 36^length < 1e-4.
 */
export function idLength(existing: number): number {
  let length = MIN_ID_LENGTH;
  while (length < MAX_ID_LENGTH && existing / 36 ** length >= MAX_COLLISION_CHANCE) length++;
  return length;
}

function randomBase36(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // 36 * 7 = 252: rejecting bytes >= 252 keeps every character equally likely.
  for (const byte of bytes) {
    if (byte >= 252) continue;
    out += (byte % 36).toString(36);
    if (out.length === length) return out;
  }
  return out + randomBase36(length - out.length);
}

/** The ids in use, as choosing a new one needs them (a Set, or a table that loads only the shard it is asked about). */
export interface IdsTaken {
  readonly size: number;
  has(id: string): boolean;
}

/** A fresh random id `<prefix>-<base36>` (or `<prefix>-<infix>-<base36>`) not in `taken`. */
export function generateId(prefix: string, taken: IdsTaken, infix?: string): string {
  const head = infix ? `${prefix}-${infix}-` : `${prefix}-`;
  const length = idLength(taken.size);
  for (let attempt = 0; attempt < 100; attempt++) {
    const id = `${head}${randomBase36(length + Math.floor(attempt / 10))}`;
    if (!taken.has(id)) return id;
  }
  throw new GtError('could not find a free id after 100 attempts');
}

/**
 * The id of an effect that several clones may produce independently (a landing mail): the same on
 * every clone for the same `key`, so their ledgers merge it as one entity instead of two.
 */
export function effectId(prefix: string, infix: string, key: string): string {
  const digest = createHash('sha1').update(key).digest();
  return `${prefix}-${infix}-${BigInt(`0x${digest.subarray(0, 8).toString('hex')}`).toString(36).slice(0, 8).padStart(8, '0')}`;
}

/**
 * Where the distinctive part of an id starts: after its last '-' (`gt-4f2a` → 3, `gt-mol-7k2p` → 7).
 * The part before (`gt-`, `gt-mol-`) is shared by every id of a kind, so it alone identifies nothing.
 */
function distinctFrom(id: string): number {
  return id.lastIndexOf('-') + 1;
}

/**
 * Whether `q` (lowercase) picks out `id`: a prefix of the id, or (`withoutPrefix`) of the id without
 * its `<prefix>-` part or without all of its shared part, that reaches at least one character into the
 * distinctive part. An empty query, or one that is only the shared part (`gt`, `gt-`, `gt-mol-`),
 * matches nothing.
 */
function prefixMatches(id: string, q: string, withoutPrefix: boolean): boolean {
  const lower = id.toLowerCase();
  const distinct = distinctFrom(lower);
  const starts = withoutPrefix ? [lower.indexOf('-') + 1, distinct] : [0];
  return starts.some((skip) => lower.startsWith(q, skip) && skip + q.length > distinct);
}

/**
 * Resolves what a user typed to one id: the id itself, or a unique prefix of it, with or without the
 * `<prefix>-` part (`4f2` finds `gt-4f2a`). A query must reach into the part after the id's last '-'.
 */
export function resolveId(query: string, ids: Iterable<string>, what = 'bead'): string {
  const all = [...ids];
  const q = query.trim().toLowerCase();
  if (q === '') throw new NotFoundError(what, query);
  if (all.includes(q)) return q;
  let matches = all.filter((id) => prefixMatches(id, q, false));
  if (matches.length === 0) matches = all.filter((id) => prefixMatches(id, q, true));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new AmbiguousIdError(query, matches.sort());
  throw new NotFoundError(what, query, closestIds(q, all));
}
