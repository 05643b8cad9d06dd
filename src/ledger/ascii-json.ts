/**
 * JSON with every character outside ASCII written as a `\uXXXX` escape. Cache files made only of
 * such text are pure ASCII, so Node reads them with its one-byte fast path instead of decoding UTF-8
 * into a two-byte string (a ledger with one "Zoë" in it otherwise costs twice the memory and time).
 * JSON.parse reads the escapes back to the same characters.
 */
const NON_ASCII = /[\u0080-\uffff]/g;
const HAS_NON_ASCII = /[\u0080-\uffff]/;

function escape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function asciiJson(value: unknown): string {
  const text = JSON.stringify(value);
  return HAS_NON_ASCII.test(text) ? text.replace(NON_ASCII, escape) : text;
}
