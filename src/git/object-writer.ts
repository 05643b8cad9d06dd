import { deflateSync } from 'node:zlib';
import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hashObject, objectHeader, type ObjectType } from './object-format.js';

/**
 * Writes loose objects the way git does: into a temporary file in the object's fan-out directory, then
 * renamed into place. A process killed mid-write leaves only a `tmp_obj_*` file (which `git gc` removes),
 * never a truncated object under its real name that later writes would skip as "already present".
 */
export class LooseObjectWriter {
  private readonly knownDirs = new Set<string>();

  constructor(private readonly objectsDir: string) {}

  write(type: ObjectType, content: Buffer): string {
    const oid = hashObject(type, content);
    const dir = join(this.objectsDir, oid.slice(0, 2));
    const finalPath = join(dir, oid.slice(2));
    if (existsSync(finalPath)) return oid;
    if (!this.knownDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    const tmpPath = join(dir, `tmp_obj_${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(tmpPath, deflateSync(Buffer.concat([objectHeader(type, content.length), content])), { mode: 0o444 });
      renameSync(tmpPath, finalPath);
    } catch (error) {
      try {
        unlinkSync(tmpPath);
      } catch {
        // The temporary file may never have been created.
      }
      throw error;
    }
    return oid;
  }
}
