import { realpathSync } from 'node:fs';
import type { Command } from 'commander';
import { mergeDriverCommand } from '../git/merge-driver-config.js';
import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from '../kinds.js';
import type { LedgerView } from '../ledger/view.js';
import { warnProblems } from './output.js';
import { CacheDamagedError } from '../errors.js';

export interface GlobalOptions {
  as?: string;
  cwd?: string;
  json?: boolean;
}

export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/** Opens the ledger of the repository around --cwd (default: here) as the chosen actor, and closes it after. */
export async function withLedger<T>(command: Command, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  const globals = globalsOf(command);
  for (let attempt = 0; ; attempt++) {
    const ledger = openLedger({ cwd: globals.cwd ?? process.cwd(), ...(globals.as !== undefined ? { actor: globals.as } : {}) });
    try {
      return await fn(ledger);
    } catch (error) {
      // A damaged cache file is removed when found (before anything was written or printed from it):
      // the second run rebuilds what it needs from git.
      if (!(error instanceof CacheDamagedError) || attempt > 0) throw error;
    } finally {
      ledger.close();
    }
  }
}

/** The actor's view, with broken files reported on stderr (they are skipped, everything else works). */
export async function readView(ledger: Ledger): Promise<LedgerView> {
  const view = await ledger.view();
  warnProblems(view.problems);
  return view;
}

/** The gt script this process runs (dist/gt.mjs): what sessions, launchers and git's merge driver call back. */
export function gtEntry(): string {
  return realpathSync(process.argv[1]!);
}

/** The command git runs as gt's merge driver: this node and this gt. */
export function thisMergeDriver(): string {
  return mergeDriverCommand(process.execPath, gtEntry());
}
