/** Seeded randomness for the benchmark fixtures: the same seed always builds the same data. */
import { createCipheriv, createHash } from 'node:crypto';

/** A small seeded generator (mulberry32) for decisions: which status, how many labels, which bead. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `count` distinct items (fewer when there are not enough). */
  sample<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    const n = Math.min(count, items.length);
    while (chosen.size < n) chosen.add(Math.floor(this.next() * items.length));
    return [...chosen].map((i) => items[i]!);
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

/**
 * Incompressible bytes from a seed: AES-128-CTR keystream. Fast (hundreds of MB/s), deterministic,
 * and as random-looking as real binary content to zlib and to git's delta search.
 */
export class ByteStream {
  private readonly cipher;
  private readonly zeros = Buffer.alloc(1 << 20);

  constructor(seed: string) {
    const digest = createHash('sha256').update(seed).digest();
    this.cipher = createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
  }

  bytes(length: number): Buffer {
    if (length <= this.zeros.length) return this.cipher.update(this.zeros.subarray(0, length));
    return this.cipher.update(Buffer.alloc(length));
  }
}
