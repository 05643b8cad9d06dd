import { afterEach } from 'vitest';
import { openLedger } from '../../src/kinds.js';
import type { Ledger } from '../../src/ledger/ledger.js';

/**
 * Opens ledgers for a test and closes them after it (each holds a git process). Call after useGtRepo
 * (repo.ts), or the file's own hook that removes its repositories: hooks after a test run
 * last-registered first, so the ledgers are closed before their repository is removed.
 */
export function useLedgers(): (dir: string) => Ledger {
  const open: Ledger[] = [];
  afterEach(() => {
    for (const ledger of open.splice(0)) ledger.close();
  });
  return (dir) => {
    const ledger = openLedger({ cwd: dir, actor: '' });
    open.push(ledger);
    return ledger;
  };
}
