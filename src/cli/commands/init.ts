import type { Command } from 'commander';
import { withLedger, globalsOf, thisMergeDriver } from '../context.js';
import { setUpMergeDriver } from '../../ledger/merge-driver-setup.js';
import { fetchRemoteLedgerForInit } from '../../work/sync.js';
import { printJson, printLine } from '../output.js';
import { LEDGER_BRANCH } from '../../ledger/layout.js';
import { startObserving } from '../../observer/observe.js';
import { prefixOption } from '../options.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(`create the ledger branch ${LEDGER_BRANCH} in this repository, or in a clone adopt the remote's (running it again changes nothing, but repairs a missing or broken gt.yaml)`)
    .option('--prefix <prefix>', 'id prefix of new beads: 2 to 8 lowercase letters (default: from the directory name)', prefixOption)
    .option('--json', 'print the result as JSON (merge_driver: what it set up for native git merges of the ledger)')
    .action(async (options: { prefix?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const offline = fetchRemoteLedgerForInit(ledger);
        const { created, config, repaired, adopted } = await ledger.init(options.prefix);
        if (offline !== undefined && created) process.stderr.write(`gt: warning: ${offline}; made a new ledger here (if the remote has one, gt sync will refuse to mix them)\n`);
        // An adopting clone observes from now on too: what it fetches later is new, what it cloned is not.
        if (created || adopted !== undefined) startObserving(ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir);
        // The new ledger already has its .gitattributes; this also registers the driver, or repairs either.
        const driver = await setUpMergeDriver(ledger, thisMergeDriver());
        if (globalsOf(command).json) return printJson({ created, branch: LEDGER_BRANCH, ...config, ...(repaired !== undefined ? { repaired } : {}), ...(adopted !== undefined ? { adopted } : {}), merge_driver: driver });
        if (adopted !== undefined) printLine(`adopted ${adopted}'s ledger: ${LEDGER_BRANCH} follows ${adopted}/${LEDGER_BRANCH} (prefix ${config.prefix}); gt sync exchanges with it`);
        else if (created) printLine(`initialized ledger ${LEDGER_BRANCH} (prefix ${config.prefix})`);
        else if (repaired !== undefined) printLine(`repaired ${LEDGER_BRANCH}: wrote a new gt.yaml (prefix ${config.prefix}); it was ${repaired === 'missing' ? 'missing' : `unreadable (${repaired})`}`);
        else if (driver.length === 0) printLine(`ledger ${LEDGER_BRANCH} already exists (prefix ${config.prefix}); nothing changed`);
        else printLine(`ledger ${LEDGER_BRANCH} already exists (prefix ${config.prefix})`);
        for (const line of driver) printLine(line);
      });
    });
}
