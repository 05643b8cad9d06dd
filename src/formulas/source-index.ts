/**
 * Finds the line of a key path (`steps[3].needs`, `vars.feature`, `compose.expand[0]`) in TOML source
 * text, so that problems found after parsing can still name a line. One pass over the lines: table
 * headers (with array-of-tables counters), key/value lines, and the multi-line strings and arrays that
 * must not be mistaken for keys.
 */

export type LineIndex = (path: string) => number | undefined;

interface ScanState {
  /** Inside a multi-line string closed by this delimiter. */
  ml?: '"""' | "'''";
  /** Open brackets and braces of a value spanning lines. */
  depth: number;
}

/** Splits a dotted TOML key into its parts, honouring quoted parts. */
export function splitKey(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      const stop = end < 0 ? text.length : end;
      current += text.slice(i + 1, stop);
      i = stop + 1;
    } else if (c === '.') {
      parts.push(current.trim());
      current = '';
      i++;
    } else {
      current += c;
      i++;
    }
  }
  parts.push(current.trim());
  return parts;
}

/** Advances the scan state over a piece of a value; returns nothing, mutates the state. */
function scanValue(text: string, state: ScanState): void {
  let i = 0;
  while (i < text.length) {
    if (state.ml) {
      const end = text.indexOf(state.ml, i);
      if (end < 0) return;
      i = end + 3;
      // A closing delimiter may be followed by one or two more quotes that belong to the string.
      while (text[i] === state.ml[0]) i++;
      state.ml = undefined;
      continue;
    }
    const c = text[i]!;
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      state.ml = text.slice(i, i + 3) as '"""' | "'''";
      i += 3;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '#') {
      return;
    } else {
      if (c === '[' || c === '{') state.depth++;
      else if (c === ']' || c === '}') state.depth = Math.max(0, state.depth - 1);
      i++;
    }
  }
}

const HEADER = /^\[(\[)?\s*([^\]]+?)\s*\](\])?\s*(#.*)?$/;
const KEY_LINE = /^((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=/;

export function buildLineIndex(source: string): LineIndex {
  const lines = new Map<string, number>();
  const arrays = new Map<string, number>();
  const state: ScanState = { depth: 0 };
  let table = '';
  const text = source.split(/\r?\n/);
  for (let n = 0; n < text.length; n++) {
    const raw = text[n]!;
    if (state.ml || state.depth > 0) {
      scanValue(raw, state);
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = HEADER.exec(line);
    if (header && line.startsWith('[')) {
      const isArray = header[1] === '[' && header[3] === ']';
      const parts = splitKey(header[2]!);
      let path = '';
      parts.forEach((part, i) => {
        path = path ? `${path}.${part}` : part;
        if (i < parts.length - 1) {
          const count = arrays.get(path);
          if (count !== undefined) path += `[${count - 1}]`;
        } else if (isArray) {
          const count = arrays.get(path) ?? 0;
          arrays.set(path, count + 1);
          path += `[${count}]`;
        }
      });
      table = path;
      if (!lines.has(path)) lines.set(path, n + 1);
      continue;
    }
    const key = KEY_LINE.exec(line);
    if (key) {
      const path = [table, ...splitKey(key[1]!)].filter((p) => p !== '').join('.');
      if (!lines.has(path)) lines.set(path, n + 1);
      scanValue(line.slice(key[0].length), state);
    }
  }
  return (path: string) => {
    let p = path;
    for (;;) {
      const found = lines.get(p);
      if (found !== undefined) return found;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return undefined;
      p = p.slice(0, cut);
    }
  };
}
