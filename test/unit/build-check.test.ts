import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleBuildProblem } from '../helpers/build-check.js';

describe('the stale-build check run before the tests', () => {
  let root: string;
  const file = (path: string, secondsAgo: number): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(join(root, path), t, t);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gt-build-check-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes a build at least as new as every source file', () => {
    file('src/cli/main.ts', 100);
    file('src/ledger/ledger.ts', 50);
    file('dist/gt.mjs', 10);
    expect(staleBuildProblem(root)).toBeNull();
  });

  it('fires when dist/gt.mjs is missing', () => {
    file('src/cli/main.ts', 100);
    expect(staleBuildProblem(root)).toBe('dist/gt.mjs is missing: run npm run build (npm test builds for you)');
  });

  it('fires when any source file, however deep, is newer than the build, naming it', () => {
    file('src/cli/main.ts', 100);
    file('dist/gt.mjs', 50);
    file('src/ledger/merge/tree-merge.ts', 10);
    expect(staleBuildProblem(root)).toBe('dist/gt.mjs is older than src/ledger/merge/tree-merge.ts: run npm run build (npm test builds for you)');
  });
});
