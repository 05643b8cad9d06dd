import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

function walk(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((sub) => walk(sub, [...path, sub.name()]))];
}

describe('help', () => {
  const all = walk(buildProgram());

  it('covers the whole command tree', () => {
    const names = all.map((c) => c.path.join(' '));
    for (const expected of ['convoy sling', 'convoy stranded', 'sling', 'prime', 'done', 'agents bind', 'mail reply', 'observe', 'watch', 'hooks install']) {
      expect(names).toContain(expected);
    }
  });

  it('every command and every option says what it does', () => {
    for (const { path, command } of all) {
      expect(command.description().trim(), `gt ${path.join(' ')}`).not.toBe('');
      for (const option of command.options) expect(option.description.trim(), `gt ${path.join(' ')} ${option.flags}`).not.toBe('');
      for (const arg of command.registeredArguments) expect(arg.description.trim(), `gt ${path.join(' ')} <${arg.name()}>`).not.toBe('');
    }
  });
});
