import { deflateSync, inflateSync } from 'node:zlib';
import { mkdirSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { hashObject, objectHeader, type ObjectType } from './object-format.js';
import { runGit } from './git-command.js';

/**
 * Writes loose objects the way git does: into a temporary file in the object's fan-out directory, then
 * renamed into place. A process killed mid-write leaves only a `tmp_obj_*` file (which `git gc` removes),
 * never a truncated object under its real name that later writes would skip as "already present".
 */
export class LooseObjectWriter {
  private readonly knownDirs = new Set<string>();

  constructor(private readonly objectsDir: string) {}

  /**
   * An object already there is reused, with its mtime brought to now as git does ("freshening"):
   * otherwise an old unreachable copy could be pruned by a concurrent `git gc` between this write and
   * the ref update that makes it reachable. If it cannot be freshened, it is written again.
   */
  private freshen(path: string): boolean {
    try {
      const now = new Date();
      utimesSync(path, now, now);
      return true;
    } catch {
      return false;
    }
  }

  write(type: ObjectType, content: Buffer): string {
    const oid = hashObject(type, content);
    const dir = join(this.objectsDir, oid.slice(0, 2));
    const finalPath = join(dir, oid.slice(2));
    if (this.freshen(finalPath)) return oid;
    // Level 1, like `core.looseCompression=1`: loose objects are short-lived (gc repacks them) and a
    // ledger tree of 10,000 beads deflates several times faster than at the default level.
    const data = deflateSync(Buffer.concat([objectHeader(type, content.length), content]), { level: 1 });
    for (let attempt = 0; ; attempt++) {
      const tmpPath = join(dir, `tmp_obj_${randomBytes(6).toString('hex')}`);
      try {
        if (!this.knownDirs.has(dir)) {
          mkdirSync(dir, { recursive: true });
          this.knownDirs.add(dir);
        }
        writeFileSync(tmpPath, data, { mode: 0o444, flag: 'wx' });
      } catch (error) {
        // `git gc` and `git prune` remove empty fan-out directories, also one we created or saw a
        // moment ago: create it again and retry, as git does.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 10) {
          this.knownDirs.delete(dir);
          continue;
        }
        try {
          unlinkSync(tmpPath);
        } catch {
          // The temporary file may never have been created.
        }
        throw error;
      }
      try {
        renameSync(tmpPath, finalPath);
      } catch (error) {
        try {
          unlinkSync(tmpPath);
        } catch {
          // Nothing more to clean.
        }
        throw error;
      }
      return oid;
    }
  }

  /**
   * The text of a blob this writer wrote (write leaves it loose): read back synchronously, for a
   * transaction that let go of a file's text once it was stored. Should a concurrent `git gc` have
   * packed it since (only an object that was already reachable can be), git reads it from the pack.
   */
  readBlobBack(oid: string): string {
    let data: Buffer;
    try {
      data = inflateSync(readFileSync(join(this.objectsDir, oid.slice(0, 2), oid.slice(2))));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return runGit(dirname(this.objectsDir), ['cat-file', 'blob', oid]);
    }
    return data.toString('utf8', data.indexOf(0) + 1);
  }
}
