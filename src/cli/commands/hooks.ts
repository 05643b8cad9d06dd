import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { globalsOf } from '../context.js';
import { printJson, printLine } from '../output.js';
import { startObserving } from '../../observer/observe.js';
import { hooksStatus, installHooks, uninstallHooks, CHAINED_SUFFIX, type HookChange, type HookStatus } from '../../githooks/install.js';
import { runHook } from '../../githooks/run-hook.js';

const STATE_TEXT: Record<HookStatus['state'], string> = {
  installed: 'installed',
  chained: 'installed (chained to your hook)',
  'not-installed': 'not installed',
  foreign: 'foreign hook present (not ours)',
};

function printChanges(hooksDir: string, changes: HookChange[]): void {
  printLine(`hooks directory: ${hooksDir}`);
  for (const c of changes) printLine(`  ${c.name.padEnd(19)} ${c.action}${c.detail ? `: ${c.detail}` : ''}`);
}

export function registerHooks(program: Command): void {
  const hooks = program
    .command('hooks')
    .description('git hooks: commits that name beads (Closes: gt-4f2a, Refs gt-4f2a) record themselves on them');
  const cwdOf = (command: Command): string => globalsOf(command).cwd ?? process.cwd();

  hooks
    .command('install')
    .description(
      `install gt's hooks where git looks for them (core.hooksPath is honoured); a hook you already have is kept as <hook>${CHAINED_SUFFIX} and runs first`,
    )
    .option('--json', 'print what was done as JSON')
    .action((_options: unknown, command: Command) => {
      const outcome = installHooks(cwdOf(command));
      // From here on, every closure is the observer's to handle (a ledger created later starts its own).
      startObserving(cwdOf(command));
      if (globalsOf(command).json) return printJson(outcome);
      printChanges(outcome.hooksDir, outcome.changes);
    });

  hooks
    .command('uninstall')
    .description("remove gt's hooks and put back the hooks they chained to")
    .option('--json', 'print what was done as JSON')
    .action((_options: unknown, command: Command) => {
      const outcome = uninstallHooks(cwdOf(command));
      if (globalsOf(command).json) return printJson(outcome);
      printChanges(outcome.hooksDir, outcome.changes);
    });

  hooks
    .command('status')
    .description("which of gt's hooks are installed, and where the hooks directory is")
    .option('--json', 'print the status as JSON')
    .action((_options: unknown, command: Command) => {
      const status = hooksStatus(cwdOf(command));
      if (globalsOf(command).json) return printJson(status);
      printLine(`hooks directory: ${status.hooksDir}`);
      for (const h of status.hooks) {
        const stale = h.current === false ? ' (out of date: run gt hooks install)' : '';
        printLine(`  ${h.name.padEnd(19)} ${STATE_TEXT[h.state]}${stale}`);
      }
    });

  hooks
    .command('run')
    .description('called by the installed hooks, not by people: runs gt\'s part of one git hook; never fails, prints lines for hooks.log')
    .argument('<hook>', 'the git hook being run, e.g. post-commit')
    .argument('[args...]', "the hook's arguments, as git gave them")
    .allowUnknownOption()
    .action(async (hook: string, args: string[], _options: unknown, command: Command) => {
      let stdin = '';
      if (hook === 'post-rewrite' && !process.stdin.isTTY) {
        try {
          stdin = readFileSync(0, 'utf8');
        } catch {
          stdin = '';
        }
      }
      await runHook(hook, args, { cwd: cwdOf(command), stdin, print: printLine });
    });
}
