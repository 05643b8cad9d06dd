/** Native git for building fixtures: plain commands, and a streaming `git fast-import`. */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV } from './measure.js';

export function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, env: CHILD_ENV, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}:\n${result.stderr}`);
  return result.stdout;
}

/** A fresh non-bare repository with `main` as its default branch. */
export function initRepo(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  git(['init', '-q', '-b', 'main', dir], dir);
  git(['config', 'gc.auto', '0'], dir);
}

/**
 * Copies a repository for a scenario that changes it (the cached fixture stays pristine). Pack files
 * are hard-linked: git never changes a pack in place, and nothing measured repacks.
 */
export function copyRepo(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  const walk = (src: string, dst: string, inPackDir: boolean): void => {
    mkdirSync(dst, { recursive: true });
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      const s = join(src, entry.name);
      const d = join(dst, entry.name);
      if (entry.isDirectory()) walk(s, d, s.endsWith('/objects/pack'));
      else if (inPackDir && /\.(pack|idx|rev)$/.test(entry.name)) linkSync(s, d);
      else copyFileSync(s, d);
    }
  };
  walk(from, to, false);
  // Flush the copy now, so that its write-back does not land in the middle of a timed run.
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** Writes a fast-import stream piece by piece, respecting back-pressure. */
export class FastImport {
  private readonly child;
  private readonly done: Promise<void>;
  private stderr = '';

  constructor(cwd: string) {
    this.child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd, env: CHILD_ENV, stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}:\n${this.stderr}`))));
    });
  }

  async write(chunk: string | Buffer): Promise<void> {
    if (!this.child.stdin.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.child.off('close', onClose);
          resolve();
        };
        const onClose = (): void => reject(new Error(`git fast-import stopped early:\n${this.stderr}`));
        this.child.stdin.once('drain', onDrain);
        this.child.once('close', onClose);
      });
    }
  }

  /** `data <n>\n<bytes>\n` */
  async data(content: string | Buffer): Promise<void> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    await this.write(`data ${bytes.length}\n`);
    await this.write(bytes);
    await this.write('\n');
  }

  async commit(ref: string, who: string, when: number, message: string, opts: { from?: string; mark?: number } = {}): Promise<void> {
    let head = `commit ${ref}\n`;
    if (opts.mark !== undefined) head += `mark :${opts.mark}\n`;
    head += `author ${who} ${when} +0000\ncommitter ${who} ${when} +0000\n`;
    await this.write(head);
    await this.data(message);
    if (opts.from !== undefined) await this.write(`from ${opts.from}\n`);
  }

  async file(path: string, content: string | Buffer): Promise<void> {
    await this.write(`M 100644 inline ${path}\n`);
    await this.data(content);
  }

  async finish(): Promise<void> {
    this.child.stdin.end('done\n');
    await this.done;
  }
}
