/**
 * vitest globalSetup: refuses to test a missing or stale build (see test/helpers/build-check.ts). It
 * stops the run at once with one line, rather than throwing (vitest would then report the error under
 * misleading noise such as "No test files found").
 */
import { resolve } from 'node:path';
import { staleBuildProblem } from './helpers/build-check.js';

export default function setup(): void {
  const problem = staleBuildProblem(resolve(import.meta.dirname, '..'));
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
