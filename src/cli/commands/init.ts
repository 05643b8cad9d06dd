import type { Command } from 'commander';
import { withLedger, globalsOf } from '../context.js';
import { printJson, printLine } from '../output.js';
import { LEDGER_BRANCH } from '../../ledger/layout.js';
import { startObserving } from '../../observer/observe.js';
import { prefixOption } from '../options.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(`create the ledger branch ${LEDGER_BRANCH} in this repository (running it again changes nothing, but repairs a missing or broken gt.yaml)`)
    .option('--prefix <prefix>', 'id prefix of new beads: 2 to 8 lowercase letters (default: from the directory name)', prefixOption)
    .option('--json', 'print the result as JSON')
    .action(async (options: { prefix?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { created, config, repaired } = await ledger.init(options.prefix);
        if (created) startObserving(ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir);
        if (globalsOf(command).json) return printJson({ created, branch: LEDGER_BRANCH, ...config, ...(repaired !== undefined ? { repaired } : {}) });
        if (created) printLine(`initialized ledger ${LEDGER_BRANCH} (prefix ${config.prefix})`);
        else if (repaired !== undefined) printLine(`repaired ${LEDGER_BRANCH}: wrote a new gt.yaml (prefix ${config.prefix}); it was ${repaired === 'missing' ? 'missing' : `unreadable (${repaired})`}`);
        else printLine(`ledger ${LEDGER_BRANCH} already exists (prefix ${config.prefix}); nothing changed`);
      });
    });
}
