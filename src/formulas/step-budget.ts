/**
 * The limit on how many steps one cook may make, checked before anything is built: a loop's count or
 * range, nested loops and expansions multiply, and `count = 100000000` must be refused at once rather
 * than after gigabytes of steps.
 */
import { basename } from 'node:path';
import { errorAt, type FormulaError, type Origin } from './formula-error.js';
import type { LoopDef, StepDef } from './formula-types.js';

/** More steps than this in one cook are refused (a typo in a count or range should not eat the machine). */
export const MAX_STEPS = 100_000;

/**
 * How many steps `defs` make at least: a step is one, plus its children; a loop is its iterations
 * times its body. `iterations` says how many times a loop runs, or undefined when that is not known
 * yet (a range over an enclosing loop's variable): such a loop counts once, and is checked itself
 * when it is reached. `expansionSize` does the same for a step that is expanded in place.
 */
export function stepsAtLeast(
  defs: readonly StepDef[],
  iterations: (loop: LoopDef) => number | undefined,
  expansionSize: (step: StepDef) => number = () => 1,
): number {
  let total = 0;
  for (const def of defs) {
    if (def.loop) {
      const times = iterations(def.loop) ?? 1;
      if (times > 0) total += times * stepsAtLeast(def.loop.body, iterations, expansionSize);
    } else {
      total += def.expand !== undefined ? Math.max(1, expansionSize(def)) : 1;
      if (def.children) total += stepsAtLeast(def.children, iterations, expansionSize);
    }
    if (total > MAX_STEPS) return total;
  }
  return total;
}

function formulaName(file: string): string {
  return basename(file).replace(/\.formula\.toml$/, '').replace(/\.toml$/, '');
}

/** The refusal: names the formula, the key (through `origin` and `key`) and the limit. */
export function tooManySteps(origin: Origin, key: string | undefined, what: string, steps: number, hint: string): FormulaError {
  const count = Number.isFinite(steps) ? steps.toLocaleString('en-US') : 'an unbounded number of';
  return errorAt(origin, key, `formula '${formulaName(origin.file)}': ${what} would make ${count} steps, more than the limit of ${MAX_STEPS.toLocaleString('en-US')}`, hint);
}
