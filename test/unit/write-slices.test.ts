import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { writeSlices } from '../../src/cli/output.js';

describe('writeSlices', () => {
  it('writes the next slice only once the reader has taken the one before', async () => {
    const written: string[] = [];
    const pending: (() => void)[] = [];
    // A reader that takes nothing until told to: every write waits in its queue.
    const out = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        pending.push(done);
      },
    });
    const produced: string[] = [];
    const slices = (function* () {
      for (const s of ['a', 'b', 'c']) {
        produced.push(s);
        yield s;
      }
    })();
    const finished = writeSlices(slices, out);
    await new Promise((resolve) => setImmediate(resolve));
    // One slice handed over and not taken: the next is not even made.
    expect(produced).toEqual(['a']);
    while (produced.length < 3 || pending.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      pending.shift()?.();
    }
    await finished;
    expect(written.join('')).toBe('abc');
  });
});
