/**
 * Variable patterns (`[vars.x] pattern = "…"`) run on RE2 (the re2js port): matching takes time
 * linear in the value, so no pattern a formula carries can hang gt, as `(a+)+$` does on V8's
 * backtracking engine. RE2 refuses what it cannot match in linear time (backreferences, lookaround);
 * such a pattern is refused when the formula is loaded.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

// Loaded on first use, not at start-up: re2js is 270 KB that only formulas with patterns need, and
// every gt command would otherwise pay to compile it (it is kept out of the CLI bundle for this).
let engine: typeof RE2JS | undefined;
function re2(): typeof RE2JS {
  engine ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
  return engine;
}

const compiled = new Map<string, RE2JS>();

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = re2().compile(pattern);
    compiled.set(pattern, re);
  }
  return re;
}

/** Why RE2 cannot take `pattern`, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compile(pattern);
    return undefined;
  } catch (error) {
    const text = (error as Error).message.replace(/^error parsing regexp:\s*/, '');
    return `is not a valid regular expression for RE2, which matches in linear time (no backreferences or lookaround): ${text}`;
  }
}

/** Whether `value` contains a match of `pattern` (as RegExp.prototype.test would say, unanchored). */
export function matchesPattern(pattern: string, value: string): boolean {
  return compile(pattern).matcher(value).find();
}
