import { createHash } from 'node:crypto';

/** Git's object encodings (trees, commits) and object ids, for the objects the ledger writes and reads. */

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

export const TREE_MODE = '40000';
export const BLOB_MODE = '100644';

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Minutes east of UTC. */
  timezoneOffset: number;
}

export interface Commit {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

export function objectHeader(type: ObjectType, length: number): Buffer {
  return Buffer.from(`${type} ${length}\0`, 'latin1');
}

export function hashObject(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(objectHeader(type, content.length)).update(content).digest('hex');
}

/** Git sorts tree entries by name, comparing a subtree's name as if it ended in '/'. */
function treeSortKey(entry: TreeEntry): string {
  return entry.mode === TREE_MODE ? `${entry.name}/` : entry.name;
}

export function encodeTree(entries: Iterable<TreeEntry>): Buffer {
  const sorted = [...entries].sort((a, b) => {
    const ka = treeSortKey(a);
    const kb = treeSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  // One buffer written in place: a ledger directory tree has one entry per entity (10,000 and more),
  // and two small buffers per entry cost more than the rest of a write.
  let size = 0;
  for (const e of sorted) size += e.mode.length + Buffer.byteLength(e.name, 'utf8') + 22;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const e of sorted) {
    pos += out.write(e.mode, pos, 'latin1');
    out[pos++] = 0x20;
    pos += out.write(e.name, pos, 'utf8');
    out[pos++] = 0;
    if (out.write(e.oid, pos, 'hex') !== 20) throw new Error(`invalid object id '${e.oid}' in a tree entry`);
    pos += 20;
  }
  return out;
}

export function decodeTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < content.length) {
    const space = content.indexOf(0x20, pos);
    const nul = content.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > content.length) throw new Error('corrupt tree object');
    entries.push({
      mode: content.toString('latin1', pos, space),
      name: content.toString('utf8', space + 1, nul),
      oid: content.toString('hex', nul + 1, nul + 21),
    });
    pos = nul + 21;
  }
  return entries;
}

function formatTimezone(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

function parseTimezone(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[+-]/, '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

export function formatSignature(sig: Signature): string {
  return `${sig.name} <${sig.email}> ${sig.timestamp} ${formatTimezone(sig.timezoneOffset)}`;
}

function parseSignature(text: string): Signature {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(text);
  if (!match) return { name: text, email: '', timestamp: 0, timezoneOffset: 0 };
  return { name: match[1]!, email: match[2]!, timestamp: Number(match[3]), timezoneOffset: parseTimezone(match[4]!) };
}

export function encodeCommit(commit: Commit): Buffer {
  const lines = [`tree ${commit.tree}`];
  for (const p of commit.parents) lines.push(`parent ${p}`);
  lines.push(`author ${formatSignature(commit.author)}`, `committer ${formatSignature(commit.committer)}`);
  const message = commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`, 'utf8');
}

export function decodeCommit(content: Buffer): Commit {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const header = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  const commit: Commit = {
    tree: '',
    parents: [],
    author: parseSignature(''),
    committer: parseSignature(''),
    message,
  };
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parseSignature(value);
    else if (key === 'committer') commit.committer = parseSignature(value);
  }
  if (!commit.tree) throw new Error('corrupt commit object: no tree');
  return commit;
}
