/**
 * Every problem with a formula is one FormulaError naming the file, the line (when it can be found)
 * and the key path (`steps[3].needs`), so a person can go straight to it.
 */
import { GtError } from '../errors.js';

export class FormulaError extends GtError {
  constructor(
    readonly file: string | undefined,
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly problem: string,
    hint?: string,
  ) {
    super(formatLocation(file, line, key) + problem, hint);
  }
}

function formatLocation(file: string | undefined, line: number | undefined, key: string | undefined): string {
  const where = file === undefined ? '' : `${file}${line !== undefined ? `:${line}` : ''}: `;
  return `${where}${key ? `${key}: ` : ''}`;
}

/** Where something came from: a file and a key path inside it; the line is looked up only when needed. */
export interface Origin {
  file: string;
  /** `steps[3]`, `compose.expand[0]`, `vars.feature`… */
  path: string;
  /** Finds the line of a key path in the file (best effort). */
  lineOf?: (path: string) => number | undefined;
}

export function errorAt(origin: Origin | undefined, key: string | undefined, problem: string, hint?: string): FormulaError {
  if (!origin) return new FormulaError(undefined, undefined, key, problem, hint);
  const path = key ?? origin.path;
  return new FormulaError(origin.file, origin.lineOf?.(path), path || undefined, problem, hint);
}

/** `did you mean 'x'?` for a misspelt name, from a list of known ones. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) && bestDistance < name.length ? best : undefined;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours cost 1.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function didYouMean(name: string, known: Iterable<string>): string {
  const guess = closest(name, known);
  return guess !== undefined ? ` (did you mean '${guess}'?)` : '';
}
