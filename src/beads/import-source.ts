/**
 * The bytes of an import: read a chunk at a time, so that an import of a 50,000-bead file never holds
 * the file, and all at once only for the rare input that must be read as one document (list-items.ts).
 * Where the bytes come from (a file, standard input) is the caller's business: this module does no IO.
 */
import { StringDecoder } from 'node:string_decoder';

export interface ImportSource {
  /** The bytes in order, a chunk at a time; each call starts again from the first byte. */
  chunks(): Iterable<Buffer>;
  /** Every byte at once. */
  whole(): Buffer;
}

/** Bytes of an import to read this many at a time. */
export const IMPORT_CHUNK = 1 << 18;

/** A source of bytes held in memory (a text as UTF-8), given `size` bytes at a time. */
export function bytesSource(input: string | Buffer, size = IMPORT_CHUNK): ImportSource {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  return {
    *chunks() {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    },
    whole: () => bytes,
  };
}

/** `text` without a byte order mark. */
export function withoutBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

const BOM = [0xef, 0xbb, 0xbf];

/** The chunks of `source` without a UTF-8 byte order mark, however the first chunks split it; never an empty chunk. */
export function* chunksAfterBom(source: ImportSource): Generator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for (const chunk of source.chunks()) {
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < BOM.length && BOM.slice(0, head.length).every((byte, i) => head![i] === byte)) continue;
      const rest = BOM.every((byte, i) => head![i] === byte) ? head.subarray(BOM.length) : head;
      head = undefined;
      if (rest.length > 0) yield rest;
    } else if (chunk.length > 0) yield chunk;
  }
  // Fewer bytes than a whole mark: they are text.
  if (head !== undefined && head.length > 0) yield head;
}

/** The text of `source` (UTF-8) a chunk at a time, without a byte order mark. */
export function* textChunks(source: ImportSource): Generator<string> {
  // A character split between two chunks is held back by the decoder until its last byte comes.
  const decoder = new StringDecoder('utf8');
  for (const chunk of chunksAfterBom(source)) {
    const text = decoder.write(chunk);
    if (text !== '') yield text;
  }
  const tail = decoder.end();
  if (tail !== '') yield tail;
}

/** The text of `source`, all of it, without a byte order mark. */
export function wholeText(source: ImportSource): string {
  return withoutBom(source.whole().toString('utf8'));
}
