/**
 * Cooks every formula under a folder in bind mode, with a made-up value for each required variable
 * (one that satisfies its enum, pattern and type), and reports one line per file. Formulas named by
 * others resolve in the file's own folder, then the folder given, then the built-ins.
 */
import { relative, resolve } from 'node:path';
import { GtError } from '../errors.js';
import { cookFormula, resolvedVars } from './cook.js';
import type { VarDef } from './formula-types.js';
import { builtinFormulaDir, formulaFilesUnder, type SearchDir } from './search.js';
import { checkValue } from './vars.js';

const CANDIDATES = ['example', '1', '1.0.0', 'owner/name', 'x', 'true', 'main', 'a1', 'v1.0.0', '2024-01-01', 'example@example.com', 'https://example.com', ''];

/** A value a variable accepts, for cooking without a real one. */
export function dummyValue(name: string, spec: VarDef): string | undefined {
  const candidates = [...(spec.enum ?? []), ...(spec.type === 'int' ? ['1'] : spec.type === 'bool' ? ['true'] : []), ...CANDIDATES];
  return candidates.find((c) => checkValue(name, c, spec) === undefined);
}

export function dummyVars(vars: Readonly<Record<string, VarDef>>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(vars).sort();
  for (const name of names) {
    const spec = vars[name]!;
    if (spec.default !== undefined || !spec.required) continue;
    const value = dummyValue(name, spec);
    if (value !== undefined) out[name] = value;
  }
  for (const name of names) {
    const spec = vars[name]!;
    if (spec.default !== undefined || !spec.required_unless || spec.required_unless.length === 0) continue;
    if ([name, ...spec.required_unless].some((n) => n in out)) continue;
    const value = dummyValue(name, spec);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export interface CompatLine {
  file: string;
  ok: boolean;
  steps?: number;
  error?: string;
}

/** `shownFrom`: file names are printed relative to this folder (default: the current one). */
export function compatCheck(folder: string, shownFrom = process.cwd()): CompatLine[] {
  const root = resolve(folder);
  const builtin = builtinFormulaDir();
  const dirs: SearchDir[] = [{ dir: root, scope: 'dir' }, ...(builtin ? [{ dir: builtin, scope: 'builtin' as const }] : [])];
  return formulaFilesUnder(root).map((file) => {
    const shown = relative(shownFrom, file) || file;
    try {
      const vars = dummyVars(resolvedVars(file, { cwd: root, dirs }));
      const proto = cookFormula(file, { cwd: root, dirs, vars });
      return { file: shown, ok: true, steps: proto.steps.length };
    } catch (error) {
      if (!(error instanceof GtError)) throw error;
      return { file: shown, ok: false, error: error.message };
    }
  });
}
