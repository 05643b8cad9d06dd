import type { Command } from 'commander';
import { withLedger, globalsOf } from '../context.js';
import { printJson, printLine } from '../output.js';
import { describeMergeNote, mergeAgentBranches } from '../../ledger/agent-merge.js';
import { runDoctor } from '../../ledger/doctor.js';
import { settingFindings } from '../../settings/settings-service.js';
import { checkAgentName } from '../../ledger/names.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { LedgerConfig } from '../../ledger/config.js';
import { GtError } from '../../errors.js';

export function registerMaintenance(program: Command): void {
  program
    .command('merge')
    .description('merge agent branches into the ledger (field by field, never a conflict), then move them to the ledger tip')
    .argument('[agents...]', 'agents whose branches to merge (default: every agent branch with changes)')
    .option('--json', 'print what was merged as JSON')
    .action(async (agents: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const reports = await mergeAgentBranches(ledger, agents.map((a) => checkAgentName(a)));
        if (globalsOf(command).json) return printJson(reports);
        if (reports.length === 0) return printLine('no agent branches');
        for (const r of reports) {
          if (r.outcome === 'up-to-date') printLine(`${r.agent}: nothing to merge`);
          else printLine(`${r.agent}: merged ${r.changed.length} entit${r.changed.length === 1 ? 'y' : 'ies'}${r.changed.length > 0 ? ` (${r.changed.join(', ')})` : ''}`);
          for (const n of r.notes) printLine(`  ${describeMergeNote(n)}`);
        }
      });
    });

  program
    .command('doctor')
    .description('check the ledger: unreadable files (with path and line), dangling dependencies, cycles, stale locks, settings gt refuses or does not know')
    .option('--json', 'print the findings as JSON')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const findings = await runDoctor(ledger);
        // A ledger too broken to read has no settings to check; runDoctor has said why.
        const config = ledger.ledgerTip() ? await readConfigQuietly(ledger) : undefined;
        if (config) findings.push(...settingFindings(config, { gitDir: ledger.repo.paths.commonDir }));
        if (globalsOf(command).json) printJson(findings);
        else if (findings.length === 0) printLine('ledger is healthy');
        else {
          for (const f of findings) {
            printLine(`${f.severity}: ${f.path ? `${f.path}${f.line !== undefined ? `:${f.line}` : ''}: ` : ''}${f.message}`);
          }
        }
        if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
      });
    });
}

async function readConfigQuietly(ledger: Ledger): Promise<LedgerConfig | undefined> {
  try {
    return (await ledger.view()).config;
  } catch (error) {
    if (error instanceof GtError) return undefined;
    throw error;
  }
}
