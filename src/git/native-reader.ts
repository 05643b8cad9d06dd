import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import which from 'which';
import type { GitObject, ObjectType } from './object-format.js';
import type { ObjectReader } from './object-reader.js';

interface Pending {
  resolve: (value: GitObject | null) => void;
  reject: (error: Error) => void;
}

let gitAvailable: boolean | undefined;

/**
 * Whether a `git` binary is on PATH (checked once per process). A PATH lookup, not `git --version`:
 * starting a process to ask cost every command about 16 ms, more than many whole reads.
 */
export function hasNativeGit(): boolean {
  gitAvailable ??= which.sync('git', { nothrow: true }) !== null;
  return gitAvailable;
}

/** Objects through one long-lived `git cat-file --batch`: requests are pipelined, answers come in order. */
export class NativeObjectReader implements ObjectReader {
  readonly backend = 'native' as const;
  private process: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly gitDir: string) {}

  private gitArgs(args: string[]): string[] {
    return [`--git-dir=${this.gitDir}`, ...args];
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.process) return this.process;
    const child = spawn('git', this.gitArgs(['cat-file', '--batch']), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    child.on('error', (error) => this.failAll(error));
    child.on('exit', () => this.failAll(new Error('git cat-file exited')));
    this.process = child;
    return child;
  }

  private failAll(error: Error): void {
    this.process = undefined;
    while (this.queue.length > 0) this.queue.shift()!.reject(error);
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.toString('latin1', 0, newline);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.queue.shift()!.resolve(null);
        continue;
      }
      const [, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (this.buffer.length < newline + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + size));
      this.buffer = this.buffer.subarray(newline + 1 + size + 1);
      this.queue.shift()!.resolve({ type: type as ObjectType, content });
    }
  }

  read(oid: string): Promise<GitObject | null> {
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      child.stdin.write(`${oid}\n`);
    });
  }

  async readMany(oids: readonly string[]): Promise<Map<string, GitObject>> {
    const results = await Promise.all(oids.map((oid) => this.read(oid)));
    const map = new Map<string, GitObject>();
    oids.forEach((oid, i) => {
      const obj = results[i];
      if (obj) map.set(oid, obj);
    });
    return map;
  }

  private run(args: string[]): { status: number | null; stdout: string } {
    const result = spawnSync('git', this.gitArgs(args), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return { status: result.status, stdout: result.stdout };
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    const { status, stdout } = this.run(['merge-base', a, b]);
    return status === 0 ? stdout.trim() : null;
  }

  close(): void {
    if (!this.process) return;
    this.process.removeAllListeners('exit');
    this.process.stdin.end();
    this.process = undefined;
  }
}
