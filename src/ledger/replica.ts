/**
 * This repository's replica id: who "this machine's copy" is in a writer id (`<actor>.<replica>`, see
 * merge/causal.ts). Kept in `.git/gt/replica`, so every worktree (and sandbox) of the repository shares
 * it and `git clone` never copies it: each clone makes its own on its first write.
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const FILE = 'replica';
const REPLICA_PATTERN = /^[a-z0-9]{4,16}$/;

function fresh(): string {
  // 8 base-36 characters: about 41 bits, plenty for the clones of one team.
  let id = '';
  for (const byte of randomBytes(8)) id += (byte % 36).toString(36);
  return id;
}

/** The replica id of the repository whose gt state dir is `stateDir`, made on first use. */
export function replicaId(stateDir: string): string {
  const path = join(stateDir, FILE);
  const read = (): string | undefined => {
    try {
      const text = readFileSync(path, 'utf8').trim();
      return REPLICA_PATTERN.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = read();
  if (existing !== undefined) return existing;
  mkdirSync(stateDir, { recursive: true });
  // Written aside and linked into place: a concurrent first write either wins or reads the winner's, never a half-written file.
  const tmp = join(stateDir, `${FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, `${fresh()}\n`);
  try {
    linkSync(tmp, path);
  } catch (error) {
    // Someone else's is in place; a broken one (not an id) is replaced.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (read() === undefined) writeFileSync(path, readFileSync(tmp));
  } finally {
    unlinkSync(tmp);
  }
  return read()!;
}
