#!/usr/bin/env node
/** `npm run compat -- <dir>`: cook every formula under a folder; exit 1 if any fails. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { compatCheck } from './compat.js';

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  process.stderr.write('usage: npm run compat -- <folder>   cooks every *.formula.toml under the folder\n');
  process.exit(args.length === 0 ? 2 : 0);
}
// npm runs scripts from the package folder; a relative folder means the caller's.
const base = process.env.INIT_CWD ?? process.cwd();
let failed = 0;
let total = 0;
for (const arg of args) {
  const folder = resolve(base, arg);
  if (!existsSync(folder)) {
    process.stderr.write(`compat: no such folder: ${folder}\n`);
    process.exit(2);
  }
  const started = performance.now();
  const lines = compatCheck(folder, base);
  for (const line of lines) {
    total++;
    if (line.ok) process.stdout.write(`ok ${line.file} ${line.steps} steps\n`);
    else {
      failed++;
      process.stdout.write(`error ${line.file}: ${line.error}\n`);
    }
  }
  process.stdout.write(`${folder}: ${lines.length - lines.filter((l) => !l.ok).length}/${lines.length} formulas cooked (${Math.round(performance.now() - started)} ms)\n`);
}
process.stdout.write(`${failed === 0 ? 'all' : `${total - failed} of`} ${total} formulas cook${failed > 0 ? `; ${failed} failed` : ''}\n`);
process.exitCode = failed > 0 ? 1 : 0;
