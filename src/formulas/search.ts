/**
 * Where formulas are found: the repository's `.gt/formulas/`, then the user's folder
 * (`$GT_FORMULA_PATH`, else `~/.config/gt/formulas`), then the built-in `formulas/` shipped with the
 * package. Earlier folders shadow later ones.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepository } from '../git/repo-paths.js';
import { GtError } from '../errors.js';
import { isValidId } from '../ledger/names.js';

export const FORMULA_SUFFIX = '.formula.toml';

export type FormulaScope = 'repo' | 'user' | 'builtin' | 'dir';

export interface SearchDir {
  dir: string;
  scope: FormulaScope;
}

/** The built-in formulas: `formulas/` at the top of the package (from dist/gt.mjs, dist/formulas/*.js or src/formulas/*.ts). */
export function builtinFormulaDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'formulas'))) return join(dir, 'formulas');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function userFormulaDirs(): string[] {
  const env = process.env.GT_FORMULA_PATH;
  if (env !== undefined && env !== '') return env.split(delimiter).filter((d) => d !== '').map((d) => resolve(d));
  return [join(homedir(), '.config', 'gt', 'formulas')];
}

/** The repository's formula folder, when `cwd` is inside a git work tree. */
export function repoFormulaDir(cwd: string): string | undefined {
  try {
    const repo = findRepository(cwd);
    return repo.workTree ? join(repo.workTree, '.gt', 'formulas') : undefined;
  } catch (error) {
    if (error instanceof GtError) return undefined;
    throw error;
  }
}

export function searchDirs(cwd: string): SearchDir[] {
  const dirs: SearchDir[] = [];
  const repo = repoFormulaDir(cwd);
  if (repo) dirs.push({ dir: repo, scope: 'repo' });
  for (const dir of userFormulaDirs()) dirs.push({ dir, scope: 'user' });
  const builtin = builtinFormulaDir();
  if (builtin) dirs.push({ dir: builtin, scope: 'builtin' });
  return dedupe(dirs);
}

export function dedupe(dirs: SearchDir[]): SearchDir[] {
  const seen = new Set<string>();
  return dirs.filter((d) => {
    const key = resolve(d.dir);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `x.formula.toml` → `x`. */
export function formulaNameOf(file: string): string {
  return basename(file).slice(0, -FORMULA_SUFFIX.length);
}

/** Looks like a path rather than a name: has a slash or ends in .toml. */
export function isFormulaPath(nameOrPath: string): boolean {
  return nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.toml');
}

/** The first folder holding `<name>.formula.toml`; a name that is not one plain path segment (names.ts) is never looked for. */
export function findInDirs(name: string, dirs: readonly SearchDir[]): { file: string; scope: FormulaScope } | undefined {
  if (!isValidId(name)) return undefined;
  for (const d of dirs) {
    const file = join(d.dir, `${name}${FORMULA_SUFFIX}`);
    if (isFile(file)) return { file, scope: d.scope };
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The formula files directly in a folder, sorted by name. */
export function formulaFilesIn(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.endsWith(FORMULA_SUFFIX) && isFile(join(dir, e)))
    .map((e) => e.slice(0, -FORMULA_SUFFIX.length))
    .sort()
    .map((name) => join(dir, `${name}${FORMULA_SUFFIX}`));
}

/** Every formula file under a folder, recursively, sorted by path. */
export function formulaFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(FORMULA_SUFFIX)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

export interface FoundFormula {
  name: string;
  file: string;
  scope: FormulaScope;
  /** Formulas of the same name further down the search path, hidden by this one. */
  shadows: { file: string; scope: FormulaScope }[];
}

/** Every formula on the search path, by name; the first one found wins, the others are shadowed. */
export function listFormulaFiles(dirs: readonly SearchDir[]): FoundFormula[] {
  const byName = new Map<string, FoundFormula>();
  for (const d of dirs) {
    for (const file of formulaFilesIn(d.dir)) {
      const name = formulaNameOf(file);
      const found = byName.get(name);
      if (found) found.shadows.push({ file, scope: d.scope });
      else byName.set(name, { name, file, scope: d.scope, shadows: [] });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
