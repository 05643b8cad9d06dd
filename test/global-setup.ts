/**
 * vitest globalSetup: refuses to test a missing or stale build (see test/helpers/build-check.ts). It
 * stops the run at once with one line, rather than throwing (vitest would then report the error under
 * misleading noise such as "No test files found").
 *
 * It then makes the run's template gt repository (see gtRepo in test/helpers/repo.ts), which the tests
 * copy instead of each running git init, a commit and gt init.
 */
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { staleBuildProblem } from './helpers/build-check.js';
// The template is made with the same clean environment as the tests.
import './setup-env.js';
import { makeGtRepo } from './helpers/repo.js';

export default function setup(project: TestProject): () => void {
  const problem = staleBuildProblem(resolve(import.meta.dirname, '..'));
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  const template = makeGtRepo();
  project.provide('gtTemplate', template.dir);
  return () => template.cleanup();
}
