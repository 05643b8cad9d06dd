/**
 * The tests run the built CLI (dist/gt.mjs), so a build older than the sources would test old code
 * and pass or fail for the wrong reasons. `npm test` builds first; a run started any other way checks
 * here (vitest globalSetup) and stops at once if the build is missing or stale.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The newest file under `dir` (recursively), or undefined when there is none. */
function newestFile(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory() ? newestFile(path) : entry.isFile() ? { path, mtimeMs: statSync(path).mtimeMs } : undefined;
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

/**
 * Why the build in `root` cannot be tested, in one line, or null when dist/gt.mjs exists and is at
 * least as new as every file in src/.
 */
export function staleBuildProblem(root: string): string | null {
  const bundle = join(root, 'dist', 'gt.mjs');
  let built: number;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return 'dist/gt.mjs is missing: run npm run build (npm test builds for you)';
  }
  const newest = newestFile(join(root, 'src'));
  if (newest && newest.mtimeMs > built) {
    return `dist/gt.mjs is older than ${relative(root, newest.path)}: run npm run build (npm test builds for you)`;
  }
  return null;
}
